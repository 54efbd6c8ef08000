// The printer device: the factory the composition root calls. printer.uri set → the IPP
// driver (also under --sim, to print to a real or ippeveprinter printer); absent under --sim →
// the simulator writing jobs to <data.dir>/printer; absent on a real booth → a printer that
// reports itself absent with the reason, so the booth sells nothing rather than pretending.
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { Clock } from '../clock.ts';
import { AbsentDevice } from '../absent.ts';
import { IppPrinter } from './ipp.ts';
import { assessReadiness, type JobStatus, type PrinterDevice, type PrinterState, type Readiness } from './interface.ts';
import { SimulatedPrinter } from './sim.ts';

export * from './interface.ts';
export { IppPrinter, type IppPrinterOptions } from './ipp.ts';
export { SimulatedPrinter, type SimulatedCondition, type SimulatedPrinterOptions } from './sim.ts';
export { IppClient, IppStatusError, IppTransportError, httpUrlOf } from './ipp-client.ts';
export { consumablesFrom, printsLeft, type Consumable } from './consumables.ts';

export interface PrinterDeps {
  simulated: boolean;
  logger: Logger;
  /** data.dir: the simulated printer writes its jobs to <dataDir>/printer. */
  dataDir: string;
  clock?: Clock;
}

export function createPrinter(config: Config['printer'], deps: PrinterDeps): PrinterDevice {
  if (config.uri) {
    return new IppPrinter(
      { uri: config.uri, pollMs: config.pollSeconds * 1000, requestTimeoutMs: config.requestTimeoutSeconds * 1000, retries: config.retries },
      deps.logger,
      deps.clock,
    );
  }
  if (deps.simulated) return new SimulatedPrinter({ dir: join(deps.dataDir, 'printer'), pollMs: config.pollSeconds * 1000 }, deps.logger, deps.clock);
  return new AbsentPrinter();
}

/** A real booth without printer.uri: absent, and every use says why. */
class AbsentPrinter extends AbsentDevice implements PrinterDevice {
  readonly uri = '';
  private readonly state: PrinterState;

  constructor() {
    super('printer', 'printer.uri is not set (ipp://localhost:631/printers/<queue>), or run with --sim', true);
    this.state = { state: 'unreachable', reasons: [], message: this.reason, acceptingJobs: false, formats: [], media: { supported: [], ready: [] }, scaling: [], checkedAt: new Date(0).toISOString() };
  }

  async refresh(): Promise<PrinterState> {
    return this.state;
  }
  lastState(): PrinterState {
    return this.state;
  }
  readiness(): Readiness {
    return assessReadiness(this.state);
  }
  async submit(): Promise<JobStatus> {
    this.refuse();
  }
  async job(): Promise<JobStatus | null> {
    this.refuse();
  }
  async findJob(): Promise<JobStatus | null> {
    this.refuse();
  }
  async cancel(): Promise<void> {
    this.refuse();
  }
}
