// The FT5x06/FT6x36 driver: identifies the controller, sets it to trigger mode (one INT pulse
// per scan report), reads each report on the interrupt line's falling edge, and polls as a
// fallback (no interrupt line, or a missed edge). Reports go through the stroke assembler.
// The same code runs on the real bus (i2c-bus) and on the simulated one (sim.ts model).
import { every, systemClock, type Clock } from '../clock.ts';
import { BaseDevice } from '../device.ts';
import type { GpioChip, GpioLine } from '../gpio/interface.ts';
import type { I2cBus } from '../i2c/interface.ts';
import type { Logger } from '../../log.ts';
import { decodeReport, KNOWN_CHIPS, REG, REPORT_LENGTH } from './ft6236.ts';
import type { TouchPanelDevice } from './interface.ts';
import { Signature } from './signature.ts';
import { defaultFilterOptions, StrokeAssembler, type StrokeFilterOptions } from './strokes.ts';

export interface TouchPanelOptions {
  /** I2C address (0x38 for the whole family). */
  address: number;
  /** BCM line of the INT pin; undefined = polling only. */
  interruptLine?: number;
  /** Panel size in controller units. */
  width: number;
  height: number;
  /** Polling fallback period while a signature is taken (ms). */
  pollMs: number;
  /** Retry period of a controller that was absent or faulty at start (ms). */
  probeMs?: number;
  filter?: Partial<StrokeFilterOptions>;
}

export interface TouchPanelDeps {
  i2c: I2cBus;
  gpio?: GpioChip;
  logger: Logger;
  /** Clock (ms) for point timestamps; default the clock's, else performance.now. */
  now?: () => number;
  /** The probe and poll timers run on this clock. */
  clock?: Clock;
}

const hex = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;

export class Ft6236Panel extends BaseDevice implements TouchPanelDevice {
  readonly name = 'touch';
  readonly driver: string;
  readonly simulated: boolean;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly assembler: StrokeAssembler;
  private line: GpioLine | undefined;
  private unwatch: (() => void) | undefined;
  private stopPollTimer: (() => void) | undefined;
  private probeTimer: unknown;
  private readonly clock: Clock;
  private chip: { id: number; name: string; maxPoints: number; firmware: number; vendor: number } | undefined;
  private began = 0;
  private capturingNow = false;
  private reading: Promise<void> | undefined;
  private again = false;
  private lastInterrupt = -Infinity;
  private lastReport: Buffer | undefined;
  private counters = { reports: 0, interrupts: 0, polls: 0, readErrors: 0 };
  private stopped = true;

  constructor(
    private readonly options: TouchPanelOptions,
    private readonly deps: TouchPanelDeps,
  ) {
    super();
    this.driver = `ft6236@${hex(options.address)}+${deps.i2c.driver}`;
    this.simulated = deps.i2c.simulated;
    this.log = deps.logger.child({ module: 'touch' });
    this.clock = deps.clock ?? systemClock;
    const clock = deps.clock;
    this.now = deps.now ?? (clock ? () => clock.now() : () => performance.now());
    this.assembler = new StrokeAssembler(
      { ...defaultFilterOptions(options.width, options.height), ...options.filter },
      {
        point: (id, p) => this.emit('point', id, p),
        stroke: (s) => this.emit('stroke', s),
        cancel: (id, reason) => {
          this.log.debug({ stroke: id, reason }, 'stroke rejected');
          this.emit('cancel', id, reason);
        },
      },
    );
  }

  get capturing(): boolean {
    return this.capturingNow;
  }

  protected override readings(): Record<string, unknown> {
    return {
      ...(this.chip ? { chip: this.chip.name, chipId: hex(this.chip.id), firmware: hex(this.chip.firmware), vendor: hex(this.chip.vendor) } : {}),
      interrupt: this.line ? `line ${this.options.interruptLine}` : 'none (polling)',
      capturing: this.capturingNow,
      ...this.counters,
    };
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.health = 'starting';
    if (this.options.interruptLine !== undefined && this.deps.gpio) {
      try {
        this.line = await this.deps.gpio.openLine({ offset: this.options.interruptLine, direction: 'in', edge: 'falling', consumer: 'cabine-touch-int' });
        // Every call is a falling edge (the line watches only those). The level passed is read
        // when the watcher runs: after the chip's short trigger-mode pulse it is high again, so
        // it must not be used to drop the edge (that dropped every real interrupt).
        this.unwatch = this.line.watch(() => {
          this.counters.interrupts++;
          this.lastInterrupt = this.now();
          if (this.capturingNow) this.scheduleRead(true);
        });
      } catch (err) {
        this.log.warn({ err }, `touch interrupt line ${this.options.interruptLine} unavailable, polling instead`);
      }
    }
    await this.probe();
  }

