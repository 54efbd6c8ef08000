// The lighting ring: a relay on a GPIO output switches the LED supply, a PCA9685 channel
// sets the brightness by PWM. Rules:
// - the relay only switches at zero duty (it closes before a fade up from dark and opens
//   after a fade down to dark), so its contacts never break the LED current;
// - the chip is (re)configured from scratch at start and after any fault: sleep, PRE_SCALE,
//   MODE2, wake with the datasheet's restart procedure, channel to full off, then read back;
//   a device at the address that does not read back what was written is not a PCA9685;
// - fades are timed steps of `stepMs` (20 ms, 50 writes/s), one 4-byte LEDn write each;
// - operations are queued, so a fade, a self-test and a recovery never interleave on the
//   bus; a newer `set` stops a fade under way at its next step and goes on from there;
// - an I2C or GPIO error puts the device in fault (one event), rejects the call, and the
//   device is probed again every `probeMs` until it answers (`recovered`).
import { BaseDevice, type DeviceHealth } from '../device.ts';
import { sleep, systemClock, type Clock } from '../clock.ts';
import type { GpioChip, GpioLine, Level } from '../gpio/interface.ts';
import { hex, isNack, type I2cBus } from '../i2c/interface.ts';
import type { Logger } from '../../log.ts';
import type { LightingCheck, LightingDevice, LightingSelfTest, LightState } from './interface.ts';
import { dutyCounts, dutyOf, frequencyFor, ledBytes, ledRegister, MODE1, MODE2, prescaleFor, REG } from './pca9685.ts';

export interface LightingOptions {
  relayLine: number;
  address: number;
  channel: number;
  frequencyHz: number;
  /** Default fade duration (ms). */
  fadeMs: number;
  /** State applied once the ring is up (the booth at rest). */
  initial: LightState;
  /** Fade step period (ms), default 20. */
  stepMs?: number;
  /** Retry period while faulty or absent (ms), default 5000. */
  probeMs?: number;
}

export interface LightingDeps {
  gpio: GpioChip;
  i2c: I2cBus;
  logger: Logger;
  clock?: Clock;
}

class LightingError extends Error {
  constructor(
    message: string,
    readonly health: Exclude<DeviceHealth, 'ok' | 'starting' | 'stopped'>,
  ) {
    super(message);
  }
}

const MODE1_RUN = MODE1.AI | MODE1.ALLCALL;
const SELFTEST_PATTERNS = [0xaa, 0x54];

export class LightingRing extends BaseDevice implements LightingDevice {
  readonly name = 'lighting';
  readonly driver: string;
  readonly simulated: boolean;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly prescale: number;
  private readonly stepMs: number;
  private relay: GpioLine | undefined;
  private relayLevel: Level = 0;
  private ready = false;
  private target: LightState;
  private current = 0;
  private lastBytes: number[] | undefined;
  private generation = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private probeTimer: unknown;
  private stopped = true;
  private readonly counters = { errors: 0, fades: 0 };

  constructor(
    private readonly options: LightingOptions,
    private readonly deps: LightingDeps,
  ) {
    super();
    this.driver = `pca9685@${hex(options.address)}:${deps.i2c.driver}+relay:bcm${options.relayLine}:${deps.gpio.driver}`;
    this.simulated = deps.i2c.simulated && deps.gpio.simulated;
    this.log = deps.logger.child({ module: 'lighting' });
    this.clock = deps.clock ?? systemClock;
    this.prescale = prescaleFor(options.frequencyHz);
    this.stepMs = options.stepMs ?? 20;
    this.target = { ...options.initial };
  }

  state(): LightState {
    return { ...this.target };
  }

  output(): number {
    return this.current;
  }

