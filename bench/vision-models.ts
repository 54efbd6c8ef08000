// Face models: per-model inference time (median of N runs, pre- and post-processing
// included, and the bare ONNX session run), and the process RSS with every model loaded.
// Run: node --import tsx bench/vision-models.ts [runs]
import { join } from 'node:path';
import sharp from 'sharp';
import { loadFaceModels, decodeImage, DEFAULT_MODELS_DIR } from '../src/vision/models/index.ts';
import { buildModels } from '../src/vision/models/build.ts';

const runs = Number(process.argv[2] ?? 30);
const fixture = new URL('../test/fixtures/faces/astronaut.png', import.meta.url).pathname;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function time(label: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  process.stdout.write(`${label.padEnd(44)} median ${median(ms).toFixed(1).padStart(6)} ms   min ${Math.min(...ms).toFixed(1).padStart(6)} ms\n`);
}

const rss0 = process.memoryUsage().rss;
const t0 = performance.now();
buildModels({ outDir: DEFAULT_MODELS_DIR });
const tBuild = performance.now() - t0;
const t1 = performance.now();
const models = await loadFaceModels(DEFAULT_MODELS_DIR);
const tLoad = performance.now() - t1;
const rssLoaded = process.memoryUsage().rss;
process.stdout.write(`npm run models (check/build)                 ${tBuild.toFixed(0)} ms\n`);
process.stdout.write(`load 5 models (${join(DEFAULT_MODELS_DIR, '*.onnx')})  ${tLoad.toFixed(0)} ms\n`);

const portrait = await decodeImage(fixture);
// The booth's still resolution (2028x1520) and preview resolution (640x480): the portrait
// placed on a grey canvas, face at ID-photo scale.
async function canvas(w: number, h: number): Promise<Awaited<ReturnType<typeof decodeImage>>> {
  const side = Math.round(h * 0.9);
  const face = await sharp(portrait.data, { raw: { width: 512, height: 512, channels: 3 } }).resize(side, side).raw().toBuffer();
  return decodeImage(await sharp({ create: { width: w, height: h, channels: 3, background: '#9aa4ad' } })
    .composite([{ input: face, raw: { width: side, height: side, channels: 3 }, left: Math.round((w - side) / 2), top: Math.round((h - side) / 2) }]).png().toBuffer());
}
for (const [w, h] of [[2028, 1520], [640, 480]] as const) {
  const img = await canvas(w, h);
  const faces = await models.findFaces(img);
  const face = faces[0];
  if (!face) throw new Error(`no face found at ${w}x${h}`);
  process.stdout.write(`-- ${w}x${h} (${runs} runs each)\n`);
  await time('detectFaces (BlazeFace)', () => models.detectFaces(img));
  await time('landmarks from a detection (FaceMesh)', () => models.landmarks(img, face.detection));
  await time('landmarks tracked from previous (FaceMesh)', () => models.landmarks(img, face.landmarks));
  await time('iris, both eyes (Iris x2)', () => models.iris(img, face.landmarks));
  await time('expression (emotion)', () => models.expression(img, face.landmarks));
  await time('segment, mask at image size (selfie)', () => models.segment(img));
  await time('segment, mask 256x256 (selfie)', () => models.segment(img, { width: 256, height: 256 }));
  await time('findFaces (detect + confirm)', () => models.findFaces(img));
}
const rssEnd = process.memoryUsage().rss;
process.stdout.write(`RSS: ${(rss0 / 2 ** 20).toFixed(0)} MiB at start, ${(rssLoaded / 2 ** 20).toFixed(0)} MiB with the 5 models loaded, ${(rssEnd / 2 ** 20).toFixed(0)} MiB after the runs\n`);
await models.close();
