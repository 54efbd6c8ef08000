// The simulated camera at frame level: preview frames and stills made from real image files,
// controls and degradations checked on the pixel values, faults and bad photos.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { silentLogger } from '../../src/log.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createCamera, defaultPhotoSource, gainLut, type PreviewFrame, type SimulatedCameraDevice } from '../../src/hal/camera/index.ts';
import type { DeviceFault } from '../../src/hal/device.ts';

const GREY = 118;

async function photoDir(t: Test): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-camera-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A portrait, uniformly mid-grey (sRGB 118: about 18 % reflectance).
  await sharp({ create: { width: 300, height: 400, channels: 3, background: { r: GREY, g: GREY, b: GREY } } }).png().toFile(join(dir, 'a-grey.png'));
  // A landscape checkerboard of 50 px squares: sharp edges to measure blur and tilt on.
  const w = 400;
  const h = 300;
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px.fill(((x / 50) ^ (y / 50)) & 1 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
  await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toFile(join(dir, 'b-checker.png'));
  writeFileSync(join(dir, 'c-corrupt.jpg'), Buffer.from('\xff\xd8\xff\xe0 this is not a JPEG at all', 'latin1'));
  writeFileSync(join(dir, 'notes.txt'), 'not a photo');
  return dir;
}

async function camera(t: Test, source: string, extra: Record<string, unknown> = {}) {
  const config = configSchema.parse({ camera: { source, stillWidth: 800, stillHeight: 600, ...extra } }).camera;
  const cam = createCamera(config, { simulated: true, logger: silentLogger() }) as SimulatedCameraDevice;
  const faults: DeviceFault[] = [];
  const recovered: string[] = [];
  cam.on('fault', (f) => faults.push(f));
  cam.on('recovered', (n) => recovered.push(n));
  await cam.start();
  t.teardown(() => cam.stop());
  return { cam, faults, recovered };
}

function frames(cam: SimulatedCameraDevice, n: number, fps = 60): Promise<PreviewFrame[]> {
  return new Promise((resolve) => {
    const got: PreviewFrame[] = [];
    cam.startPreview(
      (frame) => {
        got.push(frame);
        if (got.length === n) {
          cam.stopPreview();
          resolve(got);
        }
      },
      { fps },
    );
  });
}

const mean = (rgb: Buffer, channel: number) => {
  let sum = 0;
  for (let i = channel; i < rgb.length; i += 3) sum += rgb[i]!;
  return sum / (rgb.length / 3);
};

async function decode(jpeg: Buffer) {
  return sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
}

/** Mean squared horizontal gradient of the green channel: high for sharp edges (blur spreads an edge, which lowers it). */
function sharpness(rgb: Buffer, width: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 3; i < rgb.length; i += 3) {
    if ((i / 3) % width === 0) continue;
    sum += (rgb[i + 1]! - rgb[i - 2]!) ** 2;
    n++;
  }
  return sum / n;
}

t.test('start lists the photos of camera.source and puts the first in front of the lens', async (t) => {
  const { cam } = await camera(t, await photoDir(t));
  t.same(cam.photos(), ['a-grey.png', 'b-checker.png', 'c-corrupt.jpg']);
  t.equal(cam.currentPhoto(), 'a-grey.png');
  t.equal(cam.status().health, 'ok');
  t.same([cam.name, cam.driver, cam.simulated], ['camera', 'sim', true]);
});

t.test('preview: 640x480 RGB frames at the requested rate, numbered, until stopped', async (t) => {
  const { cam } = await camera(t, await photoDir(t));
  const got = await frames(cam, 3);
  t.same(got.map((f) => [f.width, f.height, f.format, f.data.length, f.sequence]), [0, 1, 2].map((s) => [640, 480, 'RGB24', 640 * 480 * 3, s]));
  t.equal(cam.previewing, false);
  t.ok(Math.abs(mean(got[0]!.data, 1) - GREY) < 1, 'the grey photo, edges extended to the 4:3 frame');
  t.throws(() => cam.startPreview(() => undefined, { fps: 0 }), /bad preview rate/);
});

t.test('controls act on the pixels: exposure compensation brightens, short manual exposure darkens, colour gains tint', async (t) => {
  const { cam } = await camera(t, await photoDir(t));
  const twice = gainLut(2)[GREY]!;
  const half = gainLut(0.5)[GREY]!;
  t.ok(twice > GREY + 30 && half < GREY - 25, `one stop is ${GREY} -> ${twice} / ${half} in sRGB`);

  cam.setControls({ exposureValue: 1 });
  let [frame] = await frames(cam, 1);
  t.ok(Math.abs(mean(frame!.data, 1) - twice) < 1, `+1 EV preview: ${mean(frame!.data, 1).toFixed(1)} ~ ${twice}`);
  let still = await cam.capture();
  let px = await decode(still.jpeg);
  t.same([px.info.width, px.info.height, still.width, still.height], [800, 600, 800, 600]);
  t.ok(Math.abs(mean(px.data, 1) - twice) < 2.5, `+1 EV still: ${mean(px.data, 1).toFixed(1)} ~ ${twice}`);
  t.equal(still.metadata.exposureTimeUs, 20000);

  cam.setControls({ exposureValue: 0, autoExposure: false, exposureTimeUs: 5000, analogueGain: 1 });
  [frame] = await frames(cam, 1);
  t.ok(Math.abs(mean(frame!.data, 1) - half) < 1, `manual 5 ms: ${mean(frame!.data, 1).toFixed(1)} ~ ${half}`);
  cam.setControls({ analogueGain: 2 });
  [frame] = await frames(cam, 1);
  t.ok(Math.abs(mean(frame!.data, 1) - GREY) < 1, 'manual 5 ms x gain 2 = the reference exposure');

  cam.setControls({ autoExposure: true, autoWhiteBalance: false, colourGains: [3.8, 1.6] });
  still = await cam.capture();
  px = await decode(still.jpeg);
  t.ok(mean(px.data, 0) > twice - 3 && Math.abs(mean(px.data, 2) - GREY) < 3, `red doubled, blue unchanged: R ${mean(px.data, 0).toFixed(1)} B ${mean(px.data, 2).toFixed(1)}`);
  t.same(still.metadata.colourGains, [3.8, 1.6]);

  t.throws(() => cam.setControls({ analogueGain: 99 }), /invalid camera controls.*analogueGain/s);
  t.throws(() => cam.setControls({ shutter: 3 } as never), /invalid camera controls/);
  t.equal(cam.controls().analogueGain, 2, 'a refused update changes nothing');
});

