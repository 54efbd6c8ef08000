// The card reader (MDB cashless, level 1) behind an MDB-to-serial interface: the factory the
// composition root calls. Optional hardware: no `cardReader.port` on a real booth = no reader.
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { Clock } from '../clock.ts';
import { AbsentDevice } from '../absent.ts';
import type { CardReaderDevice, ReaderIdentity, VendEnd, VendOutcome } from './interface.ts';
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
 * - otherwise → an absent reader (optional: quietly absent; the booth takes coins only).
 */
export function createCardReader(c: Config['cardReader'], deps: { simulated: boolean; logger: Logger; simulator?: MdbCardReaderSimulator; clock?: Clock }): BoothCardReader {
  const options = {
    ...(deps.clock ? { clock: deps.clock } : {}),
    pollMs: c.pollMs,
    vendTimeoutMs: c.vendTimeoutSeconds * 1000,
    maxPriceCents: c.maxPriceCents,
    logger: deps.logger,
  };
  if (c.port) {
    const path = c.port;
    return Object.assign(new MdbCashlessReader(() => openInterfacePort(path), { ...options, simulated: false }, path), { simulator: undefined });
  }
  if (!deps.simulated || !c.simulated) return new AbsentCardReader(deps.simulated ? 'cardReader.simulated is off' : 'not fitted: cardReader.port is not set');
  const sim = deps.simulator ?? new MdbCardReaderSimulator();
  return Object.assign(new MdbCashlessReader(() => openSimulatedInterface(sim), { ...options, simulated: true }, 'sim'), { simulator: sim });
}

/** A booth without a card reader: absent (optional, so quietly); every use says why. */
class AbsentCardReader extends AbsentDevice implements BoothCardReader {
  readonly simulator = undefined;

  constructor(reason: string) {
    super('cardReader', reason, false);
  }

  identity(): ReaderIdentity | undefined {
    return undefined;
  }
  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled) this.refuse();
  }
  enabled(): boolean {
    return false;
  }
  inSession(): boolean {
    return false;
  }
  async requestVend(): Promise<VendOutcome> {
    this.refuse();
  }
  async finishVend(): Promise<VendEnd> {
    this.refuse();
  }
  async endSession(): Promise<void> {
    this.refuse();
  }
}
