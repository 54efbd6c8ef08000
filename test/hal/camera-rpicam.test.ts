// The rpicam-apps driver against stand-in camera apps on PATH that behave like the real ones
// where it matters: one process at a time holds the camera (a second one fails "busy"), the
// preview process lets go of it a moment after SIGTERM, rpicam-vid writes video-range YUV420.
// Checked: a still waits for the preview to exit and gets at least 1 s to settle, the frames
// decode to the right colours, a crashed preview is started again and marks the camera OK
// with its first frame, a failed still is followed by probes that find the camera back.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { PREVIEW_HEIGHT, PREVIEW_WIDTH, type PreviewFrame } from '../../src/hal/camera/interface.ts';
import { RpicamCamera, STILL_SETTLE_MS, findRpicamApps, previewToRgb } from '../../src/hal/camera/rpicam.ts';
import { silentLogger } from '../../src/log.ts';
import { until } from '../fleet/helpers/booth.ts';
import { STILL_SIZE, installRpicamApps } from './helpers/rpicam-apps.ts';

const { dir, env, logLines, reset } = await installRpicamApps(t);
const config = { ...loadConfig({ env: {} }).camera, stillWidth: STILL_SIZE.width, stillHeight: STILL_SIZE.height, previewFps: 25 };

t.test('the apps are found on PATH', async (t) => {
  t.same(findRpicamApps(env), { still: 'rpicam-still', vid: 'rpicam-vid' });
});

t.test('video-range YUV from rpicam-vid decodes to the right colours', async (t) => {
  const w = PREVIEW_WIDTH;
  const h = PREVIEW_HEIGHT;
  const frame = Buffer.alloc(w * h * 1.5);
  const fill = (y: number, u: number, v: number) => {
    frame.fill(y, 0, w * h);
    frame.fill(u, w * h, w * h * 1.25);
    frame.fill(v, w * h * 1.25);
    return [...previewToRgb(frame).subarray(0, 3)];
  };
  t.same(fill(16, 128, 128), [0, 0, 0], 'Y 16 is black, not dark grey');
  t.same(fill(235, 128, 128), [255, 255, 255], 'Y 235 is white');
  t.same(fill(126, 128, 128), [128, 128, 128], 'Y 126 is mid grey (full range would read 126)');
  const red = fill(81, 90, 240);
  t.ok(red[0]! >= 254 && red[1]! <= 1 && red[2]! <= 1, `BT.601 video-range red (81, 90, 240) is red: ${red.join(',')}`);
});

t.test('a still waits for the preview process to exit and gets at least 1 s to settle', async (t) => {
  reset();
  const camera = new RpicamCamera(config, { still: 'rpicam-still', vid: 'rpicam-vid' }, silentLogger());
  await camera.start();
  t.equal(camera.status().health, 'ok');
  const frames: PreviewFrame[] = [];
  camera.startPreview((f) => frames.push(f));
  await until('preview frames', () => frames.length >= 2);
  const px = (f: PreviewFrame, y: number) => [...f.data.subarray(y * PREVIEW_WIDTH * 3, y * PREVIEW_WIDTH * 3 + 3)];
  t.same(px(frames[0]!, 0), [0, 0, 0], 'top: black');
  t.same(px(frames[0]!, PREVIEW_HEIGHT - 1), [255, 255, 255], 'bottom: white');
  camera.stopPreview();
  const still = await camera.capture();
  t.equal(still.jpeg[0], 0xff);
  const lines = logLines();
  const exit = lines.findIndex((l) => l.endsWith('vid-exit'));
  const start = lines.findIndex((l) => l.includes('still-start'));
  t.ok(exit >= 0 && start > exit, `the still started after the preview exited:\n${lines.join('\n')}`);
  t.notOk(lines.some((l) => l.endsWith('still-busy')), 'never refused as busy');
  const settle = Number(/ -t (\d+)/.exec(lines[start] ?? '')?.[1]);
  t.ok(settle >= 1000 && settle === STILL_SETTLE_MS, `-t ${settle}`);
  await camera.stop();
});

t.test('a preview that crashes is started again; its first frame marks the camera OK', async (t) => {
  reset({ 'vid-crashes': 1 });
  const camera = new RpicamCamera(config, { still: 'rpicam-still', vid: 'rpicam-vid' }, silentLogger());
  const events: string[] = [];
  camera.on('fault', (f) => events.push(`fault: ${f.message}`));
  camera.on('recovered', () => events.push('recovered'));
  await camera.start();
  let frames = 0;
  camera.startPreview(() => frames++);
  await until('the preview back after its crash', () => events.includes('recovered'));
  t.match(events[0], /rpicam-vid stopped \(1\)/);
  t.equal(camera.status().health, 'ok');
  const before = frames;
  await until('frames again', () => frames > before);
  t.equal(Number(readFileSync(join(dir, 'vid-launches'), 'utf8')), 2, 'started again once');
  await camera.stop();
  t.notOk(existsSync(join(dir, 'camera.lock')), 'the camera is released at stop');
});

t.test('a failed still faults the camera; an idle probe finds it back', async (t) => {
  reset({ 'still-failures': 2 });
  const camera = new RpicamCamera(config, { still: 'rpicam-still', vid: 'rpicam-vid' }, silentLogger(), { probeMs: 200 });
  const events: string[] = [];
  camera.on('fault', (f) => events.push(`fault: ${f.message}`));
  camera.on('recovered', () => events.push('recovered'));
  await camera.start();
  await t.rejects(camera.capture(), /failed to start camera/);
  t.equal(camera.status().health, 'fault');
  await until('recovered', () => camera.status().health === 'ok');
  t.same(events, ['fault: rpicam-still failed (255): ERROR: *** failed to start camera ***', 'recovered']);
  t.equal(Number(readFileSync(join(dir, 'still-runs'), 'utf8')), 3, 'one failed probe, one good');
  await camera.stop();
});
