// The FT6236 driver against the simulated controller, at register and interrupt-line level:
// recorded signatures replayed scan by scan, faults on the bus, the rendered PNG.
import t, { type Test } from 'tap';
import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import { silentLogger } from '../../src/log.ts';
import { REG } from '../../src/hal/touch/ft6236.ts';
import { Ft6236Model, TouchReplayer, loadRecording, Signature, type Recording, type Stroke, type TouchPanelDevice, createTouchPanel } from '../../src/hal/touch/index.ts';
import { configSchema } from '../../src/config/schema.ts';
import type { DeviceFault } from '../../src/hal/device.ts';
import { TestGpioChip, TestI2cBus } from './touch-harness.ts';

const fixtures = new URL('../fixtures/signatures/', import.meta.url);
const recordings = readdirSync(fixtures).filter((f) => f.endsWith('.json')).map((f) => loadRecording(new URL(f, fixtures).pathname));
const INT = 22;

interface Rig {
  panel: TouchPanelDevice;
  model: Ft6236Model;
  bus: TestI2cBus;
  gpio: TestGpioChip;
  clock: { now: number };
  faults: DeviceFault[];
  recovered: string[];
  strokes: Stroke[];
  cancels: number[];
}

async function rig(t: Test, touch: Record<string, unknown> = {}, opts: { model?: Ft6236Model; attach?: boolean; gpio?: boolean; deferredEdges?: boolean } = {}): Promise<Rig> {
  const config = configSchema.parse({ touch: { pollMs: 1000, ...touch } }).touch;
  const model = opts.model ?? new Ft6236Model();
  const bus = new TestI2cBus();
  if (opts.attach !== false) bus.attach(config.address, model);
  const gpio = new TestGpioChip({ deferred: opts.deferredEdges ?? false });
  model.connectInterrupt((level) => gpio.drive(INT, level));
  const clock = { now: 0 };
  const panel = createTouchPanel(config, { i2c: bus, ...(opts.gpio === false ? {} : { gpio }), logger: silentLogger(), now: () => clock.now });
  const r: Rig = { panel, model, bus, gpio, clock, faults: [], recovered: [], strokes: [], cancels: [] };
  panel.on('fault', (f) => r.faults.push(f));
  panel.on('recovered', (n) => r.recovered.push(n));
  panel.on('stroke', (s) => r.strokes.push(s));
  panel.on('cancel', (id) => r.cancels.push(id));
  await panel.start();
  t.teardown(() => panel.stop());
  return r;
}

/** Replays a recording one scan at a time, letting the driver read each report on its interrupt. */
async function replay(r: Rig, recording: Recording, until = Infinity): Promise<TouchReplayer> {
  const replayer = new TouchReplayer(r.model, recording);
  while (!replayer.done && replayer.time() < until) {
    r.clock.now = replayer.time();
    replayer.step();
    await new Promise((resolve) => setImmediate(resolve)); // deferred edges are delivered
    await r.panel.settled();
  }
  return replayer;
}

const near = (a: { x: number; y: number }, b: readonly number[], d: number) => Math.hypot(a.x - b[0]!, a.y - b[1]!) <= d;

t.test('start identifies the controller over I2C and sets trigger mode', async (t) => {
  const model = new Ft6236Model();
  model.writeRegister(REG.G_MODE, 0);
  const r = await rig(t, {}, { model });
  t.equal(r.panel.status().health, 'ok');
  t.match(r.panel.status().readings, { chip: 'FT6236', chipId: '0x36', firmware: '0x10', vendor: '0x11', interrupt: 'line 22' });
  t.equal(model.register(REG.G_MODE), 1, 'G_MODE written to trigger mode');
  t.equal(r.gpio.lines.get(INT)?.options.edge, 'falling', 'INT watched on its falling edge');
  t.equal(r.panel.name, 'touch');
  t.equal(r.panel.simulated, true);
});

