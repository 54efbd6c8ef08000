// The curtain switch on a GPIO input, debounced. A mechanical switch chatters for a few
// milliseconds when it moves, and edge reports can be lost or arrive with a level that has
// already changed again, so edges are only a prompt: each one (re)starts a `debounceMs`
// timer, and when the line has been quiet that long its level is read and compared with
// the last stable state. One movement, however much it bounces, is one event; a glitch
// shorter than the debounce that comes back to the same level is none. A slow resync read
// (every `resyncMs`) catches a change whose edges were all missed.
import { BaseDevice } from '../device.ts';
import { systemClock, type Clock } from '../clock.ts';
import type { GpioChip, GpioLine, Level } from '../gpio/interface.ts';
import type { Logger } from '../../log.ts';
import type { CurtainDevice, CurtainState } from './interface.ts';

export interface CurtainOptions {
  line: number;
  debounceMs: number;
  /** Line level when the curtain is drawn (0: switch to ground with a pull-up). */
  closedLevel: Level;
  /** Period of the level check that catches missed edges (ms), default 2000; 0 = off. */
  resyncMs?: number;
}

export interface CurtainDeps {
  gpio: GpioChip;
  logger: Logger;
  clock?: Clock;
}

export class CurtainSensor extends BaseDevice implements CurtainDevice {
  readonly name = 'curtain';
  readonly driver: string;
  readonly simulated: boolean;
  private readonly log: Logger;
  private readonly clock: Clock;
  private line: GpioLine | undefined;
  private unwatch: (() => void) | undefined;
  private stable: Level | undefined;
  private changedAt: number | null = null;
  private debounce: unknown;
  private resync: unknown;
  private stopped = true;
  private readonly counters = { edges: 0, changes: 0 };

  constructor(
    private readonly options: CurtainOptions,
    private readonly deps: CurtainDeps,
  ) {
    super();
    this.driver = `gpio:bcm${options.line}:${deps.gpio.driver}`;
    this.simulated = deps.gpio.simulated;
    this.log = deps.logger.child({ module: 'curtain' });
    this.clock = deps.clock ?? systemClock;
  }

  state(): CurtainState {
    return { drawn: this.stable === this.options.closedLevel, at: this.changedAt === null ? null : new Date(this.changedAt).toISOString() };
  }

  protected override readings(): Record<string, unknown> {
    return { ...this.state(), line: this.options.line, debounceMs: this.options.debounceMs, ...this.counters };
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.health = 'starting';
    const { line, closedLevel } = this.options;
    try {
      this.line = await this.deps.gpio.openLine({
        offset: line,
        direction: 'in',
        edge: 'both',
        bias: closedLevel === 0 ? 'pull-up' : 'pull-down',
        consumer: 'cabine-curtain',
      });
    } catch (err) {
      this.markFault(`curtain switch (BCM ${line}): ${(err as Error).message}`, true, 'absent');
      return;
    }
    this.unwatch = this.line.watch(() => {
      this.counters.edges++;
      this.bounce();
    });
    try {
      this.stable = await this.line.read();
      this.markOk(this.okDetail());
    } catch (err) {
      this.markFault(`curtain switch (BCM ${line}) cannot be read: ${(err as Error).message}`, true);
    }
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.debounce !== undefined) this.clock.clearTimeout(this.debounce);
    if (this.resync !== undefined) this.clock.clearTimeout(this.resync);
    this.debounce = this.resync = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    await this.line?.close().catch(() => undefined);
    this.line = undefined;
    this.markStopped();
  }

  private okDetail(): string {
    return `curtain ${this.state().drawn ? 'drawn' : 'open'} (BCM ${this.options.line})`;
  }

  private bounce(): void {
    if (this.stopped) return;
    if (this.debounce !== undefined) this.clock.clearTimeout(this.debounce);
    this.debounce = this.clock.setTimeout(() => {
      this.debounce = undefined;
      void this.settle();
    }, this.options.debounceMs);
  }

  /** The line has been quiet for debounceMs: its level now is the state. */
  private async settle(): Promise<void> {
    const line = this.line;
    if (!line || this.stopped) return;
    let level: Level;
    try {
      level = await line.read();
    } catch (err) {
      this.markFault(`curtain switch (BCM ${this.options.line}) cannot be read: ${(err as Error).message}`, true);
      return;
    }
    if (this.stopped || this.debounce !== undefined) return; // stopped, or it moved again meanwhile
    const wasFaulty = this.health !== 'ok';
    if (level !== this.stable) {
      const first = this.stable === undefined;
      this.stable = level;
      this.changedAt = this.clock.now();
      if (!first) {
        this.counters.changes++;
        const state = this.state();
        this.log.info({ drawn: state.drawn }, state.drawn ? 'curtain drawn' : 'curtain open');
        this.emit('change', state);
        this.emit(state.drawn ? 'drawn' : 'open', state);
      }
    }
    if (wasFaulty || this.detail !== this.okDetail()) this.markOk(this.okDetail());
  }

  private scheduleResync(): void {
    const period = this.options.resyncMs ?? 2000;
    if (this.stopped || period <= 0) return;
    this.resync = this.clock.setTimeout(() => {
      this.resync = undefined;
      void this.check().finally(() => this.scheduleResync());
    }, period);
  }

  private async check(): Promise<void> {
    if (!this.line || this.debounce !== undefined) return;
    try {
      const level = await this.line.read();
      if (level !== this.stable || this.health !== 'ok') this.bounce();
    } catch (err) {
      this.markFault(`curtain switch (BCM ${this.options.line}) cannot be read: ${(err as Error).message}`, true);
    }
  }
}
