// The curtain sensor against the simulated gpiochip, on a fake clock: contact chatter gives
// one event, debounce timing, glitches, missed edges, the closed level, faults.
import t, { type Test } from 'tap';
import FakeTimers from '@sinonjs/fake-timers';
import { configSchema, type ConfigInput } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import type { Clock } from '../../src/hal/clock.ts';
import type { DeviceFault } from '../../src/hal/device.ts';
import { SimGpioChip, UnavailableGpioChip, type GpioChip, type GpioLine, type LineOptions } from '../../src/hal/gpio/index.ts';
import { createCurtain, SimCurtainSwitch, type CurtainDevice, type CurtainState } from '../../src/hal/curtain/index.ts';

const START = Date.UTC(2025, 5, 1, 9, 0, 0);

/** A chip that can lose edge reports and fail reads, wrapped around the simulator. */
class FlakyChip implements GpioChip {
  readonly driver = 'flaky';
  readonly simulated = true;
  dropEdges = false;
  failReads = false;
  constructor(readonly sim: SimGpioChip) {}
  async openLine(options: LineOptions): Promise<GpioLine> {
    const line = await this.sim.openLine(options);
    return {
      offset: line.offset,
      read: async () => {
        if (this.failReads) throw new Error('EIO: i/o error, read');
        return line.read();
      },
      write: (l) => line.write(l),
      watch: (listener) => line.watch((l) => this.dropEdges || listener(l)),
      close: () => line.close(),
    };
  }
  close(): Promise<void> {
    return this.sim.close();
  }
}

interface Rig {
  curtain: CurtainDevice;
  chip: FlakyChip;
  sw: SimCurtainSwitch;
  events: [string, number, CurtainState][];
  faults: DeviceFault[];
  recovered: string[];
  fake: FakeTimers.Clock;
  line: number;
}

async function rig(t: Test, curtain: ConfigInput['curtain'] = {}): Promise<Rig> {
  const config = configSchema.parse({ curtain });
  const fake = FakeTimers.createClock(START);
  const clock: Clock = { now: () => fake.now, setTimeout: (f, ms) => fake.setTimeout(f, ms), clearTimeout: (h) => fake.clearTimeout(h as number) };
  const chip = new FlakyChip(new SimGpioChip());
  const dev = createCurtain(config.curtain, { gpio: chip, logger: silentLogger(), clock });
  const r: Rig = { curtain: dev, chip, sw: new SimCurtainSwitch(chip.sim, config.curtain.line, config.curtain.closedLevel, clock), events: [], faults: [], recovered: [], fake, line: config.curtain.line };
  for (const e of ['drawn', 'open'] as const) dev.on(e, (s) => r.events.push([e, fake.now - START, s]));
  dev.on('fault', (f) => r.faults.push(f));
  dev.on('recovered', (n) => r.recovered.push(n));
  t.teardown(() => dev.stop());
  await dev.start();
  return r;
}

t.test('starts open on the pull-up, with the line configured for both edges', async (t) => {
  const r = await rig(t);
  t.same(r.curtain.state(), { drawn: false, at: null });
  t.equal(r.curtain.status().health, 'ok');
  t.match(r.curtain.status().detail, /curtain open \(BCM 27\)/);
  t.match(r.chip.sim.lines().find((l) => l.offset === 27), { direction: 'in', bias: 'pull-up', edge: 'both', consumer: 'cabine-curtain', level: 1 });
});

t.test('a chattering contact gives one event, debounceMs after it settles', async (t) => {
  const r = await rig(t, { debounceMs: 80 });
  const moving = r.sw.draw({ bounces: 6, bounceMs: 36 });
  await r.fake.tickAsync(36);
  await moving;
  t.ok(r.sw.drawn());
  await r.fake.tickAsync(79);
  t.same(r.events, [], 'nothing before the contact has been quiet 80 ms');
  await r.fake.tickAsync(1);
  t.equal(r.events.length, 1);
  t.same(r.events[0]!.slice(0, 2), ['drawn', 116]);
  t.same(r.curtain.state(), { drawn: true, at: new Date(START + 116).toISOString() });

  const opening = r.sw.open({ bounces: 10, bounceMs: 50 });
  await r.fake.tickAsync(1000);
  await opening;
  t.same(
    r.events.map(([e]) => e),
    ['drawn', 'open'],
  );
  t.equal(r.curtain.state().drawn, false);
});

