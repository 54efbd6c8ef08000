// The curtain sensor: factory, and the simulated switch for the demo and tests.
import type { Config } from '../../config/schema.ts';
import type { Clock } from '../clock.ts';
import type { GpioChip } from '../gpio/interface.ts';
import type { Logger } from '../../log.ts';
import { CurtainSensor } from './driver.ts';
import type { CurtainDevice } from './interface.ts';

export type { CurtainDevice, CurtainState } from './interface.ts';
export { CurtainSensor, type CurtainDeps, type CurtainOptions } from './driver.ts';
export { SimCurtainSwitch, type SwitchMoveOptions } from './sim.ts';

/** The curtain switch on curtain.line, debounced by curtain.debounceMs, drawn at curtain.closedLevel. */
export function createCurtain(c: Config['curtain'], deps: { gpio: GpioChip; logger: Logger; clock?: Clock }): CurtainDevice {
  return new CurtainSensor({ line: c.line, debounceMs: c.debounceMs, closedLevel: c.closedLevel }, deps);
}
