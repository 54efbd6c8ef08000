// Simulated camera figures: time to build a scene from a photo, to make one preview frame
// (640x480, controls applied), and to capture a still JPEG at the default still size.
// Run: node --import tsx bench/camera-sim.ts [PHOTO_DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { configSchema } from '../src/config/schema.ts';
import { applyGains, createCamera, type PreviewFrame, type SimulatedCameraDevice } from '../src/hal/camera/index.ts';
import { silentLogger } from '../src/log.ts';

let dir = process.argv[2];
let cleanup = () => {};
if (!dir) {
  const tmp = mkdtempSync(join(tmpdir(), 'cabine-bench-camera-'));
  dir = tmp;
  cleanup = () => rmSync(tmp, { recursive: true, force: true });
  // A 12-megapixel-class noise photo: the worst case for decoding and JPEG encoding.
  await sharp({ create: { width: 3000, height: 4000, channels: 3, background: '#8090a0', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .jpeg({ quality: 90 })
    .toFile(join(tmp, 'noise.jpg'));
}
const config = configSchema.parse({ camera: { source: dir } }).camera;
const cam = createCamera(config, { simulated: true, logger: silentLogger() }) as SimulatedCameraDevice;
const s0 = performance.now();
await cam.start();
const sceneMs = performance.now() - s0;
cam.setControls({ exposureValue: 0.5 });

const fps = 30;
const frames: PreviewFrame[] = [];
await new Promise<void>((resolve) => cam.startPreview((f) => { frames.push(f); if (frames.length === 60) { cam.stopPreview(); resolve(); } }, { fps }));
const achievedFps = (frames.length - 1) / ((frames.at(-1)!.timestampMs - frames[0]!.timestampMs) / 1000);

// Cost of one preview frame's pixel work (controls applied to 640x480 RGB).
const rgb = frames[0]!.data;
const g0 = performance.now();
for (let i = 0; i < 100; i++) applyGains(rgb, [1.41, 1.41, 1.2]);
const frameMs = (performance.now() - g0) / 100;

const runs = 5;
const c0 = performance.now();
let jpegBytes = 0;
for (let i = 0; i < runs; i++) jpegBytes = (await cam.capture()).jpeg.length;
const captureMs = (performance.now() - c0) / runs;
await cam.stop();
cleanup();
console.log(JSON.stringify({
  photo: cam.currentPhoto(),
  still: `${config.stillWidth}x${config.stillHeight}`,
  sceneBuildMs: Math.round(sceneMs),
  previewRequestedFps: fps,
  previewAchievedFps: Number(achievedFps.toFixed(1)),
  previewFrameMs: Number(frameMs.toFixed(2)),
  captureMs: Math.round(captureMs),
  jpegBytes,
}));
