// The narrow I2C bus the device drivers use: the subset of `i2c-bus` promise calls they
// need. The real implementation wraps `i2c-bus`; the simulated one routes the same calls to
// register-level device models, so drivers talk registers in both cases.

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

/** A register-level model of a device on the simulated bus. */
export interface I2cDeviceModel {
  readRegister(register: number): number;
  writeRegister(register: number, value: number): void;
}
