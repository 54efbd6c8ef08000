// The I2C bus contract (./i2c-bus.ts) on the simulated bus and on the real driver over a
// simulated kernel bus (i2c-dev's SMBus calls served by the same register models).
import t from 'tap';
import { RealI2cBus, SimI2cBus, i2cError, type I2cDeviceModel, type PromisifiedI2c } from '../../../src/hal/i2c/index.ts';
import { i2cBusContract } from './i2c-bus.ts';

/** i2c-dev as i2c-bus's promisified calls see it, over register models (SMBus block ≤ 32 bytes). */
function kernelBus(models: ReadonlyMap<number, I2cDeviceModel>): PromisifiedI2c {
  const device = (address: number, syscall: string): I2cDeviceModel => {
    const model = models.get(address);
    if (!model) throw i2cError('EREMOTEIO', syscall);
    return model;
  };
  const block = (length: number) => {
    if (length < 1 || length > 32) throw i2cError('EIO', 'ioctl', `SMBus block of ${length} bytes`);
  };
  return {
    readByte: async (address, command) => device(address, 'read').readRegister(command),
    writeByte: async (address, command, byte) => device(address, 'write').writeRegister(command, byte),
    readI2cBlock: async (address, command, length, buffer) => {
      const model = device(address, 'read');
      block(length);
      const data = model.readBlock ? model.readBlock(command, length) : Buffer.from(Array.from({ length }, (_, i) => model.readRegister(command + i)));
      data.copy(buffer);
      return { bytesRead: length, buffer };
    },
    writeI2cBlock: async (address, command, length, buffer) => {
      const model = device(address, 'write');
      block(length);
      const data = buffer.subarray(0, length);
      if (model.writeBlock) model.writeBlock(command, Buffer.from(data));
      else data.forEach((byte, i) => model.writeRegister(command + i, byte));
      return { bytesWritten: length, buffer };
    },
    scan: async (start, end) => [...models.keys()].filter((a) => a >= start && a <= end).sort((a, b) => a - b),
    close: async () => undefined,
  };
}

i2cBusContract(t, 'simulated bus', async (models) => {
  const bus = new SimI2cBus();
  for (const [address, model] of models) bus.attach(address, model);
  return bus;
});

i2cBusContract(t, 'real driver (i2c-bus calls) on a simulated kernel bus', (models) => RealI2cBus.open(1, async () => kernelBus(models)));
