// The real I2C bus: /dev/i2c-N through `i2c-bus` (an optional dependency, loaded on first
// use so a machine without it still runs the simulated booth). i2c-bus keeps one file
// descriptor per peripheral address, so transfers to different devices do not race on
// the I2C_SLAVE ioctl.
import { access, constants } from 'node:fs/promises';
import { hex, i2cError, type I2cBus } from './interface.ts';

/** The part of i2c-bus's PromisifiedBus this driver uses. */
export interface PromisifiedI2c {
  readByte(address: number, command: number): Promise<number>;
  writeByte(address: number, command: number, byte: number): Promise<void>;
  readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  scan(startAddr: number, endAddr: number): Promise<number[]>;
  close(): Promise<void>;
}
export type OpenI2c = (busNumber: number) => Promise<PromisifiedI2c>;

/** SMBus "I2C block" transfers carry at most 32 data bytes (I2C_SMBUS_BLOCK_MAX). */
export const SMBUS_BLOCK_MAX = 32;

export async function loadI2cBus(): Promise<OpenI2c> {
  try {
    const name = 'i2c-bus'; // a variable: typing does not depend on the optional package
    const mod = (await import(name)) as { openPromisified?: unknown; default?: { openPromisified?: unknown } };
    const open = mod.openPromisified ?? mod.default?.openPromisified;
    if (typeof open !== 'function') throw new Error('i2c-bus has no openPromisified export');
    // i2c-bus opens the device node lazily, at the first transfer: check it exists now so
    // a booth without I2C says so once, at start.
    return async (busNumber: number) => {
      const node = `/dev/i2c-${busNumber}`;
      await access(node, constants.R_OK | constants.W_OK).catch((err: NodeJS.ErrnoException) => {
        throw new Error(
          err.code === 'ENOENT' ? `${node} does not exist (I2C off: dtparam=i2c_arm=on in config.txt, module i2c-dev)` : `${node}: ${err.message}`,
          { cause: err },
        );
      });
      return (open as OpenI2c)(busNumber);
    };
  } catch (err) {
    throw new Error(`the i2c-bus package is not usable (${(err as Error).message}); install it with npm on the booth`, { cause: err });
  }
}

export class RealI2cBus implements I2cBus {
  readonly driver: string;
  readonly simulated = false;

  constructor(
    private readonly bus: PromisifiedI2c,
    readonly busNumber: number,
  ) {
    this.driver = `i2c-bus:/dev/i2c-${busNumber}`;
  }

  static async open(busNumber: number, open: OpenI2c): Promise<RealI2cBus> {
    try {
      return new RealI2cBus(await open(busNumber), busNumber);
    } catch (err) {
      throw new Error(`cannot open /dev/i2c-${busNumber}: ${(err as Error).message}`, { cause: err });
    }
  }

  readByte(address: number, register: number): Promise<number> {
    return this.bus.readByte(address, register);
  }

  writeByte(address: number, register: number, value: number): Promise<void> {
    return this.bus.writeByte(address, register, value);
  }

  /**
   * Longer blocks are split into SMBus-sized transfers at register, register+32, ...: the
   * same bytes a device with an auto-incrementing register pointer gives in one transfer.
   */
  async readBlock(address: number, register: number, length: number): Promise<Buffer> {
    const out = Buffer.alloc(length);
    for (let at = 0; at < length; at += SMBUS_BLOCK_MAX) {
      const n = Math.min(SMBUS_BLOCK_MAX, length - at);
      const chunk = Buffer.alloc(n);
      const { bytesRead } = await this.bus.readI2cBlock(address, (register + at) & 0xff, n, chunk);
      if (bytesRead !== n) throw i2cError('EIO', 'read', `short read from ${hex(address)}: ${bytesRead} of ${n} bytes`);
      chunk.copy(out, at);
    }
    return out;
  }

  async writeBlock(address: number, register: number, data: Buffer): Promise<void> {
    for (let at = 0; at < data.length; at += SMBUS_BLOCK_MAX) {
      const chunk = data.subarray(at, at + SMBUS_BLOCK_MAX);
      const { bytesWritten } = await this.bus.writeI2cBlock(address, (register + at) & 0xff, chunk.length, chunk);
      if (bytesWritten !== chunk.length) throw i2cError('EIO', 'write', `short write to ${hex(address)}: ${bytesWritten} of ${chunk.length} bytes`);
    }
  }

  /** Addresses 0x03-0x77 that acknowledge, as i2cdetect finds them. */
  scan(): Promise<number[]> {
    return this.bus.scan(0x03, 0x77);
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}

/** A bus that could not be opened: every transfer rejects (ENODEV) with the reason. */
export class UnavailableI2cBus implements I2cBus {
  readonly driver = 'none';
  readonly simulated = false;
  constructor(readonly reason: string) {}
  private fail(syscall: string): Promise<never> {
    return Promise.reject(i2cError('ENODEV', syscall, this.reason));
  }
  readByte(): Promise<number> {
    return this.fail('read');
  }
  writeByte(): Promise<void> {
    return this.fail('write');
  }
  readBlock(): Promise<Buffer> {
    return this.fail('read');
  }
  writeBlock(): Promise<void> {
    return this.fail('write');
  }
  scan(): Promise<number[]> {
    return this.fail('scan');
  }
  async close(): Promise<void> {}
}
