// Camera faults that pass: the libcamera driver over a simulated addon (same interface as
// native/libcamera: cameras, sessions, YUV420 frames) that fails, stalls, then works again.
// A fault stops sales; the next good frame must mark the camera OK again, and repeated
// failures must close the camera and open it again.
import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { LibcameraCamera, REOPEN_AFTER } from '../../src/hal/camera/libcamera.ts';
import type { AddonLoad, LibcameraFrame, LibcameraSession, StreamRequest } from '../../src/hal/camera/libcamera-addon.ts';
import { silentLogger } from '../../src/log.ts';
import { until } from '../fleet/helpers/booth.ts';

const config = { ...loadConfig({ env: {} }).camera, stillWidth: 64, stillHeight: 48 };

/** A libcamera stand-in; `script` decides the outcome of each capture, in order, then `then`. */
function simulatedAddon(script: ('ok' | 'error' | 'stall' | 'slow')[], then: 'ok' | 'error' = 'ok') {
  const log = { opened: 0, closed: 0, captures: 0, events: [] as string[] };
  const frame = (req: StreamRequest): LibcameraFrame => {
    // Limited-range mid grey: Y 126, U V 128.
    const data = Buffer.alloc(req.width * req.height * 1.5, 128);
    data.fill(126, 0, req.width * req.height);
    return { data, width: req.width, height: req.height, stride: req.width, format: 'YUV420', colorSpace: 'SMPTE170M', sequence: log.captures, timestampNs: 0, metadata: {} };
  };
  class Session implements LibcameraSession {
    private streams: Record<string, StreamRequest> = {};
    private open = true;
    // Like the addon: closing settles the requests in flight as cancelled.
    private readonly waiting = new Set<(err: Error) => void>();
    constructor() {
      log.opened++;
    }
    configure(streams: { preview?: StreamRequest; still?: StreamRequest }) {
      this.streams = { ...streams } as Record<string, StreamRequest>;
      const describe = (r?: StreamRequest) => (r ? { width: r.width, height: r.height, stride: r.width, format: 'YUV420', frameSize: r.width * r.height * 1.5, colorSpace: 'SMPTE170M' } : undefined);
      return { preview: describe(streams.preview), still: describe(streams.still) };
    }
    start() {}
    setControls() {}
    stop() {}
    close() {
      this.open = false;
      log.closed++;
      log.events.push('close');
      for (const reject of this.waiting) reject(new Error('capture cancelled: the camera was stopped'));
      this.waiting.clear();
    }
    capture(stream: 'preview' | 'still'): Promise<LibcameraFrame> {
      if (!this.open) return Promise.reject(new Error('session closed'));
      const outcome = script[log.captures++] ?? then;
      if (outcome === 'error') return Promise.reject(new Error('request failed: -EIO'));
      if (outcome === 'stall') return new Promise((_, reject) => this.waiting.add(reject));
      const f = frame(this.streams[stream]!);
      if (outcome === 'slow') {
        return new Promise((resolve, reject) => {
          this.waiting.add(reject);
          setTimeout(() => {
            log.events.push(`${stream} delivered`);
            resolve(f);
          }, 300);
        });
      }
      return Promise.resolve(f);
    }
  }
  const load: AddonLoad = { addon: { version: () => 'sim', listCameras: () => [{ id: '/base/sim', model: 'imx708', location: 'front', rotation: 0, pixelArraySize: { width: 4608, height: 2592 } }], CameraSession: Session } };
  return { load: () => load, log };
}


t.test('a failed capture faults the camera; the next good frame makes it OK again', async (t) => {
  const sim = simulatedAddon(['error']);
  const camera = new LibcameraCamera(config, silentLogger(), sim.load);
  const events: string[] = [];
  camera.on('fault', (f) => events.push(`fault: ${f.message}`));
  camera.on('recovered', () => events.push('recovered'));
  await camera.start();
  t.equal(camera.status().health, 'ok');
  await t.rejects(camera.capture(), /-EIO/);
  t.equal(camera.status().health, 'fault', 'the fault stops sales');
  // Nobody asks for frames while the booth does not sell: the camera probes itself.
  await until('recovered', () => camera.status().health === 'ok');
  t.same(events, ['fault: capture failed: request failed: -EIO', 'recovered']);
  const still = await camera.capture();
  t.equal(still.width, 64, 'and it takes photos again');
  t.equal(sim.log.opened, 1, 'one failure is not worth a reopen');
  await camera.stop();
});

t.test('repeated failures and a stalled request: the camera is closed and opened again', async (t) => {
  const sim = simulatedAddon(['stall', ...Array<'error'>(REOPEN_AFTER - 1).fill('error')]);
  const camera = new LibcameraCamera(config, silentLogger(), sim.load);
  const events: string[] = [];
  camera.on('fault', (f) => events.push(`fault: ${f.message}`));
  camera.on('recovered', () => events.push('recovered'));
  await camera.start();
  const frames: number[] = [];
  camera.startPreview((f) => frames.push(f.sequence), { fps: 20 });
  await until('a frame after the reopen', () => frames.length > 0);
  camera.stopPreview();
  t.equal(sim.log.opened, 2, 'opened again');
  t.equal(sim.log.closed, 1, 'the failing session was closed first');
  t.match(events[0], /no preview frame within 5 s/, 'a stalled request is a failure');
  t.equal(events.at(-1), 'recovered');
  t.equal(camera.status().health, 'ok');
  await camera.stop();
  t.equal(sim.log.closed, 2, 'closed at stop');
});

t.test('a camera that never comes back stays faulty, reopened with a growing backoff', async (t) => {
  const sim = simulatedAddon([], 'error');
  const camera = new LibcameraCamera(config, silentLogger(), sim.load);
  await camera.start();
  await t.rejects(camera.capture());
  await until('two reopens', () => sim.log.opened >= 3, 30_000);
  t.equal(camera.status().health, 'fault');
  const captures = sim.log.captures;
  await camera.stop();
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(sim.log.captures, captures, 'stopped: no more probing');
});

t.test('stop waits for a capture in flight before it closes the camera', async (t) => {
  const sim = simulatedAddon(['slow']);
  const camera = new LibcameraCamera(config, silentLogger(), sim.load);
  await camera.start();
  const still = camera.capture();
  await new Promise((r) => setTimeout(r, 20));
  await camera.stop();
  t.equal((await still).width, 64, "the customer's still completed");
  t.same(sim.log.events, ['still delivered', 'close'], 'closed only after the frame was delivered');
  await camera.stop();
  t.equal(sim.log.closed, 1, 'stop is idempotent');
  t.equal(camera.status().health, 'stopped');
});