t.test('the model: read-only registers ignore writes; INT pulses per report in trigger mode, stays low in polling mode', async (t) => {
  const model = new Ft6236Model();
  const gpio = new TestGpioChip();
  model.connectInterrupt((level) => gpio.drive(0, level));
  model.writeRegister(REG.CHIPID, 0x99);
  t.equal(model.register(REG.CHIPID), 0x36);
  const p = { id: 0, event: 'down' as const, x: 5, y: 6, weight: 0, area: 0 };
  model.report([p]);
  model.report([{ ...p, event: 'contact' }]);
  t.equal(gpio.edges, 4, 'two pulses (fall + rise each)');
  t.equal(gpio.level(0), 1);
  model.writeRegister(REG.G_MODE, 0);
  model.report([p]);
  t.equal(gpio.level(0), 0, 'held low while touched');
  model.report([]);
  t.equal(gpio.level(0), 1, 'released when no touch');
});

for (const recording of recordings) {
  t.test(`replayed signature "${recording.name}": strokes assembled from the registers`, async (t) => {
    const r = await rig(t);
    r.panel.begin();
    t.equal(r.panel.capturing, true);
    const readsBefore = r.model.reads;
    await replay(r, recording);
    const signature = r.panel.end();
    t.equal(signature.strokes.length, recording.expect.strokes, `${recording.expect.strokes} strokes`);
    t.ok(r.model.reads > readsBefore, 'the driver read the controller registers');
    t.equal(r.panel.status().readings?.polls, 0, 'every report was read on its interrupt (no polling needed)');
    const pens = recording.contacts.filter((c) => c.kind === 'pen');
    // Each stroke follows its pen contact: every kept point is one of that contact's samples, spikes excepted.
    signature.strokes.forEach((stroke, i) => {
      const pen = pens[i]!;
      const ci = recording.contacts.indexOf(pen);
      const spikes = new Set(recording.expect.spikes.filter(([c]) => c === ci).map(([, p]) => p));
      const allowed = pen.points.filter((_, k) => !spikes.has(k));
      t.ok(stroke.points.every((p) => allowed.some((s) => s[0] === p.x && s[1] === p.y)), `stroke ${i + 1} is made of its pen samples, no spike`);
      t.ok(near(stroke.points[0]!, pen.points[0]!, 0.5), `stroke ${i + 1} starts where the pen came down`);
    });
    for (const contact of recording.contacts.filter((c) => c.kind !== 'pen')) {
      const [x, y] = contact.points[0]!;
      t.notOk(signature.strokes.some((s) => s.points.some((p) => near(p, [x, y], 30))), `no ink where the ${contact.kind} touched`);
    }
    t.same(r.strokes.map((s) => s.points.length), signature.strokes.map((s) => s.points.length), 'a stroke event per stroke');
    t.same(r.faults, []);

    const png = await signature.png();
    const meta = await sharp(png).metadata();
    t.same([meta.format, meta.width, meta.height, meta.channels], ['png', 1200, 400, 1]);
  });
}

t.test('the palm recording: the resting hand is withdrawn as soon as the pen proves to be the pen', async (t) => {
  const recording = recordings.find((r) => r.name === 'palm')!;
  const r = await rig(t);
  r.panel.begin();
  await replay(r, recording);
  r.panel.end();
  t.equal(r.cancels.length, 1, 'one cancel: the hand, drawn while it was alone on the panel');
});

t.test('short INT pulses delivered as sysfs does (the level read after the edge is already high again): every report is still read on its interrupt', async (t) => {
  const recording = recordings[0]!;
  const r = await rig(t, {}, { deferredEdges: true });
  r.panel.begin();
  await replay(r, recording);
  const signature = r.panel.end();
  t.equal(signature.strokes.length, recording.expect.strokes, `${recording.expect.strokes} strokes`);
  t.ok((r.panel.status().readings?.interrupts as number) > 0, 'interrupts counted');
  t.equal(r.panel.status().readings?.polls, 0, 'no report waited for the polling fallback');
});