t.test('degradations: blur softens, scene exposure darkens, tilt rotates without empty corners', async (t) => {
  const { cam } = await camera(t, await photoDir(t));
  await cam.selectPhoto('b-checker');
  const base = await decode((await cam.capture()).jpeg);
  const crisp = sharpness(base.data, 800);
  await cam.setDegradation({ blur: 6 });
  const blurred = await decode((await cam.capture()).jpeg);
  t.ok(sharpness(blurred.data, 800) < crisp / 3, `blur: edge strength ${crisp.toFixed(1)} -> ${sharpness(blurred.data, 800).toFixed(1)}`);
  const [frame] = await frames(cam, 1);
  t.ok(sharpness(frame!.data, 640) < sharpness((await sharp(base.data, { raw: { width: 800, height: 600, channels: 3 } }).resize(640, 480).raw().toBuffer()), 640) / 2, 'the preview is blurred too');

  await cam.setDegradation({ blur: 0, rotation: 12 });
  const tilted = await decode((await cam.capture()).jpeg);
  t.same([tilted.info.width, tilted.info.height], [800, 600]);
  let diff = 0;
  for (let i = 0; i < base.data.length; i++) diff += Math.abs(base.data[i]! - tilted.data[i]!);
  t.ok(diff / base.data.length > 40, `tilted frame differs from the upright one (${(diff / base.data.length).toFixed(1)})`);
  for (const [x, y] of [[1, 1], [798, 1], [1, 598], [798, 598]]) {
    const v = tilted.data[(y! * 800 + x!) * 3 + 1]!;
    t.ok(v < 60 || v > 195, `corner (${x},${y}) is checkerboard (${v}), not fill`);
  }

  await cam.setDegradation({ rotation: 0 });
  await cam.selectPhoto('a-grey.png');
  await cam.setDegradation({ exposure: -2 });
  const dark = await decode((await cam.capture()).jpeg);
  t.ok(Math.abs(mean(dark.data, 1) - gainLut(0.25)[GREY]!) < 2.5, 'scene 2 stops under');
  cam.setControls({ exposureValue: 2 });
  const compensated = await decode((await cam.capture()).jpeg);
  t.ok(Math.abs(mean(compensated.data, 1) - GREY) < 2.5, 'compensated back by +2 EV');
  await t.rejects(cam.setDegradation({ blur: -1 }), /invalid camera degradation/);
});

t.test('bad photos and missing folders: a clear error and a fault state, never a crash', async (t) => {
  const dir = await photoDir(t);
  const { cam, faults, recovered } = await camera(t, dir);
  await t.rejects(cam.selectPhoto('nobody'), /no photo "nobody" in .* \(have: a-grey.png, b-checker.png, c-corrupt.jpg\)/);
  await t.rejects(cam.selectPhoto('c-corrupt'), /photo c-corrupt.jpg in .* is unreadable/);
  t.equal(cam.status().health, 'fault');
  t.match(faults, [{ device: 'camera', message: /unreadable/ }]);
  await cam.selectPhoto('a-grey');
  t.same(recovered, ['camera']);

  cam.simulateFailure('sensor timeout');
  await t.rejects(cam.capture(), /camera failure: sensor timeout/);
  t.match(faults[1], { message: 'camera failure: sensor timeout', fatal: true });
  cam.simulateFailure(null);
  t.equal((await cam.capture()).width, 800);

  const missing = await camera(t, join(dir, 'nope'));
  t.equal(missing.cam.status().health, 'absent');
  t.match(missing.faults[0], { message: /camera.source .*nope is not a readable folder/ });
  await t.rejects(missing.cam.capture(), /camera has no picture/);
  const empty = mkdtempSync(join(tmpdir(), 'cabine-empty-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const none = await camera(t, empty);
  t.match(none.cam.status(), { health: 'absent', detail: /holds no photos/ });
});

t.test('a real booth without a camera driver: absent with the reason, not a fake picture', async (t) => {
  const config = configSchema.parse({ camera: { driver: 'libcamera' } }).camera;
  const cam = createCamera(config, { simulated: false, logger: silentLogger() });
  await cam.start();
  t.teardown(() => cam.stop());
  t.match(cam.status(), { health: 'absent', detail: /no libcamera camera driver/ });
  t.equal(cam.simulated, false);
  await t.rejects(cam.capture(), /camera absent/);
  t.throws(() => cam.startPreview(() => undefined), /camera absent/);
  const withDriver = createCamera(config, { simulated: false, logger: silentLogger(), real: () => cam });
  t.equal(withDriver, cam, 'the hardware driver plugs in through deps.real');
});

t.test('default photo source: the bundled photos', async (t) => {
  t.match(defaultPhotoSource(), /(assets\/camera|test\/fixtures\/faces)$/);
});
