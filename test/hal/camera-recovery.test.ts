// Camera faults that pass: the libcamera driver over a simulated addon (same interface as
// native/libcamera: cameras, sessions, YUV420 frames) that fails, stalls, then works again.
// A fault stops sales; the next good frame must mark the camera OK again, and repeated
// failures must close the camera and open it again.
import FakeTimers from '@sinonjs/fake-timers';
import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { LibcameraCamera, REOPEN_AFTER } from '../../src/hal/camera/libcamera.ts';
import type { Clock } from '../../src/hal/clock.ts';
import { silentLogger } from '../../src/log.ts';
import { until } from '../fleet/helpers/booth.ts';
import { simulatedAddon } from './helpers/libcamera-addon.ts';

const config = { ...loadConfig({ env: {} }).camera, stillWidth: 64, stillHeight: 48 };

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

t.test('on an injected clock: a stalled still fails at 15 s of that clock, the probe finds the camera back 1 s later', async (t) => {
  const fake = FakeTimers.createClock(0);
  const clock: Clock = { now: () => fake.now, setTimeout: (f, ms) => fake.setTimeout(f, ms), clearTimeout: (h) => fake.clearTimeout(h as number) };
  const sim = simulatedAddon(['stall']);
  const camera = new LibcameraCamera(config, silentLogger(), sim.load, clock);
  await camera.start();
  let outcome: string | undefined;
  const still = camera.capture().then(
    () => (outcome = 'photo'),
    (err: Error) => (outcome = err.message),
  );
  await fake.tickAsync(14_999);
  t.equal(outcome, undefined, 'still waiting 1 ms before the timeout');
  t.equal(camera.status().health, 'ok');
  await fake.tickAsync(1);
  await still;
  t.equal(outcome, 'no still frame within 15 s');
  t.equal(camera.status().health, 'fault');
  const captures = sim.log.captures;
  await fake.tickAsync(999);
  t.equal(sim.log.captures, captures, 'no probe before 1 s');
  await fake.tickAsync(1);
  await until('the probe frame', () => camera.status().health === 'ok');
  t.equal(sim.log.captures, captures + 1, 'one probe frame brought it back');
  // stop lets the stalled request run out its own timeout (on the clock) before it closes the camera
  const stopping = camera.stop();
  await fake.tickAsync(15_000);
  await stopping;
  t.equal(camera.status().health, 'stopped');
  t.equal(sim.log.closed, 1);
});