  /** Identifies and configures the controller; on failure the device is absent/faulty and retried. */
  private async probe(): Promise<void> {
    const { i2c } = this.deps;
    const address = this.options.address;
    try {
      const id = await i2c.readByte(address, REG.CHIPID);
      const known = KNOWN_CHIPS[id];
      if (!known) {
        this.markFault(`touch controller at ${hex(address)} answers garbage: CHIPID ${hex(id)} is not an FT5x06/FT6x36`, true);
        this.scheduleProbe();
        return;
      }
      const firmware = await i2c.readByte(address, REG.FIRMID);
      const vendor = await i2c.readByte(address, REG.VENDID);
      await i2c.writeByte(address, REG.DEVICE_MODE, 0x00);
      await i2c.writeByte(address, REG.G_MODE, 0x01);
      this.chip = { id, name: known.name, maxPoints: known.maxPoints, firmware, vendor };
      this.markOk(`${known.name} firmware ${hex(firmware)}${this.line ? '' : ', polling (no interrupt line)'}`);
      this.log.info({ chip: known.name, firmware: hex(firmware), vendor: hex(vendor) }, 'touch controller ready');
      if (this.capturingNow) this.startPolling();
    } catch (err) {
      this.markFault(`no touch controller at I2C ${hex(address)} (${(err as Error).message})`, true, 'absent');
      this.scheduleProbe();
    }
  }

  private scheduleProbe(): void {
    if (this.stopped || this.probeTimer !== undefined) return;
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = undefined;
      if (!this.stopped) void this.probe();
    }, this.options.probeMs ?? 5000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopPolling();
    if (this.probeTimer !== undefined) this.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    await this.reading;
    await this.line?.close().catch(() => undefined);
    this.line = undefined;
    this.capturingNow = false;
    this.markStopped();
  }

  begin(): void {
    this.assembler.reset();
    this.began = this.now();
    this.lastReport = undefined;
    this.capturingNow = true;
    if (this.chip) this.startPolling();
  }

  clear(): void {
    this.assembler.clear();
    this.emit('clear');
  }

  end(): Signature {
    this.capturingNow = false;
    this.stopPolling();
    this.assembler.flush();
    return new Signature(this.assembler.strokes(), { width: this.options.width, height: this.options.height }, Math.max(0, this.now() - this.began));
  }

  async settled(): Promise<void> {
    while (this.reading) await this.reading;
  }

  private startPolling(): void {
    if (this.stopPollTimer) return;
    this.stopPollTimer = every(this.clock, this.options.pollMs, () => {
      // Poll only when the interrupt line has been quiet for a period: it covers a missing
      // line and missed edges without doubling the reads of a working one.
      if (this.now() - this.lastInterrupt < this.options.pollMs) return;
      this.counters.polls++;
      this.scheduleRead(false);
    });
  }

  private stopPolling(): void {
    this.stopPollTimer?.();
    this.stopPollTimer = undefined;
  }

  /** One read at a time; an interrupt during a read queues exactly one more. */
  private scheduleRead(fresh: boolean): void {
    if (this.reading) {
      if (fresh) this.again = true;
      return;
    }
    this.reading = this.readReport(fresh).finally(() => {
      this.reading = undefined;
      if (this.again && this.capturingNow) {
        this.again = false;
        this.scheduleRead(true);
      }
    });
  }

  private async readReport(fresh: boolean): Promise<void> {
    if (!this.chip) return;
    const t = this.now() - this.began;
    let bytes: Buffer;
    try {
      bytes = await this.deps.i2c.readBlock(this.options.address, 0x00, REPORT_LENGTH);
    } catch (err) {
      this.counters.readErrors++;
      this.markFault(`touch report read failed: ${(err as Error).message}`, true);
      return;
    }
    let report;
    try {
      report = decodeReport(bytes, this.chip.maxPoints);
    } catch (err) {
      this.counters.readErrors++;
      this.markFault(`touch controller answers garbage: ${(err as Error).message}`, true);
      return;
    }
    if (this.health !== 'ok') this.markOk(`${this.chip.name} firmware ${hex(this.chip.firmware)}`);
    // With a working INT line, a poll that reads back the report already processed is not a
    // new scan (the chip pulses on every scan). Polling alone cannot tell a resting pen from
    // the same scan read twice, so there every read counts.
    if (!fresh && this.line && this.lastReport?.equals(bytes)) return;
    this.lastReport = bytes;
    this.counters.reports++;
    if (this.capturingNow) this.assembler.feed(report.points, t);
  }
}
