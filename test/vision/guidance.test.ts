// Live guidance tracks the face from frame to frame by its landmarks and runs the detector one
// frame in `detectEvery`; `ready` needs a detector frame among the passing ones, so a second
// person who steps in is seen before the shutter fires.
import t from 'tap';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { silentLogger } from '../../src/log.ts';
import type { AnalyseOptions, FaceAnalyser, RgbImage } from '../../src/vision/analysis.ts';
import { loadFaceAnalyser } from '../../src/vision/models/index.ts';
import { createValidatorWith } from '../../src/vision/validator.ts';

const photo = (name: string) => readFileSync(new URL(`../fixtures/faces/${name}`, import.meta.url));
const frameOf = async (buf: Buffer) => {
  const { data } = await sharp(buf).resize({ width: 640, height: 480, fit: 'contain', background: '#c8c8c8' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return data;
};

let real: FaceAnalyser;
const calls: { tracking: boolean; tracked: boolean; faces: number }[] = [];
t.before(async () => {
  real = await loadFaceAnalyser();
});
t.teardown(() => real?.close());

// The real analyser, recording whether each frame was tracked or detected.
const spy: FaceAnalyser = {
  async analyse(image: RgbImage, options?: AnalyseOptions) {
    const r = await real.analyse(image, options);
    calls.push({ tracking: Boolean(options?.track?.length), tracked: r.tracked === true, faces: r.faces.length });
    return r;
  },
  close: async () => {},
};

t.test('frames between detector runs are tracked, and give the same verdict', async (t) => {
  calls.length = 0;
  const g = createValidatorWith({ analyser: spy, logger: silentLogger() }).guidance({ stableFrames: 3, detectEvery: 4 });
  const ok = await frameOf(photo('london-004.jpg'));
  const results = [];
  for (let i = 0; i < 8; i++) results.push(await g.analyseFrame(ok, 640, 480));
  t.same(calls.map((c) => c.tracked), [false, true, true, true, false, true, true, true], 'detector on frames 1 and 5, tracking between');
  t.ok(results.every((r) => r.failing === null), 'every frame passes');
  t.same(results.map((r) => r.ready), [false, false, true, true, true, true, true, true]);
  const detected = results[0]!.checks.find((c) => c.id === 'face.height')!.value as number;
  const tracked = results[1]!.checks.find((c) => c.id === 'face.height')!.value as number;
  t.ok(Math.abs(detected - tracked) < 0.5, `face height ${detected} mm detected, ${tracked} mm tracked`);
});

t.test('a lost face falls back to the detector; a second person is seen at the next detector frame', async (t) => {
  calls.length = 0;
  const g = createValidatorWith({ analyser: spy, logger: silentLogger() }).guidance({ stableFrames: 2, detectEvery: 3 });
  const one = await frameOf(photo('london-004.jpg'));
  const nobody = await frameOf(photo('no-face-coffee.png'));
  await g.analyseFrame(one, 640, 480);
  const gone = await g.analyseFrame(nobody, 640, 480);
  t.same(calls[1], { tracking: true, tracked: false, faces: 0 }, 'tracking lost the face, the detector found none');
  t.equal(gone.failing?.id, 'face.count');
  // Two people: the sitter stays where she was, a second face appears beside her.
  const a = await sharp(photo('london-004.jpg')).resize({ height: 480 }).toBuffer();
  const b = await sharp(photo('london-042.jpg')).resize({ height: 300 }).toBuffer();
  const wa = (await sharp(a).metadata()).width ?? 0;
  const twoJpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c8c8c8' } })
    .composite([{ input: a, left: 0, top: 0 }, { input: b, left: wa + 10, top: 90 }]).jpeg().toBuffer();
  const soloJpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c8c8c8' } })
    .composite([{ input: a, left: 0, top: 0 }]).jpeg().toBuffer();
  const solo = await sharp(soloJpeg).raw().toBuffer();
  const two = await sharp(twoJpeg).raw().toBuffer();
  g.reset();
  calls.length = 0;
  const r1 = await g.analyseFrame(solo, 640, 480); // detector
  const r2 = await g.analyseFrame(two, 640, 480); // tracked: the newcomer is not seen yet
  const r3 = await g.analyseFrame(two, 640, 480); // tracked
  const r4 = await g.analyseFrame(two, 640, 480); // detector: two faces
  t.same(calls.map((c) => c.tracked), [false, true, true, false]);
  t.equal(r1.checks.find((c) => c.id === 'face.count')?.value, 1);
  t.equal(r4.checks.find((c) => c.id === 'face.count')?.value, 2, 'the detector frame counts both');
  t.equal(r4.ready, false);
  t.equal(r4.failing?.id, 'face.count');
  t.same([r2, r3].map((r) => r.checks.find((c) => c.id === 'face.count')?.value), [1, 1], 'tracked frames follow the sitter only (the reason for detectEvery)');
});
