// A minimal simulated I2C bus and GPIO chip for the touch tests, written against the HAL
// interfaces only: the bus routes register reads/writes (with auto-increment block reads)
// to device models and turns a model's throw into a rejected transfer, as a bus error is;
// the GPIO chip lets the test (or a model's INT pin) drive an input line and fires edges.
import type { GpioChip, GpioLine, Level, LineOptions } from '../../src/hal/gpio/interface.ts';
import type { I2cBus, I2cDeviceModel } from '../../src/hal/i2c/interface.ts';

export class TestI2cBus implements I2cBus {
  readonly driver = 'test-bus';
  readonly simulated = true;
  readonly models = new Map<number, I2cDeviceModel>();
  transfers = 0;

  attach(address: number, model: I2cDeviceModel): void {
    this.models.set(address, model);
  }

  private model(address: number): I2cDeviceModel {
    const model = this.models.get(address);
    if (!model) throw new Error(`ENXIO: no device at 0x${address.toString(16)}`);
    return model;
  }

  async readByte(address: number, register: number): Promise<number> {
    this.transfers++;
    await Promise.resolve();
    return this.model(address).readRegister(register);
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    this.transfers++;
    await Promise.resolve();
    this.model(address).writeRegister(register, value);
  }

  async readBlock(address: number, register: number, length: number): Promise<Buffer> {
    this.transfers++;
    await Promise.resolve();
    const model = this.model(address);
    return Buffer.from(Array.from({ length }, (_, i) => model.readRegister((register + i) & 0xff)));
  }

  async writeBlock(address: number, register: number, data: Buffer): Promise<void> {
    this.transfers++;
    await Promise.resolve();
    const model = this.model(address);
    data.forEach((v, i) => model.writeRegister((register + i) & 0xff, v));
  }

  async scan(): Promise<number[]> {
    return [...this.models.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {}
}

class TestLine implements GpioLine {
  private readonly listeners = new Set<(level: Level) => void>();
  constructor(
    readonly offset: number,
    private readonly chip: TestGpioChip,
    readonly options: LineOptions,
  ) {}
  async read(): Promise<Level> {
    return this.chip.level(this.offset);
  }
  async write(level: Level): Promise<void> {
    this.chip.drive(this.offset, level);
  }
  watch(listener: (level: Level) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** An edge to `edgeLevel`; listeners get `readLevel`, the level read when they run. */
  fire(edgeLevel: Level, readLevel: Level): void {
    const edge = this.options.edge ?? 'none';
    if (edge === 'both' || (edge === 'falling' && edgeLevel === 0) || (edge === 'rising' && edgeLevel === 1)) for (const l of this.listeners) l(readLevel);
  }
  async close(): Promise<void> {
    this.listeners.clear();
    this.chip.lines.delete(this.offset);
  }
}

export class TestGpioChip implements GpioChip {
  readonly driver = 'test-gpio';
  readonly simulated = true;
  readonly lines = new Map<number, TestLine>();
  private readonly levels = new Map<number, Level>();
  edges = 0;

  /**
   * `deferred: true` delivers edges the way the kernel's sysfs edge interface (onoff) does: the
   * watcher wakes later and reads the line's level then, so after a short pulse it reads the
   * level the pulse returned to, not the edge's.
   */
  constructor(private readonly delivery: { deferred?: boolean } = {}) {}

  async openLine(options: LineOptions): Promise<GpioLine> {
    if (this.lines.has(options.offset)) throw new Error(`line ${options.offset} busy`);
    const line = new TestLine(options.offset, this, options);
    this.lines.set(options.offset, line);
    return line;
  }

  level(offset: number): Level {
    return this.levels.get(offset) ?? 1;
  }

  /** Sets the electrical level of a line (an input driven from outside); fires its edges. */
  drive(offset: number, level: Level): void {
    const before = this.level(offset);
    this.levels.set(offset, level);
    if (before !== level) {
      this.edges++;
      const line = this.lines.get(offset);
      if (!this.delivery.deferred) line?.fire(level, level);
      else setImmediate(() => line?.fire(level, this.level(offset)));
    }
  }

  async close(): Promise<void> {
    this.lines.clear();
  }
}
