// The lighting ring: factory and what the composition root, the flows and tests use.
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../clock.ts';
import type { GpioChip } from '../gpio/interface.ts';
import type { I2cBus } from '../i2c/interface.ts';
import { SimI2cBus } from '../i2c/sim.ts';
import type { Logger } from '../../log.ts';
import { LightingRing } from './driver.ts';
import type { LightingDevice } from './interface.ts';
import { Pca9685Model } from './sim.ts';

export type { LightingCheck, LightingDevice, LightingSelfTest, LightState } from './interface.ts';
export { LightingRing, type LightingDeps, type LightingOptions } from './driver.ts';
export { Pca9685Model, type Pca9685ModelOptions } from './sim.ts';
export * as pca9685 from './pca9685.ts';

/**
 * The ring on `deps.gpio` (relay on lighting.relayLine) and `deps.i2c` (PCA9685 at
 * lighting.pca9685Address, channel lighting.pwmChannel at lighting.pwmFrequencyHz). Once
 * started it rests at lighting.idleLevel; `set` changes it with a lighting.fadeMs fade.
 */
export function createLighting(l: Config['lighting'], deps: { gpio: GpioChip; i2c: I2cBus; logger: Logger; clock?: Clock }): LightingDevice {
  return new LightingRing(
    {
      relayLine: l.relayLine,
      address: l.pca9685Address,
      channel: l.pwmChannel,
      frequencyHz: l.pwmFrequencyHz,
      fadeMs: l.fadeMs,
      initial: { on: l.idleLevel > 0, level: l.idleLevel },
    },
    deps,
  );
}

/** The PCA9685 model attached to a simulated bus at `address` (undefined on a real bus). */
export function simulatedPca9685(bus: I2cBus, address: number): Pca9685Model | undefined {
  if (!(bus instanceof SimI2cBus)) return undefined;
  const model = bus.device(address);
  return model instanceof Pca9685Model ? model : undefined;
}