  protected override readings(): Record<string, unknown> {
    return {
      ...this.target,
      output: Math.round(this.current * 10) / 10,
      relay: this.relayLevel,
      frequencyHz: Math.round(frequencyFor(this.prescale) * 10) / 10,
      address: hex(this.options.address),
      channel: this.options.channel,
      ...this.counters,
    };
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.health = 'starting';
    this.detail = undefined;
    await this.enqueue(async () => {
      await this.bringUp();
      await this.apply(this.target, 0, this.generation);
      this.markOk(this.okDetail());
    }).catch((err: unknown) => this.failed(err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    if (this.probeTimer !== undefined) this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    await this.queue.catch(() => undefined);
    // Dark and unpowered when the booth stops; best effort, the hardware may be gone.
    if (this.ready) await this.writeLed(0).catch(() => undefined);
    if (this.relay) {
      await this.relay.write(0).catch(() => undefined);
      await this.relay.close().catch(() => undefined);
    }
    this.relay = undefined;
    this.relayLevel = 0;
    this.ready = false;
    this.markStopped();
  }

  set(update: Partial<LightState>, options: { fadeMs?: number } = {}): Promise<LightState> {
    if (update.level !== undefined && !(Number.isFinite(update.level) && update.level >= 0 && update.level <= 100)) {
      return Promise.reject(new RangeError(`lighting level ${update.level} is not 0-100 %`));
    }
    const fadeMs = options.fadeMs ?? this.options.fadeMs;
    if (!(Number.isFinite(fadeMs) && fadeMs >= 0)) return Promise.reject(new RangeError(`fade of ${fadeMs} ms is not a duration`));
    const next: LightState = { on: update.on ?? this.target.on, level: update.level ?? this.target.level };
    this.target = next;
    const generation = ++this.generation;
    return this.enqueue(async () => {
      if (this.stopped) throw new Error('the lighting ring is stopped');
      if (!this.ready) await this.bringUp();
      await this.apply(next, fadeMs, generation);
      if (this.health !== 'ok') this.markOk(this.okDetail());
      return { ...next };
    }).catch((err: unknown) => {
      if (!this.stopped) this.failed(err);
      throw err instanceof LightingError ? new Error(err.message) : err;
    });
  }

  selfTest(): Promise<LightingSelfTest> {
    return this.enqueue(() => this.runSelfTest());
  }

  // --- internals ---------------------------------------------------------------------

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private okDetail(): string {
    return `PCA9685 at ${hex(this.options.address)}, ${frequencyFor(this.prescale).toFixed(0)} Hz PWM on channel ${this.options.channel}, relay on BCM ${this.options.relayLine}`;
  }

  private failed(err: unknown): void {
    this.counters.errors++;
    const health = err instanceof LightingError ? err.health : 'fault';
    const message = err instanceof Error ? err.message : String(err);
    this.ready = false; // whatever went wrong, the chip is configured again before next use
    // Logged once per distinct problem: a probe failing the same way every 5 s is not news.
    if (this.health !== health || this.detail !== message) this.log.warn({ err }, `lighting ${health}: ${message}`);
    else this.log.debug({ err }, `lighting still ${health}`);
    this.markFault(message, true, health === 'degraded' ? 'degraded' : health);
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer !== undefined) return;
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = undefined;
      if (this.stopped) return;
      void this.enqueue(async () => {
        await this.bringUp();
        await this.apply(this.target, 0, this.generation);
        this.markOk(this.okDetail());
      }).catch((err: unknown) => {
        if (!this.stopped) this.failed(err);
      });
    }, this.options.probeMs ?? 5000);
  }

  /** Opens the relay (off) and configures the chip; throws a LightingError saying what is wrong. */
  private async bringUp(): Promise<void> {
    const { address } = this.options;
    if (!this.relay) {
      try {
        this.relay = await this.deps.gpio.openLine({ offset: this.options.relayLine, direction: 'out', initial: 0, consumer: 'cabine-lighting-relay' });
        this.relayLevel = 0;
      } catch (err) {
        throw new LightingError(`lighting relay (BCM ${this.options.relayLine}): ${(err as Error).message}`, 'absent');
      }
    }
    this.ready = false;
    const i2c = this.deps.i2c;
    try {
      await i2c.readByte(address, REG.MODE1);
    } catch (err) {
      if (isNack(err)) throw new LightingError(`no PCA9685 answers at ${hex(address)} on ${i2c.driver} (${(err as Error).message})`, 'absent');
      throw this.busError(err);
    }
    try {
      // Oscillator off (PRE_SCALE is only writable asleep), auto-increment on.
      await i2c.writeByte(address, REG.MODE1, MODE1_RUN | MODE1.SLEEP);
      await i2c.writeByte(address, REG.PRE_SCALE, this.prescale);
      await i2c.writeByte(address, REG.MODE2, MODE2.OUTDRV);
      await this.wake();
      this.lastBytes = undefined;
      await this.writeLed(0);
      const [mode1, prescale, leds] = [await i2c.readByte(address, REG.MODE1), await i2c.readByte(address, REG.PRE_SCALE), await this.readLed()];
      const problems = [
        (mode1 & ~MODE1.RESTART) !== MODE1_RUN ? `MODE1 reads ${hex(mode1)}, expected ${hex(MODE1_RUN)}` : '',
        prescale !== this.prescale ? `PRE_SCALE reads ${hex(prescale)}, wrote ${hex(this.prescale)}` : '',
        dutyOf(leds) !== 0 ? `channel ${this.options.channel} reads ${leds.map(hex).join(' ')} after full off` : '',
      ].filter(Boolean);
      if (problems.length) throw new LightingError(`the device at ${hex(address)} answers garbage, not a PCA9685: ${problems.join('; ')}`, 'fault');
    } catch (err) {
      throw err instanceof LightingError ? err : this.busError(err);
    }
    this.ready = true;
    this.log.info({ address: hex(address), prescale: this.prescale, frequencyHz: frequencyFor(this.prescale) }, 'PCA9685 configured');
  }

  /**
   * Wakes the chip, datasheet 7.3.1.1: read MODE1; clear SLEEP; if RESTART was set (the PWM
   * ran when it went to sleep), wait for the oscillator (>= 500 us) and write 1 to RESTART.
   */
  private async wake(): Promise<void> {
    const { address } = this.options;
    const mode1 = await this.deps.i2c.readByte(address, REG.MODE1);
    const awake = mode1 & ~MODE1.SLEEP & ~MODE1.RESTART;
    if (mode1 & MODE1.SLEEP) {
      await this.deps.i2c.writeByte(address, REG.MODE1, awake);
      await sleep(this.clock, 1);
    }
    if (mode1 & MODE1.RESTART) await this.deps.i2c.writeByte(address, REG.MODE1, awake | MODE1.RESTART);
  }

  private busError(err: unknown): LightingError {
    const message = (err as Error).message;
    return new LightingError(`PCA9685 at ${hex(this.options.address)}: ${message}`, isNack(err) ? 'absent' : 'fault');
  }

  /** Moves the ring to `state`: relay closed first when lighting up, opened last when going dark. */
  private async apply(state: LightState, fadeMs: number, generation: number): Promise<void> {
    const goal = state.on ? state.level : 0;
    if (goal > 0 && this.relayLevel === 0) {
      await this.writeLed(0);
      await this.setRelay(1);
    }
    const done = await this.fade(goal, fadeMs, generation);
    if (done && goal === 0 && this.relayLevel === 1) await this.setRelay(0);
  }

  /** Steps the duty from the current output to `goal`; false when superseded or stopped. */
  private async fade(goal: number, fadeMs: number, generation: number): Promise<boolean> {
    const from = this.current;
    if (from === goal) return true;
    const steps = fadeMs > 0 ? Math.max(1, Math.round(fadeMs / this.stepMs)) : 1;
    if (steps > 1) this.counters.fades++;
    const t0 = this.clock.now();
    for (let i = 1; i <= steps; i++) {
      // Steps are due at t0 + i x fadeMs/steps, so timer lateness does not add up.
      if (fadeMs > 0) await sleep(this.clock, Math.max(0, t0 + (fadeMs * i) / steps - this.clock.now()));
      if (generation !== this.generation || this.stopped) return false;
      await this.writeLed(i === steps ? goal : from + ((goal - from) * i) / steps);
    }
    return true;
  }

  private async writeLed(percent: number): Promise<void> {
    const bytes = ledBytes(dutyCounts(percent / 100));
    if (!this.lastBytes || bytes.some((b, i) => b !== this.lastBytes?.[i])) {
      try {
        await this.deps.i2c.writeBlock(this.options.address, ledRegister(this.options.channel), Buffer.from(bytes));
      } catch (err) {
        this.ready = false;
        throw this.busError(err);
      }
      this.lastBytes = bytes;
    }
    this.current = percent;
  }

  private async readLed(): Promise<number[]> {
    return [...(await this.deps.i2c.readBlock(this.options.address, ledRegister(this.options.channel), 4))];
  }

  private async setRelay(level: Level): Promise<void> {
    if (!this.relay) throw new LightingError(`lighting relay (BCM ${this.options.relayLine}) is not open`, 'absent');
    try {
      await this.relay.write(level);
    } catch (err) {
      throw new LightingError(`lighting relay (BCM ${this.options.relayLine}): ${(err as Error).message}`, 'fault');
    }
    this.relayLevel = level;
  }

  private async runSelfTest(): Promise<LightingSelfTest> {
    const { address, channel } = this.options;
    const i2c = this.deps.i2c;
    const checks: LightingCheck[] = [];
    const check = (id: string, pass: boolean, detail: string) => checks.push({ id, pass, detail });
    const attempt = async (id: string, body: () => Promise<void>) => {
      try {
        await body();
      } catch (err) {
        check(id, false, (err as Error).message);
      }
    };
    if (!this.ready) {
      await attempt('pca9685.present', async () => {
        await this.bringUp();
        await this.apply(this.target, 0, this.generation);
      });
    }
    if (this.ready) {
      check('pca9685.present', true, `answers at ${hex(address)} on ${i2c.driver}`);
      await attempt('pca9685.mode', async () => {
        const [mode1, mode2] = [await i2c.readByte(address, REG.MODE1), await i2c.readByte(address, REG.MODE2)];
        const ok = (mode1 & ~MODE1.RESTART) === MODE1_RUN && mode2 === MODE2.OUTDRV;
        check('pca9685.mode', ok, `MODE1 ${hex(mode1)} (expected ${hex(MODE1_RUN)}), MODE2 ${hex(mode2)} (expected ${hex(MODE2.OUTDRV)})`);
      });
      await attempt('pca9685.prescale', async () => {
        const prescale = await i2c.readByte(address, REG.PRE_SCALE);
        check('pca9685.prescale', prescale === this.prescale, `PRE_SCALE ${prescale} (expected ${this.prescale}: ${frequencyFor(this.prescale).toFixed(1)} Hz)`);
      });
      // Write/read back on the sub-address registers: unused (MODE1.SUBx off), so harmless.
      await attempt('pca9685.registers', async () => {
        const saved = await i2c.readBlock(address, REG.SUBADR1, 3);
        const bad: string[] = [];
        try {
          for (const pattern of SELFTEST_PATTERNS) {
            await i2c.writeBlock(address, REG.SUBADR1, Buffer.from([pattern, pattern ^ 0xfe, pattern]));
            const back = await i2c.readBlock(address, REG.SUBADR1, 3);
            const want = [pattern, pattern ^ 0xfe, pattern];
            if (want.some((v, i) => back[i] !== v)) bad.push(`wrote ${want.map(hex).join(' ')}, read ${[...back].map(hex).join(' ')}`);
          }
        } finally {
          await i2c.writeBlock(address, REG.SUBADR1, saved);
        }
        check('pca9685.registers', bad.length === 0, bad.length ? bad.join('; ') : 'SUBADR1-3 read back two patterns');
      });
      await attempt('pca9685.channel', async () => {
        const leds = await this.readLed();
        const want = ledBytes(dutyCounts(this.current / 100));
        const ok = want.every((v, i) => leds[i] === v);
        check('pca9685.channel', ok, `LED${channel} ${leds.map(hex).join(' ')} (expected ${want.map(hex).join(' ')}, ${this.current.toFixed(1)} %)`);
      });
    }
    if (this.relay) {
      await attempt('relay', async () => {
        const level = await this.relay!.read();
        check('relay', level === this.relayLevel, `BCM ${this.options.relayLine} reads ${level} (driven ${this.relayLevel})`);
      });
    } else check('relay', false, `relay line BCM ${this.options.relayLine} is not open`);
    const pass = checks.every((c) => c.pass);
    if (!pass) {
      const failed = checks.filter((c) => !c.pass).map((c) => `${c.id}: ${c.detail}`);
      this.failed(new LightingError(`self-test failed: ${failed.join('; ')}`, 'fault'));
    } else if (this.health !== 'ok' && !this.stopped) this.markOk(this.okDetail());
    return { pass, checks };
  }
}
