// The printer device: the factory the composition root calls. printer.uri set → the IPP
// driver (also under --sim, to print to a real or ippeveprinter printer); absent under --sim →
// the simulator writing jobs to <data.dir>/printer; absent on a real booth → a printer that
// reports itself absent with the reason, so the booth sells nothing rather than pretending.
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { PolledPrinter } from './base.ts';
import { IppPrinter } from './ipp.ts';
import type { JobStatus, PrinterDevice, PrinterState } from './interface.ts';
import { SimulatedPrinter } from './sim.ts';

export * from './interface.ts';
export { IppPrinter, type IppPrinterOptions } from './ipp.ts';
export { SimulatedPrinter, type SimulatedCondition, type SimulatedPrinterOptions } from './sim.ts';
export { IppClient, IppStatusError, IppTransportError, httpUrlOf } from './ipp-client.ts';

export interface PrinterDeps {
  simulated: boolean;
  logger: Logger;
  /** data.dir: the simulated printer writes its jobs to <dataDir>/printer. */
  dataDir: string;
}

export function createPrinter(config: Config['printer'], deps: PrinterDeps): PrinterDevice {
  if (config.uri) {
    return new IppPrinter(
      { uri: config.uri, pollMs: config.pollSeconds * 1000, requestTimeoutMs: config.requestTimeoutSeconds * 1000, retries: config.retries },
      deps.logger,
    );
  }
  if (deps.simulated) return new SimulatedPrinter({ dir: join(deps.dataDir, 'printer'), pollMs: config.pollSeconds * 1000 }, deps.logger);
  return new MissingPrinter(deps.logger);
}

/** A real booth without printer.uri: absent, and every use says why. */
class MissingPrinter extends PolledPrinter {
  readonly driver = 'none';
  readonly simulated = false;
  readonly uri = '';
  private static readonly reason = 'printer.uri is not set (ipp://localhost:631/printers/<queue>), or run with --sim';

  constructor(logger: Logger) {
    super(0, logger);
  }

  override async start(): Promise<void> {
    await this.refresh();
    this.markFault(MissingPrinter.reason, true, 'absent');
  }

  protected async readState(): Promise<PrinterState> {
    return { state: 'unreachable', reasons: [], message: MissingPrinter.reason, acceptingJobs: false, formats: [], media: { supported: [], ready: [] }, scaling: [], checkedAt: new Date().toISOString() };
  }

  async submit(): Promise<JobStatus> {
    throw new Error(`no printer: ${MissingPrinter.reason}`);
  }
  async job(): Promise<JobStatus | null> {
    throw new Error(`no printer: ${MissingPrinter.reason}`);
  }
  async findJob(): Promise<JobStatus | null> {
    throw new Error(`no printer: ${MissingPrinter.reason}`);
  }
  async cancel(): Promise<void> {
    throw new Error(`no printer: ${MissingPrinter.reason}`);
  }
}
