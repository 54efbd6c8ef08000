// Vision profile by stage on a 2028x1520 capture and a 640x480 preview frame: decode, each
// model with its pre/post-processing, the checks, and each check's own time (CABINE_VISION_PROFILE).
// Medians of a few runs, wall time. Run: node --import tsx bench/vision-stages.ts
import sharp from 'sharp';
import { boothCapture } from './vision-capture.ts';
import { loadFaceModels } from '../src/vision/models/index.ts';
import { faceAnalyser } from '../src/vision/models/analyser.ts';
import { loadImage } from '../src/vision/image.ts';
import { buildContext, runChecks, PREVIEW_CHECKS } from '../src/vision/checks.ts';
const still = await boothCapture();
const m = await loadFaceModels();
const an = faceAnalyser(m);
const T = async (label: string, f: () => Promise<unknown>, n = 5) => { await f(); const ts: number[] = []; for (let i = 0; i < n; i++) { const t = performance.now(); await f(); ts.push(performance.now() - t); } ts.sort((a, b) => a - b); console.log(label, ts[n >> 1]!.toFixed(1)); };
const img = await loadImage(still);
await T('load', () => loadImage(still));
await T('detect', () => m.detectFaces(img));
const [det] = await m.detectFaces(img);
await T('landmarks', () => m.landmarks(img, det!));
const lmk = await m.landmarks(img, det!);
await T('iris', () => m.iris(img, lmk));
await T('expr', () => m.expression(img, lmk));
await T('segment', () => m.segment(img, { width: 512, height: 384 }));
const a = await an.analyse(img);
await T('analyse', () => an.analyse(img));
await T('checks', async () => runChecks(buildContext(img, a)));
process.env.CABINE_VISION_PROFILE = '1';
runChecks(buildContext(img, a));
delete process.env.CABINE_VISION_PROFILE;
const { data } = await sharp(still).resize({ width: 640, height: 480 }).raw().toBuffer({ resolveWithObject: true });
const p = { data, width: 640, height: 480 };
await T('p.detect', () => m.detectFaces(p), 10);
await T('p.analyse', () => an.analyse(p, { emotion: false, segmentation: false }), 10);
const pa = await an.analyse(p, { emotion: false, segmentation: false });
await T('p.checks', async () => runChecks(buildContext(p, pa), { only: PREVIEW_CHECKS }), 10);
process.env.CABINE_VISION_PROFILE = '1';
runChecks(buildContext(p, pa), { only: PREVIEW_CHECKS });
