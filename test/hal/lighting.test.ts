// The lighting ring driver against the PCA9685 register model and the simulated GPIO chip:
// register setup, PWM frequency, duty read back from the LEDn registers, fades stepped on a
// fake clock, relay ordering, the restart sequence, faults (absent, garbage, I2C errors
// mid-fade) and their recovery, the self-test.
import t, { type Test } from 'tap';
import FakeTimers from '@sinonjs/fake-timers';
import { configSchema, type ConfigInput } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import type { Clock } from '../../src/hal/clock.ts';
import type { DeviceFault } from '../../src/hal/device.ts';
import { SimGpioChip, UnavailableGpioChip, type Level } from '../../src/hal/gpio/index.ts';
import { SimI2cBus } from '../../src/hal/i2c/index.ts';
import { createLighting, Pca9685Model, pca9685, type LightingDevice } from '../../src/hal/lighting/index.ts';

const { REG, MODE1 } = pca9685;

function fakeClock() {
  const fake = FakeTimers.createClock(Date.UTC(2025, 0, 1));
  const clock: Clock = { now: () => fake.now, setTimeout: (f, ms) => fake.setTimeout(f, ms), clearTimeout: (h) => fake.clearTimeout(h as number) };
  /** Advances fake time in small steps until `p` settles (bounded). */
  async function until<T>(p: Promise<T>, maxMs = 60_000): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let waited = 0; !settled && waited <= maxMs; waited += 5) await fake.tickAsync(5);
    return p;
  }
  return { fake, clock, until };
}

interface Rig {
  ring: LightingDevice;
  model: Pca9685Model;
  bus: SimI2cBus;
  gpio: SimGpioChip;
  faults: DeviceFault[];
  recovered: string[];
  /** Relay and PWM changes in order: ['relay', 1], ['pwm', 0.5], ... */
  trace: [string, number][];
  fake: ReturnType<typeof fakeClock>['fake'];
  until: <T>(p: Promise<T>, maxMs?: number) => Promise<T>;
  config: ReturnType<typeof configSchema.parse>;
}

type ModelSpec = null | Pca9685Model | ((now: () => number) => Pca9685Model);

async function rig(t: Test, lighting: ConfigInput['lighting'] = {}, opts: { model?: ModelSpec; start?: boolean } = {}): Promise<Rig> {
  const config = configSchema.parse({ lighting });
  const { fake, clock, until } = fakeClock();
  const now = () => fake.now;
  const model = typeof opts.model === 'function' ? opts.model(now) : (opts.model ?? new Pca9685Model({ now }));
  const bus = new SimI2cBus({ record: true });
  if (opts.model !== null) bus.attach(config.lighting.pca9685Address, model);
  const gpio = new SimGpioChip();
  const ring = createLighting(config.lighting, { gpio, i2c: bus, logger: silentLogger(), clock });
  const r: Rig = { ring, model, bus, gpio, faults: [], recovered: [], trace: [], fake, until, config };
  ring.on('fault', (f) => r.faults.push(f));
  ring.on('recovered', (n) => r.recovered.push(n));
  gpio.on('output', (offset: number, level: Level) => offset === config.lighting.relayLine && r.trace.push(['relay', level]));
  model.on('output', (ch: number, duty: number) => ch === config.lighting.pwmChannel && r.trace.push(['pwm', duty]));
  t.teardown(() => ring.stop());
  if (opts.start !== false) await until(ring.start());
  return r;
}

const counts = (percent: number) => Math.round((percent / 100) * 4096) / 4096;

t.test('start configures the PCA9685 and rests at the idle level', async (t) => {
  const r = await rig(t, { idleLevel: 20 });
  t.equal(r.ring.status().health, 'ok');
  t.match(r.ring.status().detail, /PCA9685 at 0x40, 1017 Hz PWM on channel 0, relay on BCM 17/);
  t.equal(r.model.readRegister(REG.MODE1), MODE1.AI | MODE1.ALLCALL, 'awake, auto-increment, RESTART clear');
  t.equal(r.model.readRegister(REG.MODE2), 0x04, 'totem-pole outputs');
  t.equal(r.model.prescale(), 5, 'round(25 MHz / (4096 x 1000 Hz)) - 1');
  t.equal(r.model.output(0), counts(20), 'duty read back from LED0 registers');
  t.equal(r.gpio.output(17), 1, 'relay closed');
  t.same(r.ring.state(), { on: true, level: 20 });
  const ops = r.bus.transfers.filter((x) => x.op.startsWith('write')).map((x) => [x.register, x.data[0]]);
  const sleepAt = ops.findIndex(([reg, v]) => reg === REG.MODE1 && (v! & MODE1.SLEEP) !== 0);
  const prescaleAt = ops.findIndex(([reg]) => reg === REG.PRE_SCALE);
  t.ok(sleepAt >= 0 && sleepAt < prescaleAt, 'PRE_SCALE written while asleep');
  t.same(r.faults, []);
});

