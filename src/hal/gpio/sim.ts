// A simulated gpiochip at line level: each pin has a mode (input/output), an output latch,
// an internal bias and, optionally, a level driven from outside (a switch, another chip's
// pin). Its electrical level follows the same rules as a real pin: an output shows its
// latch; an input shows what drives it, else its pull-up (1) or pull-down (0), else 0
// (floating). Level changes fire the edges an input line watches, synchronously, so a test
// or a device model drives inputs with `setInput` and reads outputs with `level`/`output`.
import { EventEmitter } from 'node:events';
import type { Logger } from '../../log.ts';
import type { Bias, Edge, GpioChip, GpioLine, Level, LineOptions } from './interface.ts';

interface Pin {
  mode: 'in' | 'out';
  latch: Level;
  bias: Bias;
  /** Level forced from outside the chip; undefined = nothing drives the pin. */
  driven: Level | undefined;
  line: SimLine | undefined;
  level: Level;
}

export interface SimLineInfo {
  offset: number;
  direction: 'in' | 'out';
  level: Level;
  bias: Bias;
  /** Set while a driver holds the line. */
  consumer?: string;
  edge?: Edge;
}

function fires(edge: Edge, level: Level): boolean {
  return edge === 'both' || (edge === 'rising' && level === 1) || (edge === 'falling' && level === 0);
}

class SimLine implements GpioLine {
  readonly listeners = new Set<(level: Level) => void>();
  closed = false;
  constructor(
    private readonly chip: SimGpioChip,
    readonly options: LineOptions,
  ) {}
  get offset(): number {
    return this.options.offset;
  }
  async read(): Promise<Level> {
    this.assertOpen();
    return this.chip.level(this.offset);
  }
  async write(level: Level): Promise<void> {
    this.assertOpen();
    if (this.options.direction !== 'out') throw new Error(`GPIO line ${this.offset} is an input: it cannot be written`);
    this.chip.setLatch(this.offset, level);
  }
  watch(listener: (level: Level) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.chip.release(this);
  }
  private assertOpen(): void {
    if (this.closed) throw new Error(`GPIO line ${this.offset} is closed`);
  }
}

export interface SimGpioOptions {
  /** Number of lines (58, like the Pi 4's BCM2711). */
  ngpio?: number;
  logger?: Logger;
  /** Pin biases set "in hardware" before any driver opens a line (the overlay's pull-ups). */
  bias?: Record<number, Bias>;
}

export class SimGpioChip extends EventEmitter implements GpioChip {
  readonly driver = 'sim';
  readonly simulated = true;
  readonly ngpio: number;
  private readonly pins = new Map<number, Pin>();
  private readonly log: Logger | undefined;

  constructor(options: SimGpioOptions = {}) {
    super();
    this.ngpio = options.ngpio ?? 58;
    this.log = options.logger?.child({ module: 'gpio-sim' });
    for (const [offset, bias] of Object.entries(options.bias ?? {})) this.pin(Number(offset)).bias = bias;
    for (const pin of this.pins.values()) pin.level = this.compute(pin);
  }

  async openLine(options: LineOptions): Promise<GpioLine> {
    const pin = this.pin(options.offset);
    if (pin.line) throw new Error(`GPIO line ${options.offset} is busy (held by ${pin.line.options.consumer ?? 'another driver'})`);
    const line = new SimLine(this, options);
    pin.line = line;
    pin.mode = options.direction;
    if (options.direction === 'out') pin.latch = options.initial ?? 0;
    if (options.bias) pin.bias = options.bias;
    this.update(options.offset, pin);
    return line;
  }

  /** Drives pin `offset` from outside (a switch closing to ground is 0); null stops driving it. */
  setInput(offset: number, level: Level | null): void {
    const pin = this.pin(offset);
    pin.driven = level ?? undefined;
    this.update(offset, pin);
  }

  /** Electrical level of a pin now. */
  level(offset: number): Level {
    return this.pin(offset).level;
  }

  /** The latch of a pin configured as output, undefined for an input. */
  output(offset: number): Level | undefined {
    const pin = this.pin(offset);
    return pin.mode === 'out' ? pin.latch : undefined;
  }

  /** What each touched pin is doing, for `cabine devices` and tests. */
  lines(): SimLineInfo[] {
    return [...this.pins.entries()]
      .sort(([a], [b]) => a - b)
      .map(([offset, pin]) => ({
        offset,
        direction: pin.mode,
        level: pin.level,
        bias: pin.bias,
        ...(pin.line ? { consumer: pin.line.options.consumer ?? '?', edge: pin.line.options.edge ?? 'none' } : {}),
      }));
  }

  /** @internal (SimLine) */
  setLatch(offset: number, level: Level): void {
    const pin = this.pin(offset);
    pin.latch = level;
    this.update(offset, pin);
  }

  /** @internal (SimLine) the line is given back; the pin keeps its mode, latch and bias. */
  release(line: SimLine): void {
    const pin = this.pins.get(line.offset);
    if (pin?.line === line) pin.line = undefined;
  }

  async close(): Promise<void> {
    for (const pin of this.pins.values()) await pin.line?.close();
  }

  private pin(offset: number): Pin {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.ngpio) {
      throw new Error(`GPIO line ${offset} does not exist on the simulated chip (lines 0-${this.ngpio - 1})`);
    }
    let pin = this.pins.get(offset);
    if (!pin) {
      pin = { mode: 'in', latch: 0, bias: 'none', driven: undefined, line: undefined, level: 0 };
      this.pins.set(offset, pin);
    }
    return pin;
  }

  private compute(pin: Pin): Level {
    if (pin.mode === 'out') return pin.latch;
    if (pin.driven !== undefined) return pin.driven;
    return pin.bias === 'pull-up' ? 1 : 0;
  }

  private update(offset: number, pin: Pin): void {
    const level = this.compute(pin);
    if (level === pin.level) return;
    pin.level = level;
    if (pin.mode === 'out') this.emit('output', offset, level);
    this.emit('change', offset, level);
    const line = pin.line;
    if (!line || pin.mode !== 'in' || !fires(line.options.edge ?? 'none', level)) return;
    for (const listener of [...line.listeners]) {
      try {
        listener(level);
      } catch (err) {
        this.log?.error({ err, line: offset }, 'GPIO edge listener threw');
      }
    }
  }
}
