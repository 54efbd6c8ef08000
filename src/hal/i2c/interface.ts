// The narrow I2C bus the device drivers use: the subset of `i2c-bus` promise calls they
// need. The real implementation wraps `i2c-bus`; the simulated one routes the same calls to
// register-level device models, so drivers talk registers in both cases.
//
// Errors are Node-style errors with a `code`, as the kernel gives them: an address that does
// not acknowledge rejects with EREMOTEIO on the Pi's bcm2835 controller (ENXIO on some other
// adapters), a disturbed transfer with EIO, a stuck bus with ETIMEDOUT. `isNack` tells a
// missing device from a failing one.

export interface I2cBus {
  readonly driver: string;
  readonly simulated: boolean;
  readByte(address: number, register: number): Promise<number>;
  writeByte(address: number, register: number, value: number): Promise<void>;
  /** Reads `length` bytes starting at `register` (auto-increment), like i2c-bus readI2cBlock. */
  readBlock(address: number, register: number, length: number): Promise<Buffer>;
  writeBlock(address: number, register: number, data: Buffer): Promise<void>;
  /** Addresses that acknowledge (i2cdetect). */
  scan(): Promise<number[]>;
  close(): Promise<void>;
}

/**
 * A register-level model of a device on the simulated bus. `readRegister`/`writeRegister`
 * serve one byte at `register`; a block transfer is a sequence of them at register,
 * register+1, ... unless the model implements `readBlock`/`writeBlock` itself (a device
 * whose register pointer does not always auto-increment, like the PCA9685 without MODE1.AI).
 * A model that throws makes the transfer reject with that error.
 */
export interface I2cDeviceModel {
  readRegister(register: number): number;
  writeRegister(register: number, value: number): void;
  readBlock?(register: number, length: number): Buffer;
  writeBlock?(register: number, data: Buffer): void;
}

export type I2cErrorCode = 'EREMOTEIO' | 'ENXIO' | 'EIO' | 'ETIMEDOUT' | 'ENODEV';

const ERRNO: Record<I2cErrorCode, [number, string]> = {
  EREMOTEIO: [-121, 'remote I/O error'],
  ENXIO: [-6, 'no such device or address'],
  EIO: [-5, 'i/o error'],
  ETIMEDOUT: [-110, 'connection timed out'],
  ENODEV: [-19, 'no such device'],
};

/** An error shaped like the one i2c-bus gives for `code` (message "EIO: i/o error, read ..."). */
export function i2cError(code: I2cErrorCode, syscall: string, detail?: string): NodeJS.ErrnoException {
  const [errno, text] = ERRNO[code];
  const err: NodeJS.ErrnoException = new Error(`${code}: ${text}, ${syscall}${detail ? ` (${detail})` : ''}`);
  err.code = code;
  err.errno = errno;
  err.syscall = syscall;
  return err;
}

/** Whether `err` means nothing answered at the address (vs. a device that answered badly). */
export function isNack(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EREMOTEIO' || code === 'ENXIO' || code === 'ENODEV' || code === 'ENOENT';
}

export const hex = (v: number): string => `0x${v.toString(16).padStart(2, '0')}`;
