// I2C: the bus the PCA9685 and the touch controller sit on, real (/dev/i2c-N through
// i2c-bus) or simulated. The factory never throws for missing hardware: it returns a bus
// whose transfers reject (ENODEV) with the reason, so the devices on it end `absent`.
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { I2cBus } from './interface.ts';
import { loadI2cBus, RealI2cBus, UnavailableI2cBus, type OpenI2c } from './real.ts';
import { SimI2cBus } from './sim.ts';

export { hex, i2cError, isNack, type I2cBus, type I2cDeviceModel, type I2cErrorCode } from './interface.ts';
export { SimI2cBus, type I2cFaultSpec, type I2cTransfer, type SimI2cBusOptions } from './sim.ts';
export { RealI2cBus, UnavailableI2cBus, loadI2cBus, SMBUS_BLOCK_MAX, type OpenI2c, type PromisifiedI2c } from './real.ts';

export interface I2cFactoryOptions {
  simulated: boolean;
  logger: Logger;
  /** For tests: replaces i2c-bus's openPromisified. */
  openBus?: () => Promise<OpenI2c>;
}

/**
 * The booth's I2C bus (`hal.i2cBus`). Simulated: an empty `SimI2cBus` (the composition root
 * attaches the device models, see docs/hardware.md). Real: /dev/i2c-N via i2c-bus, or an
 * `UnavailableI2cBus` with the reason.
 */
export async function createI2cBus(config: Config['hal'], options: I2cFactoryOptions): Promise<I2cBus> {
  const log = options.logger.child({ module: 'i2c' });
  if (options.simulated) {
    return new SimI2cBus({ busNumber: config.i2cBus });
  }
  try {
    const open = await (options.openBus ?? loadI2cBus)();
    const bus = await RealI2cBus.open(config.i2cBus, open);
    log.info(`I2C: ${bus.driver}`);
    return bus;
  } catch (err) {
    const reason = (err as Error).message;
    log.warn(`I2C unavailable: ${reason}`);
    return new UnavailableI2cBus(reason);
  }
}