t.test('polling fallback: no interrupt line, the same signature still comes through', async (t) => {
  const recording = recordings.find((r) => r.name === 'initials')!;
  const r = await rig(t, { pollMs: 5 }, { gpio: false });
  t.match(r.panel.status().readings, { interrupt: 'none (polling)' });
  t.match(r.panel.status().detail, /polling/);
  r.panel.begin();
  const clockStart = performance.now();
  const tick = setInterval(() => (r.clock.now = performance.now() - clockStart), 1);
  t.teardown(() => clearInterval(tick));
  await new TouchReplayer(r.model, recording).play({ speed: 1 });
  await new Promise((resolve) => setTimeout(resolve, 20));
  const signature = r.panel.end();
  t.equal(signature.strokes.length, recording.expect.strokes);
  t.ok(Number(r.panel.status().readings?.polls) > 0, 'read by polling');
});

t.test('an I2C read error mid-signature: fault state and event, no crash, strokes kept, recovery', async (t) => {
  const recording = recordings.find((r) => r.name === 'martin')!;
  const r = await rig(t);
  r.panel.begin();
  const replayer = new TouchReplayer(r.model, recording);
  // The first stroke, then half a second into the second one the bus fails for 10 scans.
  const failAt = recording.contacts[1]!.points[0]![2] + 500;
  while (replayer.time() < failAt) {
    r.clock.now = replayer.time();
    replayer.step();
    await r.panel.settled();
  }
  t.equal(r.strokes.length, 1);
  r.model.setFault('eio');
  for (let i = 0; i < 10; i++) {
    r.clock.now = replayer.time();
    replayer.step();
    await r.panel.settled();
  }
  t.equal(r.faults.length, 1, 'one fault event for a run of failures');
  t.match(r.faults[0], { device: 'touch', fatal: true, message: /touch report read failed: EIO/ });
  t.equal(r.panel.status().health, 'fault');
  t.ok(Number(r.panel.status().readings?.readErrors) >= 10);
  r.model.setFault('garbage');
  r.clock.now = replayer.time();
  replayer.step();
  await r.panel.settled();
  t.match(r.faults[1], { message: /answers garbage/ }, 'garbage is a fault too');
  r.model.setFault('none');
  while (!replayer.done) {
    r.clock.now = replayer.time();
    replayer.step();
    await r.panel.settled();
  }
  t.same(r.recovered, ['touch']);
  t.equal(r.panel.status().health, 'ok');
  const signature = r.panel.end();
  t.equal(signature.strokes.length, recording.expect.strokes, 'every stroke kept: the one under way resumes after the fault');
  t.same(signature.strokes[0]!.points, r.strokes[0]!.points, 'the stroke before the fault is intact');
});

t.test('absent controller or garbage identity: a fault state with an event, retried until it answers', async (t) => {
  const r = await rig(t, {}, { attach: false });
  t.equal(r.panel.status().health, 'absent');
  t.match(r.faults[0], { device: 'touch', message: /no touch controller at I2C 0x38/ });

  const garbage = new Ft6236Model({ chipId: 0xff });
  const g = await rig(t, {}, { model: garbage });
  t.equal(g.panel.status().health, 'fault');
  t.match(g.faults[0], { message: /answers garbage: CHIPID 0xff/ });
});

t.test('a controller that appears later is picked up by the retry', async (t) => {
  const config = configSchema.parse({}).touch;
  const bus = new TestI2cBus();
  const { Ft6236Panel } = await import('../../src/hal/touch/driver.ts');
  const panel = new Ft6236Panel({ address: config.address, width: 800, height: 480, pollMs: 20, probeMs: 5 }, { i2c: bus, logger: silentLogger() });
  t.teardown(() => panel.stop());
  const recovered = new Promise<string>((resolve) => panel.on('recovered', resolve));
  await panel.start();
  t.equal(panel.status().health, 'absent');
  bus.attach(config.address, new Ft6236Model());
  t.equal(await recovered, 'touch');
  t.equal(panel.status().health, 'ok');
});

