// Handles on the simulators of a simulated booth (hal types only): the composition root makes
// them, the simulator panel, the demo's scripted customer and tests drive them.
import type { SimulatedCameraDevice } from './camera/index.ts';
import type { BoothCardReader } from './card-reader/index.ts';
import type { BoothCoinAcceptor } from './coin-acceptor/index.ts';
import type { SimGpioChip } from './gpio/index.ts';
import type { SimI2cBus } from './i2c/index.ts';
import type { Ft6236Model } from './touch/index.ts';

/** Handles on the simulators, for the demo's scripted customer and for tests. */
export interface SimulatorHandles {
  gpio: SimGpioChip;
  i2c: SimI2cBus;
  touch: Ft6236Model;
  camera: SimulatedCameraDevice;
  coins: NonNullable<BoothCoinAcceptor['simulator']> | undefined;
  /** The card reader simulator: `tap(card)` (docs/payment.md). */
  cards: NonNullable<BoothCardReader['simulator']> | undefined;
}
