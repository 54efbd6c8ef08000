// The camera contract: what the booth relies on from a CameraDevice, one suite run on the
// simulator, on the libcamera driver over a simulated addon and on the rpicam driver over
// stand-in camera apps. Started, it is OK; the preview delivers 640x480 RGB frames in order; a
// still is a JPEG of the configured size; stop is clean and may be called twice; a failure is
// a fault that stops sales, and once the camera works again a good frame makes it OK.
import type { Test } from 'tap';
import sharp from 'sharp';
import { PREVIEW_HEIGHT, PREVIEW_WIDTH, type CameraDevice, type PreviewFrame } from '../../../src/hal/camera/index.ts';
import { until } from '../../fleet/helpers/booth.ts';

export interface CameraUnderTest {
  camera: CameraDevice;
  /** Makes the camera fail from now on (a sensor timeout, a failing capture). */
  breakIt(): void;
  /** Lets the camera work again. */
  repair(): void;
}

/** A camera (not started) whose stills are `stillSize`. */
export type CameraFactory = (t: Test, stillSize: { width: number; height: number }) => Promise<CameraUnderTest>;

export const CONTRACT_STILL_SIZE = { width: 64, height: 48 } as const;

export function cameraContract(t: Test, label: string, make: CameraFactory): void {
  const started = async (t: Test) => {
    const under = await make(t, CONTRACT_STILL_SIZE);
    t.teardown(() => under.camera.stop());
    await under.camera.start();
    return under;
  };

  t.test(`${label}: started, the camera is OK with the preview and still sizes it says`, async (t) => {
    const { camera } = await started(t);
    t.equal(camera.status().health, 'ok', camera.status().detail ?? '');
    t.same(camera.previewSize, { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT });
    t.same(camera.stillSize, CONTRACT_STILL_SIZE);
    t.equal(camera.previewing, false);
  });

  t.test(`${label}: preview frames arrive in order, 640x480 packed RGB`, async (t) => {
    const { camera } = await started(t);
    const frames: PreviewFrame[] = [];
    camera.startPreview((f) => frames.push(f), { fps: 20 });
    t.equal(camera.previewing, true);
    await until('three preview frames', () => frames.length >= 3);
    camera.stopPreview();
    t.equal(camera.previewing, false);
    for (const f of frames) {
      t.match(f, { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, format: 'RGB24' });
      t.equal(f.data.length, PREVIEW_WIDTH * PREVIEW_HEIGHT * 3, 'no padding');
    }
    const sequences = frames.map((f) => f.sequence);
    t.ok(
      sequences.every((s, i) => i === 0 || s > sequences[i - 1]!),
      `sequence numbers increase: ${sequences.join(',')}`,
    );
    camera.stopPreview();
    t.equal(camera.previewing, false, 'stopping the preview twice is harmless');
  });

  t.test(`${label}: a still is a JPEG of the configured size`, async (t) => {
    const { camera } = await started(t);
    const still = await camera.capture();
    t.same({ width: still.width, height: still.height }, CONTRACT_STILL_SIZE);
    const meta = await sharp(still.jpeg).metadata();
    t.match(meta, { format: 'jpeg', ...CONTRACT_STILL_SIZE }, 'the JPEG itself is that size');
    t.type(still.metadata.exposureTimeUs, 'number');
    t.type(still.metadata.analogueGain, 'number');
  });

  t.test(`${label}: stop during a preview is clean, and idempotent`, async (t) => {
    const { camera } = await started(t);
    let frames = 0;
    camera.startPreview(() => frames++, { fps: 20 });
    await until('a preview frame', () => frames > 0);
    await camera.stop();
    t.equal(camera.previewing, false);
    t.equal(camera.status().health, 'stopped');
    await camera.stop();
    t.equal(camera.status().health, 'stopped', 'a second stop changes nothing');
  });

  t.test(`${label}: a failure is a fault; once the camera works again a good frame makes it OK`, async (t) => {
    const under = await started(t);
    const { camera } = under;
    const events: string[] = [];
    camera.on('fault', () => events.push('fault'));
    camera.on('recovered', () => events.push('recovered'));
    under.breakIt();
    await t.rejects(camera.capture(), 'the still is refused with the reason');
    t.equal(camera.status().health, 'fault', 'the fault stops sales');
    t.ok(camera.status().detail, `with a reason: ${camera.status().detail}`);
    under.repair();
    await until('recovered', () => camera.status().health === 'ok');
    t.equal(events[0], 'fault');
    t.equal(events.at(-1), 'recovered');
    const still = await camera.capture();
    t.equal(still.width, CONTRACT_STILL_SIZE.width, 'and it takes photos again');
  });
}
