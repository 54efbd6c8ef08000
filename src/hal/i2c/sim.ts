// A simulated I2C bus: transfers go to the register model attached at their address, an
// address with no model does not acknowledge (EREMOTEIO, as on the Pi), and faults can be
// injected per address (a disturbed read in the middle of a session, a device that drops
// off the bus) so drivers are tested on the error paths they meet on a booth. Transfers
// complete asynchronously (a microtask later), like real ones, and can be recorded.
import { hex, i2cError, type I2cBus, type I2cDeviceModel, type I2cErrorCode } from './interface.ts';

export interface I2cTransfer {
  op: 'readByte' | 'writeByte' | 'readBlock' | 'writeBlock';
  address: number;
  register: number;
  /** Bytes written, or read back. */
  data: number[];
  /** The error code when the transfer failed. */
  error?: string;
}

export interface I2cFaultSpec {
  /** Which transfers fail: reads, writes or any (default any). */
  op?: 'read' | 'write' | 'any';
  /** Error code (default EIO). */
  code?: I2cErrorCode;
  /** Matching transfers let through before the first failure (default 0). */
  after?: number;
  /** How many matching transfers fail (default 1; Infinity = until cleared). */
  times?: number;
}

interface ActiveFault extends Required<I2cFaultSpec> {
  seen: number;
}

export interface SimI2cBusOptions {
  busNumber?: number;
  /** Keep every transfer in `transfers` (default false). */
  record?: boolean;
}

export class SimI2cBus implements I2cBus {
  readonly driver: string;
  readonly simulated = true;
  readonly transfers: I2cTransfer[] = [];
  /** Number of transfers made, recorded or not. */
  count = 0;
  private readonly models = new Map<number, I2cDeviceModel>();
  private readonly faults = new Map<number, ActiveFault[]>();
  private readonly record: boolean;
  private closed = false;

  constructor(options: SimI2cBusOptions = {}) {
    this.driver = `sim:i2c-${options.busNumber ?? 1}`;
    this.record = options.record ?? false;
  }

  /** Puts `model` on the bus at `address` (7-bit). */
  attach(address: number, model: I2cDeviceModel): void {
    checkAddress(address);
    if (this.models.has(address)) throw new Error(`I2C address ${hex(address)} is already taken on the simulated bus`);
    this.models.set(address, model);
  }

  /** Takes the device off the bus (unplugged): transfers to it are no longer acknowledged. */
  detach(address: number): I2cDeviceModel | undefined {
    const model = this.models.get(address);
    this.models.delete(address);
    return model;
  }

  /** The model at `address`, typed by the caller. */
  device<T extends I2cDeviceModel>(address: number): T | undefined {
    return this.models.get(address) as T | undefined;
  }

  /** Makes upcoming transfers to `address` fail (see I2cFaultSpec). */
  injectFault(address: number, spec: I2cFaultSpec = {}): void {
    const list = this.faults.get(address) ?? [];
    list.push({ op: spec.op ?? 'any', code: spec.code ?? 'EIO', after: spec.after ?? 0, times: spec.times ?? 1, seen: 0 });
    this.faults.set(address, list);
  }

  clearFaults(address?: number): void {
    if (address === undefined) this.faults.clear();
    else this.faults.delete(address);
  }

  async readByte(address: number, register: number): Promise<number> {
    const [value] = await this.transfer('readByte', address, register, (m) => [m.readRegister(register & 0xff)]);
    return value ?? 0;
  }

  async writeByte(address: number, register: number, value: number): Promise<void> {
    checkByte(value);
    await this.transfer('writeByte', address, register, (m) => {
      m.writeRegister(register & 0xff, value);
      return [value];
    });
  }

  async readBlock(address: number, register: number, length: number): Promise<Buffer> {
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`I2C block length ${length} is not a positive integer`);
    const bytes = await this.transfer('readBlock', address, register, (m) =>
      m.readBlock ? [...m.readBlock(register & 0xff, length)] : Array.from({ length }, (_, i) => m.readRegister((register + i) & 0xff)),
    );
    return Buffer.from(bytes);
  }

  async writeBlock(address: number, register: number, data: Buffer): Promise<void> {
    await this.transfer('writeBlock', address, register, (m) => {
      if (m.writeBlock) m.writeBlock(register & 0xff, Buffer.from(data));
      else data.forEach((v, i) => m.writeRegister((register + i) & 0xff, v));
      return [...data];
    });
  }

  async scan(): Promise<number[]> {
    this.assertOpen();
    return [...this.models.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async transfer(op: I2cTransfer['op'], address: number, register: number, run: (model: I2cDeviceModel) => number[]): Promise<number[]> {
    this.assertOpen();
    checkAddress(address);
    checkByte(register);
    await Promise.resolve();
    this.count++;
    const entry: I2cTransfer = { op, address, register, data: [] };
    if (this.record) this.transfers.push(entry);
    const syscall = op.startsWith('read') ? 'read' : 'write';
    try {
      const model = this.models.get(address);
      if (!model) throw i2cError('EREMOTEIO', syscall, `nothing acknowledges ${hex(address)} on the simulated bus`);
      this.takeFault(address, syscall);
      entry.data = run(model);
      return entry.data;
    } catch (err) {
      entry.error = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw err;
    }
  }

  private takeFault(address: number, syscall: 'read' | 'write'): void {
    const list = this.faults.get(address);
    if (!list) return;
    for (const fault of list) {
      if (fault.op !== 'any' && fault.op !== syscall) continue;
      fault.seen++;
      if (fault.seen <= fault.after) continue;
      if (fault.seen > fault.after + fault.times) continue;
      throw i2cError(fault.code, syscall, `injected fault at ${hex(address)}`);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the simulated I2C bus is closed');
  }
}

function checkAddress(address: number): void {
  if (!Number.isInteger(address) || address < 0 || address > 0x7f) throw new RangeError(`I2C address ${address} is not a 7-bit address`);
}

function checkByte(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`${value} is not a byte`);
}