t.test('the signature PNG: trimmed to the ink, fixed 3:1, anti-aliased, position-independent', async (t) => {
  const recording = recordings.find((r) => r.name === 'martin')!;
  const r = await rig(t);
  r.panel.begin();
  await replay(r, recording);
  const signature = r.panel.end();
  const png = await signature.png();
  t.equal((await sharp(png).metadata()).channels, 1, 'greyscale PNG');
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  let x0 = Infinity, x1 = -1, y0 = Infinity, y1 = -1;
  const levels = new Set<number>();
  for (let y = 0; y < info.height; y++) {
    for (let x = 0; x < info.width; x++) {
      const v = data[y * info.width + x]!;
      levels.add(v);
      if (v < 128) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  t.equal(data[0], 255, 'white background');
  t.ok(levels.has(0), 'black ink');
  t.ok(levels.size > 50, `anti-aliased edges (${levels.size} grey levels)`);
  // The ink fills the frame along its limiting dimension, with the same margin on both sides.
  const marginX = [x0, info.width - 1 - x1];
  const marginY = [y0, info.height - 1 - y1];
  const tight = Math.abs(marginX[0]! - marginX[1]!) <= 4 && Math.abs(marginY[0]! - marginY[1]!) <= 4;
  t.ok(tight, `centred: margins x ${marginX} y ${marginY}`);
  t.ok(Math.min(...marginX, ...marginY) < 50, `trimmed: smallest margin ${Math.min(...marginX, ...marginY)} px`);

  // Moved to another place on the panel, the same signature renders the same.
  const moved = new Signature(signature.strokes.map((s) => ({ id: s.id, points: s.points.map((p) => ({ ...p, x: p.x - 90, y: p.y + 60 })) })), signature.panel, 0);
  t.ok((await moved.png()).equals(png), 'translation does not change the PNG');

  // JSON round trip.
  const again = Signature.fromJson(JSON.parse(JSON.stringify(signature.toJson())));
  t.ok((await again.png()).equals(png), 'rendered again from its JSON: same PNG');
  t.throws(() => Signature.fromJson({ version: 1, panel: { width: 800 }, strokes: [] }), /invalid signature JSON/);
  await t.rejects(new Signature([], { width: 800, height: 480 }, 0).png(), /signature is empty/);
  const wide = await signature.png({ width: 600, aspect: 2 });
  t.match(await sharp(wide).metadata(), { width: 600, height: 300 });
});

t.test('clear during a signature: strokes before are forgotten, a clear event', async (t) => {
  const recording = recordings.find((r) => r.name === 'martin')!;
  const r = await rig(t);
  let cleared = 0;
  r.panel.on('clear', () => cleared++);
  r.panel.begin();
  const replayer = new TouchReplayer(r.model, recording);
  const firstEnd = recording.contacts[0]!.points.at(-1)![2];
  while (replayer.time() <= firstEnd + 20) {
    r.clock.now = replayer.time();
    replayer.step();
    await r.panel.settled();
  }
  r.panel.clear();
  while (!replayer.done) {
    r.clock.now = replayer.time();
    replayer.step();
    await r.panel.settled();
  }
  t.equal(cleared, 1);
  t.equal(r.panel.end().strokes.length, recording.expect.strokes - 1);
});

t.test('bad recordings are refused with the reason', async (t) => {
  const { parseRecording } = await import('../../src/hal/touch/recording.ts');
  t.throws(() => parseRecording({ name: 'x', panel: { width: 800, height: 480 }, scanHz: 100, contacts: [], expect: { strokes: 0 } }), /invalid signature recording/);
  t.throws(
    () => parseRecording({ name: 'x', panel: { width: 800, height: 480 }, scanHz: 100, contacts: [{ points: [[1, 1, 20], [2, 2, 10]] }], expect: { strokes: 1 } }),
    /not later than the one before/,
  );
});