t.test('slow chatter, each bounce shorter than the debounce, is still one event', async (t) => {
  const r = await rig(t, { debounceMs: 80 });
  for (let i = 0; i < 8; i++) {
    r.chip.sim.setInput(r.line, 0);
    await r.fake.tickAsync(60);
    r.chip.sim.setInput(r.line, null);
    await r.fake.tickAsync(60);
  }
  r.chip.sim.setInput(r.line, 0);
  await r.fake.tickAsync(500);
  t.same(
    r.events.map(([e, at]) => [e, at]),
    [['drawn', 960 + 80]],
  );
});

t.test('a glitch that comes back to the same level is no event', async (t) => {
  const r = await rig(t, { debounceMs: 50 });
  r.chip.sim.setInput(r.line, 0);
  await r.fake.tickAsync(10);
  r.chip.sim.setInput(r.line, null);
  await r.fake.tickAsync(5000);
  t.same(r.events, []);
  t.equal(r.curtain.state().drawn, false);
});

t.test('missed edges: the resync read catches the change', async (t) => {
  const r = await rig(t, { debounceMs: 80 });
  r.chip.dropEdges = true;
  r.chip.sim.setInput(r.line, 0);
  await r.fake.tickAsync(1000);
  t.same(r.events, [], 'no edge seen yet');
  await r.fake.tickAsync(1100);
  t.same(
    r.events.map(([e, at]) => [e, at]),
    [['drawn', 2080]],
    'found by the 2 s resync, then debounced',
  );
});

t.test('closedLevel 1: pull-down, drawn when the line is high', async (t) => {
  const r = await rig(t, { closedLevel: 1, debounceMs: 20 });
  t.match(r.chip.sim.lines().find((l) => l.offset === 27), { bias: 'pull-down', level: 0 });
  t.equal(r.curtain.state().drawn, false);
  await Promise.all([r.sw.draw({ bounces: 3 }), r.fake.tickAsync(100)]);
  t.same(
    r.events.map(([e]) => e),
    ['drawn'],
  );
});

t.test('debounceMs 0 reports each settled change at once', async (t) => {
  const r = await rig(t, { debounceMs: 0 });
  r.chip.sim.setInput(r.line, 0);
  await r.fake.tickAsync(0);
  r.chip.sim.setInput(r.line, null);
  await r.fake.tickAsync(0);
  t.same(
    r.events.map(([e]) => e),
    ['drawn', 'open'],
  );
});

t.test('a read error is a fault with an event; the next good read recovers', async (t) => {
  const r = await rig(t, { debounceMs: 30 });
  r.chip.failReads = true;
  r.chip.sim.setInput(r.line, 0);
  await r.fake.tickAsync(100);
  t.equal(r.curtain.status().health, 'fault');
  t.match(r.faults, [{ device: 'curtain', message: /curtain switch \(BCM 27\) cannot be read: EIO/ }]);
  t.same(r.events, []);
  r.chip.failReads = false;
  await r.fake.tickAsync(2100);
  t.equal(r.curtain.status().health, 'ok');
  t.same(r.recovered, ['curtain']);
  t.same(
    r.events.map(([e]) => e),
    ['drawn'],
    'the change that happened meanwhile is reported',
  );
});

t.test('no GPIO: absent, saying why; stop frees the line', async (t) => {
  const dev = createCurtain(configSchema.parse({}).curtain, { gpio: new UnavailableGpioChip('no GPIO sysfs interface'), logger: silentLogger() });
  const faults: DeviceFault[] = [];
  dev.on('fault', (f) => faults.push(f));
  await dev.start();
  t.equal(dev.status().health, 'absent');
  t.match(faults, [{ message: /curtain switch \(BCM 27\): GPIO line 27 unavailable: no GPIO sysfs interface/ }]);
  await dev.stop();

  const r = await rig(t);
  await r.curtain.stop();
  t.equal(r.chip.sim.lines().find((l) => l.offset === 27)?.consumer, undefined);
  r.chip.sim.setInput(r.line, 0);
  await r.fake.tickAsync(5000);
  t.same(r.events, [], 'no events after stop');
});
