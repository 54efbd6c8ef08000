// The card reader (MDB cashless, level 1) behind an MDB-to-serial interface: the factory the
// composition root calls. Optional hardware: no `cardReader.port` on a real booth = no reader.
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { CardReaderDevice } from './interface.ts';
import { MdbCashlessReader } from './reader.ts';
import { MdbCardReaderSimulator } from './sim.ts';
import { openInterfacePort, openSimulatedInterface } from './transport.ts';

export * from './interface.ts';
export { MdbCashlessReader, type CashlessOptions } from './reader.ts';
export { MdbCardReaderSimulator, type CardProfile, type CardSimStatus, type TapResult } from './sim.ts';
export { MdbLink, MdbError, type MdbLinkOptions, type MdbLinkStats } from './link.ts';
export { openInterfacePort, openSimulatedInterface, MDB_INTERFACE_SERIAL } from './transport.ts';

export type BoothCardReader = CardReaderDevice & {
  /** The in-process simulator the driver talks to (`tap(card)`), when it runs on one. */
  readonly simulator: MdbCardReaderSimulator | undefined;
};

/**
 * - `cardReader.port` set → the interface on that serial line (or a pty of `cabine sim mdb --pty`);
 * - absent, simulated and `cardReader.simulated` (default) → the in-process reader simulator;
 * - otherwise → undefined: the booth takes coins only.
 */
export function createCardReader(c: Config['cardReader'], deps: { simulated: boolean; logger: Logger; simulator?: MdbCardReaderSimulator }): BoothCardReader | undefined {
  const options = {
    pollMs: c.pollMs,
    vendTimeoutMs: c.vendTimeoutSeconds * 1000,
    maxPriceCents: c.maxPriceCents,
    logger: deps.logger,
  };
  if (c.port) {
    const path = c.port;
    return Object.assign(new MdbCashlessReader(() => openInterfacePort(path), { ...options, simulated: false }, path), { simulator: undefined });
  }
  if (!deps.simulated || !c.simulated) return undefined;
  const sim = deps.simulator ?? new MdbCardReaderSimulator();
  return Object.assign(new MdbCashlessReader(() => openSimulatedInterface(sim), { ...options, simulated: true }, 'sim'), { simulator: sim });
}
