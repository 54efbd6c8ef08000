// The coin acceptor (and optional hopper) on a ccTalk bus: the factory the composition root
// calls, and what the payment module and the CLI need.
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { Clock } from '../clock.ts';
import { CctalkCoinAcceptor } from './acceptor.ts';
import { CctalkBus } from './bus.ts';
import { CctalkHopper } from './hopper.ts';
import { AbsentDevice } from '../absent.ts';
import type { AcceptorIdentity, CoinAcceptorDevice, CoinSlot } from './interface.ts';
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
  /** The timers of the bus, the acceptor and the hopper (polls, timeouts, timestamps). */
  clock?: Clock;
}

export type BoothCoinAcceptor = CoinAcceptorDevice & {
  /** The in-process simulator the device talks to, when it runs on one. */
  readonly simulator: CctalkBusSimulator | undefined;
};

/**
 * The acceptor (and hopper, if `coinAcceptor.hopper`):
 * - `coinAcceptor.port` set → the real serial line (or a pty of `cabine sim cctalk --pty`);
 * - absent and simulated → the in-process simulator, byte for byte, through `SimBinding`;
 * - absent on a real booth → an absent acceptor (src/hal/absent.ts) saying the port is not set.
 */
export function createCoinAcceptor(c: Config['coinAcceptor'], deps: CoinAcceptorDeps): BoothCoinAcceptor {
  const logger = deps.logger;
  let simulator: CctalkBusSimulator | undefined;
  let bus: CctalkBus;
  if (c.port) {
    const path = c.port;
    bus = new CctalkBus(path, () => openSerialPort(path), logger, {}, deps.clock);
  } else if (deps.simulated) {
    const sim = deps.simulator ?? new CctalkBusSimulator({ hopper: c.hopper });
    simulator = sim;
    bus = new CctalkBus('sim', () => openSimulatedPort(sim), logger, {}, deps.clock);
  } else {
    return new AbsentCoinAcceptor('coinAcceptor.port is not set (the serial line of the ccTalk bus, e.g. /dev/ttyAMA0)');
  }
  const simulated = simulator !== undefined;
  const hopper = c.hopper ? new CctalkHopper(bus, simulated, logger) : undefined;
  const device = new CctalkCoinAcceptor(bus, { pollMs: c.pollMs, simulated, logger, hopper });
  return Object.assign(device, { simulator });
}

/** A real booth without a coin acceptor port: absent (it cannot sell); every use says why. */
class AbsentCoinAcceptor extends AbsentDevice implements BoothCoinAcceptor {
  readonly simulator = undefined;
  readonly hopper = undefined;

  constructor(reason: string) {
    super('coinAcceptor', reason, true);
  }

  identity(): AcceptorIdentity | undefined {
    return undefined;
  }
  coinTable(): CoinSlot[] {
    return [];
  }
  /** Inhibiting an absent acceptor is already true; accepting coins is refused. */
  async setAcceptance(coins: readonly string[]): Promise<void> {
    if (coins.length > 0) this.refuse();
  }
  acceptance(): readonly string[] {
    return [];
  }
  setCreditSink(): void {}
}