t.test('PRE_SCALE for every frequency follows the datasheet formula', async (t) => {
  for (const hz of [24, 50, 60, 100, 200, 333, 1000, 1200, 1526]) {
    const r = await rig(t, { pwmFrequencyHz: hz });
    const want = Math.round(25e6 / (4096 * hz)) - 1;
    t.equal(r.model.prescale(), want, `${hz} Hz -> PRE_SCALE ${want}`);
    t.ok(Math.abs(r.model.frequencyHz() - hz) / hz < 0.15, `${hz} Hz -> ${r.model.frequencyHz().toFixed(1)} Hz`);
  }
});

t.test('fades step the duty over fadeMs; the relay switches only at zero duty', async (t) => {
  const r = await rig(t, { idleLevel: 0, fadeMs: 300 });
  t.equal(r.gpio.output(17), 0, 'idle level 0: relay open');
  r.trace.length = 0;
  const p = r.ring.set({ on: true, level: 85 });
  await r.fake.tickAsync(150);
  const mid = r.model.output(0);
  t.ok(mid > 0.3 && mid < 0.6, `half-way through the fade the duty is ${mid}`);
  t.same(await r.until(p), { on: true, level: 85 });
  t.equal(r.model.output(0), counts(85));
  const duties = r.trace.filter(([k]) => k === 'pwm').map(([, v]) => v);
  t.equal(duties.length, 15, '300 ms in 20 ms steps');
  t.ok(
    duties.every((d, i) => i === 0 || d > duties[i - 1]!),
    'monotonic',
  );
  t.same(r.trace[0], ['relay', 1], 'relay closed before any duty');

  r.trace.length = 0;
  await r.until(r.ring.set({ on: false }));
  t.equal(r.model.output(0), 0);
  t.same(r.trace.at(-1), ['relay', 0], 'relay opened last');
  t.same(r.trace.at(-2), ['pwm', 0], '... after the duty reached 0');
  t.same(r.ring.state(), { on: false, level: 85 }, 'the level is kept for the next on');
  await r.until(r.ring.set({ on: true }, { fadeMs: 0 }));
  t.equal(r.model.output(0), counts(85), 'fadeMs 0: at once');
});

t.test('full on and full off use the LEDn full bits', async (t) => {
  const r = await rig(t);
  await r.until(r.ring.set({ on: true, level: 100 }, { fadeMs: 0 }));
  t.same(r.model.ledRegisters(0), [0, 0x10, 0, 0], 'LED0_ON_H full-on bit');
  t.equal(r.model.output(0), 1);
  await r.until(r.ring.set({ level: 0 }, { fadeMs: 0 }));
  t.same(r.model.ledRegisters(0), [0, 0, 0, 0x10], 'LED0_OFF_H full-off bit');
  t.equal(r.gpio.output(17), 0, 'level 0 opens the relay');
  await r.until(r.ring.set({ level: 42.5 }, { fadeMs: 0 }));
  t.same(r.model.ledRegisters(0), [0, 0, 1741 & 0xff, 1741 >> 8], '42.5 % = 1741/4096');
});

t.test('another channel and address', async (t) => {
  const r = await rig(t, { pwmChannel: 7, pca9685Address: 0x5a, idleLevel: 50 });
  t.equal(r.model.output(7), counts(50));
  t.equal(r.model.output(0), 0);
});

