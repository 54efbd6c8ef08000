// The real GPIO chip: the kernel's sysfs GPIO interface through `onoff` (poll(2) on the
// value file for edges, via its `epoll` addon). `onoff` is an optional dependency, loaded
// on first use, so a machine without it (or without GPIO) still runs the simulated booth.
// Lines are addressed by BCM offset and resolved to base + offset on the chip found by
// sysfs.ts; the sysfs interface cannot set pull resistors, the overlay does.
import type { Logger } from '../../log.ts';
import type { GpioChip, GpioLine, Level, LineOptions } from './interface.ts';
import { kernelLineNumber, type GpioChipInfo } from './sysfs.ts';

/** The part of onoff's `Gpio` class this driver uses (its own typings, narrowed). */
export interface OnoffGpio {
  read(): Promise<0 | 1>;
  write(value: 0 | 1): Promise<void>;
  watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatchAll(): void;
  unexport(): void;
}
export type OnoffGpioConstructor = new (
  gpio: number,
  direction: 'in' | 'out' | 'high' | 'low',
  edge?: 'none' | 'rising' | 'falling' | 'both',
  options?: { reconfigureDirection?: boolean },
) => OnoffGpio;

/** Loads onoff's Gpio class; throws a clear error when the package is not installed. */
export async function loadOnoff(): Promise<OnoffGpioConstructor> {
  try {
    const name = 'onoff'; // a variable: typing does not depend on the optional package
    const mod = (await import(name)) as { Gpio?: unknown };
    if (typeof mod.Gpio !== 'function') throw new Error('onoff has no Gpio export');
    return mod.Gpio as OnoffGpioConstructor;
  } catch (err) {
    throw new Error(`the onoff package is not usable (${(err as Error).message}); install it with npm on the booth`, { cause: err });
  }
}

class OnoffLine implements GpioLine {
  private readonly listeners = new Set<(level: Level) => void>();
  private watching = false;
  private closed = false;
  constructor(
    readonly offset: number,
    private readonly kernel: number,
    private readonly gpio: OnoffGpio,
    private readonly options: LineOptions,
    private readonly log: Logger,
    private readonly onClose: () => void,
  ) {}

  async read(): Promise<Level> {
    return this.gpio.read();
  }

  async write(level: Level): Promise<void> {
    if (this.options.direction !== 'out') throw new Error(`GPIO line ${this.offset} is an input: it cannot be written`);
    await this.gpio.write(level);
  }

  watch(listener: (level: Level) => void): () => void {
    this.listeners.add(listener);
    if (!this.watching) {
      this.watching = true;
      this.gpio.watch((err, value) => {
        if (err) {
          this.log.warn({ err, line: this.offset, gpio: this.kernel }, 'GPIO edge read failed');
          return;
        }
        for (const l of [...this.listeners]) {
          try {
            l(value);
          } catch (e) {
            this.log.error({ err: e, line: this.offset }, 'GPIO edge listener threw');
          }
        }
      });
    }
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.gpio.unwatchAll();
    try {
      this.gpio.unexport();
    } catch (err) {
      this.log.warn({ err, line: this.offset }, 'GPIO unexport failed');
    }
    this.onClose();
  }
}

export class OnoffGpioChip implements GpioChip {
  readonly driver: string;
  readonly simulated = false;
  private readonly log: Logger;
  private readonly open = new Map<number, OnoffLine>();

  constructor(
    readonly chip: GpioChipInfo,
    private readonly Gpio: OnoffGpioConstructor,
    logger: Logger,
  ) {
    this.driver = `sysfs:${chip.label}@${chip.base}`;
    this.log = logger.child({ module: 'gpio' });
  }

  async openLine(options: LineOptions): Promise<GpioLine> {
    const kernel = kernelLineNumber(this.chip, options.offset);
    if (this.open.has(options.offset)) throw new Error(`GPIO line ${options.offset} is busy (already opened by this process)`);
    if (options.direction === 'in' && options.bias && options.bias !== 'none') {
      this.log.debug({ line: options.offset, bias: options.bias }, 'bias is set by the device-tree overlay, not by sysfs');
    }
    const direction = options.direction === 'out' ? (options.initial === 1 ? 'high' : 'low') : 'in';
    let gpio: OnoffGpio;
    try {
      gpio = new this.Gpio(kernel, direction, options.direction === 'in' ? (options.edge ?? 'none') : 'none');
    } catch (err) {
      throw new Error(`cannot open GPIO line BCM ${options.offset} (sysfs gpio${kernel} on ${this.chip.label}): ${(err as Error).message}`, { cause: err });
    }
    const line = new OnoffLine(options.offset, kernel, gpio, options, this.log, () => this.open.delete(options.offset));
    this.open.set(options.offset, line);
    this.log.debug({ line: options.offset, gpio: kernel, direction, consumer: options.consumer }, 'GPIO line opened');
    return line;
  }

  async close(): Promise<void> {
    for (const line of [...this.open.values()]) await line.close();
  }
}

/** A chip that could not be had: every openLine rejects with the reason (no crash at boot). */
export class UnavailableGpioChip implements GpioChip {
  readonly driver: string;
  readonly simulated = false;
  constructor(readonly reason: string) {
    this.driver = 'none';
  }
  async openLine(options: LineOptions): Promise<GpioLine> {
    throw new Error(`GPIO line ${options.offset} unavailable: ${this.reason}`);
  }
  async close(): Promise<void> {}
}
