// The coin acceptor (and optional hopper) on a ccTalk bus: the factory the composition root
// calls, and what the payment module and the CLI need.
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { CctalkCoinAcceptor } from './acceptor.ts';
import { CctalkBus } from './bus.ts';
import { CctalkHopper } from './hopper.ts';
import type { CoinAcceptorDevice } from './interface.ts';
import { CctalkBusSimulator } from './sim.ts';
import { openSerialPort, openSimulatedPort } from './transport.ts';

export * from './interface.ts';
export { CctalkCoinAcceptor, counterBefore, eventsSince } from './acceptor.ts';
export { CctalkHopper } from './hopper.ts';
export { CctalkBus } from './bus.ts';
export { CctalkLink, CctalkError, type LinkOptions, type LinkStats } from './link.ts';
export { CctalkBusSimulator, SIM_COIN_TABLE, type SimOptions, type SimStatus, type SimFaultKind } from './sim.ts';
export { openSerialPort, openSimulatedPort, SimBinding, CCTALK_SERIAL } from './transport.ts';
export { parseCoinId, decodeCoinError, type CoinError, type CoinErrorKind, type CoinId } from './codes.ts';
export { ADDRESS, HEADER, encodeFrame, decodeFrame, checksumOf, type Frame } from './frame.ts';

export interface CoinAcceptorDeps {
  /** `--sim` / hal.simulated: without `coinAcceptor.port`, run on the in-process simulator. */
  simulated: boolean;
  logger: Logger;
  /** The in-process simulator to use (the demo inserts coins through it); made if absent. */
  simulator?: CctalkBusSimulator;
}

export type BoothCoinAcceptor = CoinAcceptorDevice & {
  /** The in-process simulator the device talks to, when it runs on one. */
  readonly simulator: CctalkBusSimulator | undefined;
};

/**
 * The acceptor (and hopper, if `coinAcceptor.hopper`):
 * - `coinAcceptor.port` set → the real serial line (or a pty of `cabine sim cctalk --pty`);
 * - absent and simulated → the in-process simulator, byte for byte, through `SimBinding`;
 * - absent on a real booth → a device that stays `absent` and says the port is not set.
 */
export function createCoinAcceptor(c: Config['coinAcceptor'], deps: CoinAcceptorDeps): BoothCoinAcceptor {
  const logger = deps.logger;
  let simulator: CctalkBusSimulator | undefined;
  let bus: CctalkBus;
  if (c.port) {
    const path = c.port;
    bus = new CctalkBus(path, () => openSerialPort(path), logger);
  } else if (deps.simulated) {
    const sim = deps.simulator ?? new CctalkBusSimulator({ hopper: c.hopper });
    simulator = sim;
    bus = new CctalkBus('sim', () => openSimulatedPort(sim), logger);
  } else {
    bus = new CctalkBus('none', () => Promise.reject(new Error('coinAcceptor.port is not set')), logger);
  }
  const simulated = simulator !== undefined;
  const hopper = c.hopper ? new CctalkHopper(bus, simulated, logger) : undefined;
  const device = new CctalkCoinAcceptor(bus, { pollMs: c.pollMs, simulated, logger, hopper });
  return Object.assign(device, { simulator });
}