t.test('a newer set supersedes a fade under way', async (t) => {
  const r = await rig(t, { idleLevel: 0 });
  const slow = r.ring.set({ on: true, level: 100 }, { fadeMs: 1000 });
  await r.fake.tickAsync(300);
  const reached = r.model.output(0);
  t.ok(reached > 0.2 && reached < 0.4, `stopped at ${reached}`);
  const quick = r.ring.set({ level: 10 }, { fadeMs: 0 });
  await r.until(Promise.all([slow, quick]));
  t.equal(r.model.output(0), counts(10));
  await r.fake.tickAsync(2000);
  t.equal(r.model.output(0), counts(10), 'the old fade does not resume');
  await t.rejects(r.ring.set({ level: 101 }), /level 101 is not 0-100/);
  await t.rejects(r.ring.set({ level: Number.NaN }), /not 0-100/);
  t.same(r.ring.state(), { on: true, level: 10 }, 'a rejected value changes nothing');
});

t.test('absent chip: absent with the reason, one fault event, recovered when it answers', async (t) => {
  const r = await rig(t, { idleLevel: 30 }, { model: null });
  t.equal(r.ring.status().health, 'absent');
  t.match(r.ring.status().detail, /no PCA9685 answers at 0x40 on sim:i2c-1 \(EREMOTEIO/);
  t.equal(r.faults.length, 1);
  await t.rejects(r.until(r.ring.set({ level: 50 })), /no PCA9685 answers at 0x40/);
  t.equal(r.faults.length, 1, 'no new event for the same fault');
  r.bus.attach(0x40, r.model);
  await r.fake.tickAsync(5000);
  await r.fake.tickAsync(50);
  t.equal(r.ring.status().health, 'ok');
  t.same(r.recovered, ['lighting']);
  t.equal(r.model.output(0), counts(50), 'the state asked for meanwhile is applied');
});

t.test('no GPIO: absent, saying why', async (t) => {
  const config = configSchema.parse({});
  const bus = new SimI2cBus();
  bus.attach(0x40, new Pca9685Model());
  const ring = createLighting(config.lighting, { gpio: new UnavailableGpioChip('no GPIO sysfs interface'), i2c: bus, logger: silentLogger() });
  t.teardown(() => ring.stop());
  await ring.start();
  t.equal(ring.status().health, 'absent');
  t.match(ring.status().detail, /lighting relay \(BCM 17\): GPIO line 17 unavailable: no GPIO sysfs interface/);
});

t.test('a device at the address that is not a PCA9685 is a fault', async (t) => {
  // An INA219 current monitor also lives at 0x40: it acknowledges but its registers differ.
  const regs = new Map<number, number>();
  const notPca = { readRegister: (r: number) => regs.get(r) ?? 0x39, writeRegister: (r: number, v: number) => void (r === 0 && regs.set(r, v)) };
  const config = configSchema.parse({});
  const bus = new SimI2cBus();
  bus.attach(0x40, notPca);
  const ring = createLighting(config.lighting, { gpio: new SimGpioChip(), i2c: bus, logger: silentLogger() });
  t.teardown(() => ring.stop());
  await ring.start();
  t.equal(ring.status().health, 'fault');
  t.match(ring.status().detail, /the device at 0x40 answers garbage, not a PCA9685: PRE_SCALE reads 0x39, wrote 0x05/);
});

t.test('an I2C error mid-fade: fault event, clear rejection, no crash; the next set recovers', async (t) => {
  const r = await rig(t, { idleLevel: 0, fadeMs: 200 });
  r.bus.injectFault(0x40, { op: 'write', after: 4, code: 'EIO' });
  await t.rejects(r.until(r.ring.set({ on: true, level: 80 })), /PCA9685 at 0x40: EIO: i\/o error, write/);
  t.equal(r.ring.status().health, 'fault');
  t.equal(r.faults.length, 1);
  t.match(r.faults[0], { device: 'lighting', fatal: true, message: /EIO/ });
  t.equal(r.ring.state().level, 80, 'the state asked for is kept');
  await r.until(r.ring.set({ level: 60 }, { fadeMs: 0 }));
  t.equal(r.ring.status().health, 'ok');
  t.same(r.recovered, ['lighting']);
  t.equal(r.model.output(0), counts(60));
  t.equal(r.model.readRegister(REG.MODE1), MODE1.AI | MODE1.ALLCALL, 'reconfigured');
});

t.test('a failing read during recovery keeps it faulty until the chip answers', async (t) => {
  const r = await rig(t, { idleLevel: 40 });
  r.bus.injectFault(0x40, { code: 'ETIMEDOUT', times: 3 });
  await t.rejects(r.until(r.ring.set({ level: 70 }, { fadeMs: 0 })), /ETIMEDOUT/);
  t.equal(r.ring.status().health, 'fault');
  await r.fake.tickAsync(5100); // probe 1: fails (2nd injected error)
  t.equal(r.ring.status().health, 'fault');
  await r.fake.tickAsync(5100); // probe 2: fails (3rd)
  await r.fake.tickAsync(5100); // probe 3: answers
  t.equal(r.ring.status().health, 'ok');
  t.equal(r.model.output(0), counts(70));
  t.ok(r.faults.length >= 1 && r.faults.every((f) => /ETIMEDOUT/.test(f.message)), 'fault events say why');
  t.same(r.recovered, ['lighting'], 'one recovery');
});

t.test('restart sequence: a chip left asleep with its PWM held is woken per datasheet', async (t) => {
  let m = new Pca9685Model();
  const r = await rig(
    t,
    { idleLevel: 25 },
    {
      model: (now) => {
        m = new Pca9685Model({ now });
        // A previous run left channel 0 at 50 % and put the chip to sleep: RESTART is set.
        m.writeRegister(REG.MODE1, MODE1.AI);
        m.writeBlock(REG.LED0_ON_L, Buffer.from([0, 0, 0, 8]));
        m.writeRegister(REG.MODE1, MODE1.AI | MODE1.SLEEP);
        t.equal(m.readRegister(REG.MODE1) & MODE1.RESTART, MODE1.RESTART, 'RESTART set by the chip');
        return m;
      },
    },
  );
  t.equal(m.restarts, 1, 'RESTART written once');
  t.equal(m.lostRestarts, 0, 'not before the oscillator settled');
  t.equal(m.readRegister(REG.MODE1), MODE1.AI | MODE1.ALLCALL);
  t.equal(r.ring.status().health, 'ok');
  t.equal(m.output(0), counts(25));
});

t.test('self-test: registers read back, nothing visible changes; a broken chip fails it', async (t) => {
  const r = await rig(t, { idleLevel: 35 });
  const before = r.model.output(0);
  const result = await r.until(r.ring.selfTest());
  t.ok(result.pass, JSON.stringify(result.checks));
  t.same(
    result.checks.map((c) => c.id),
    ['pca9685.present', 'pca9685.mode', 'pca9685.prescale', 'pca9685.registers', 'pca9685.channel', 'relay'],
  );
  t.equal(r.model.output(0), before);
  t.same([REG.SUBADR1, REG.SUBADR2, REG.SUBADR3].map((x) => r.model.readRegister(x)), [0xe2, 0xe4, 0xe8], 'sub-addresses restored');

  class StuckBit extends Pca9685Model {
    override readRegister(register: number): number {
      const v = super.readRegister(register);
      return register === REG.SUBADR2 ? v | 0x80 : v; // bit 7 stuck high
    }
  }
  const bad = await rig(t, {}, { model: new StuckBit() });
  const failed = await bad.until(bad.ring.selfTest());
  t.notOk(failed.pass);
  t.match(failed.checks.find((c) => c.id === 'pca9685.registers'), { pass: false, detail: /wrote 0x54 0xaa 0x54, read 0x54 0xaa 0x54|wrote 0xaa 0x54 0xaa, read 0xaa 0xd4 0xaa/ });
  t.equal(bad.ring.status().health, 'fault');
  t.match(bad.faults[0]?.message, /self-test failed: pca9685.registers/);

  const gone = await rig(t, {});
  gone.bus.detach(0x40);
  gone.bus.injectFault(0x40, {});
  const none = await gone.until(gone.ring.selfTest());
  t.notOk(none.pass);
  t.equal(none.checks.find((c) => c.id === 'pca9685.mode')?.pass, false);
});

t.test('stop leaves the ring dark, the relay open and the line free', async (t) => {
  const r = await rig(t, { idleLevel: 60 });
  await r.ring.stop();
  t.equal(r.model.output(0), 0);
  t.equal(r.gpio.output(17), 0);
  t.equal(r.gpio.lines().find((l) => l.offset === 17)?.consumer, undefined);
  t.equal(r.ring.status().health, 'stopped');
  await t.rejects(r.ring.set({ level: 10 }), /stopped/);
});
