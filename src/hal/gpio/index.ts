// GPIO: the header's gpiochip, real (sysfs via onoff) or simulated. The factory never
// throws for missing hardware: it returns a chip whose lines reject with the reason, so the
// devices on it end `absent` with that reason while the rest of the booth runs.
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { Bias, GpioChip } from './interface.ts';
import { loadOnoff, OnoffGpioChip, UnavailableGpioChip, type OnoffGpioConstructor } from './onoff.ts';
import { SimGpioChip } from './sim.ts';
import { resolveGpioChip } from './sysfs.ts';

export type { Bias, Direction, Edge, GpioChip, GpioLine, Level, LineOptions } from './interface.ts';
export { SimGpioChip, type SimGpioOptions, type SimLineInfo } from './sim.ts';
export { OnoffGpioChip, UnavailableGpioChip, loadOnoff, type OnoffGpio, type OnoffGpioConstructor } from './onoff.ts';
export { HEADER_CHIP_LABELS, kernelLineNumber, listGpioChips, resolveGpioChip, type GpioChipInfo } from './sysfs.ts';

/** Pull resistors the booth's overlay (firmware/cabine-booth.dts) sets, for the simulated chip. */
export function boothBias(config: Config): Record<number, Bias> {
  return { [config.lighting.relayLine]: 'pull-down', [config.curtain.line]: 'pull-up', [config.touch.interruptLine]: 'pull-up' };
}

export interface GpioFactoryOptions {
  simulated: boolean;
  logger: Logger;
  /** Pull resistors of the simulated chip (the booth passes `boothBias(config)`). */
  bias?: Record<number, Bias>;
  /** For tests: replaces onoff's Gpio class. */
  loadGpio?: () => Promise<OnoffGpioConstructor>;
}

/**
 * The header's gpiochip. Simulated: a `SimGpioChip` (58 lines) with the pulls of
 * `options.bias` (the overlay's on the relay, curtain and touch-interrupt lines). Real: the chip `hal.gpioChip` names (or the
 * Pi's, with 'auto') found under `hal.sysfsRoot`, on onoff; an `UnavailableGpioChip` with
 * the reason when there is none.
 */
export async function createGpioChip(config: Config['hal'], options: GpioFactoryOptions): Promise<GpioChip> {
  const log = options.logger.child({ module: 'gpio' });
  if (options.simulated) return new SimGpioChip({ logger: options.logger, ...(options.bias ? { bias: options.bias } : {}) });
  try {
    const chip = await resolveGpioChip(config.sysfsRoot, config.gpioChip);
    const Gpio = await (options.loadGpio ?? loadOnoff)();
    log.info({ chip: chip.name, label: chip.label, base: chip.base, ngpio: chip.ngpio }, `GPIO: ${chip.label}, BCM line n is sysfs gpio ${chip.base}+n`);
    return new OnoffGpioChip(chip, Gpio, options.logger);
  } catch (err) {
    const reason = (err as Error).message;
    log.warn(`GPIO unavailable: ${reason}`);
    return new UnavailableGpioChip(reason);
  }
}
