// The real printer: any IPP printer or CUPS queue (ipp://localhost:631/printers/<queue>),
// polled with Get-Printer-Attributes; jobs sent with Print-Job and followed with
// Get-Job-Attributes / Get-Jobs.
import type { Logger } from '../../log.ts';
import { sleep, systemClock, type Clock } from '../clock.ts';
import { PolledPrinter } from './base.ts';
import { ValueTag, type IppAttribute, type OutAttribute } from './ipp-codec.ts';
import { IppClient, IppStatusError, firstBoolean, firstNumber, firstString, numbers, strings, texts } from './ipp-client.ts';
import { consumablesFrom } from './consumables.ts';
import { JOB_STATES, type JobStatus, type PrintDocument, type PrinterState, type PrinterStateName } from './interface.ts';

export interface IppPrinterOptions {
  uri: string;
  /** Status poll period; 0 = no background polling (CLI). */
  pollMs: number;
  /** Timeout of one IPP request. */
  requestTimeoutMs: number;
  /** Extra attempts of read requests after a transport error. */
  retries: number;
}

const PRINTER_ATTRIBUTES = [
  'printer-state',
  'printer-state-reasons',
  'printer-state-message',
  'printer-is-accepting-jobs',
  'document-format-supported',
  'media-supported',
  'media-ready',
  'print-scaling-supported',
  'printer-make-and-model',
  // Consumables (consumables.ts): paper per tray, supplies as IPP Everywhere or CUPS says them.
  'printer-input-tray',
  'printer-supply',
  'printer-supply-description',
  'marker-names',
  'marker-levels',
  'marker-types',
];

const JOB_ATTRIBUTES = ['job-id', 'job-name', 'job-state', 'job-state-reasons', 'job-state-message'];

/** server-error-service-unavailable, -temporary-error, -busy: nothing was queued, try again later. */
const RETRY_LATER = new Set([0x0502, 0x0505, 0x0507]);

const PRINTER_STATES: Record<number, PrinterStateName> = { 3: 'idle', 4: 'processing', 5: 'stopped' };

function jobStatus(attrs: Map<string, IppAttribute>): JobStatus | null {
  const id = firstNumber(attrs.get('job-id'));
  const state = JOB_STATES[firstNumber(attrs.get('job-state')) ?? 0];
  if (id === undefined || !state) return null;
  const name = firstString(attrs.get('job-name'));
  const message = firstString(attrs.get('job-state-message'));
  return {
    id: String(id),
    ...(name !== undefined ? { name } : {}),
    state,
    reasons: strings(attrs.get('job-state-reasons')).filter((r) => r !== 'none'),
    ...(message ? { message } : {}),
  };
}

export class IppPrinter extends PolledPrinter {
  readonly driver = 'ipp';
  readonly simulated = false;
  readonly uri: string;
  private readonly client: IppClient;
  /** Print-Job resends while the printer says busy (about 30 s in all). */
  private readonly busyRetries = 8;

  constructor(options: IppPrinterOptions, logger: Logger, clock: Clock = systemClock) {
    super(options.pollMs, logger.child({ module: 'printer' }), clock);
    this.uri = options.uri;
    this.client = new IppClient(options.uri, { timeoutMs: options.requestTimeoutMs, retries: options.retries, clock });
  }

  protected async readState(signal?: AbortSignal): Promise<PrinterState> {
    const checkedAt = new Date(this.clock.now()).toISOString();
    try {
      const a = await this.client.getPrinterAttributes(PRINTER_ATTRIBUTES, signal);
      const stateValue = firstNumber(a.get('printer-state'));
      const state = PRINTER_STATES[stateValue ?? 0];
      if (!state) throw new Error(`printer-state ${String(stateValue)} is not idle/processing/stopped`);
      const message = firstString(a.get('printer-state-message'));
      const model = firstString(a.get('printer-make-and-model'));
      return {
        state,
        reasons: strings(a.get('printer-state-reasons')).filter((r) => r !== 'none'),
        ...(message ? { message } : {}),
        acceptingJobs: firstBoolean(a.get('printer-is-accepting-jobs')) ?? true,
        formats: strings(a.get('document-format-supported')),
        media: { supported: strings(a.get('media-supported')), ready: strings(a.get('media-ready')) },
        consumables: consumablesFrom({
          inputTray: texts(a.get('printer-input-tray')),
          supply: texts(a.get('printer-supply')),
          supplyDescription: strings(a.get('printer-supply-description')),
          markerNames: strings(a.get('marker-names')),
          markerLevels: numbers(a.get('marker-levels')),
          markerTypes: strings(a.get('marker-types')),
        }),
        scaling: strings(a.get('print-scaling-supported')),
        ...(model ? { makeAndModel: model } : {}),
        checkedAt,
      };
    } catch (err) {
      if (signal?.aborted) throw err;
      return { state: 'unreachable', reasons: [], message: (err as Error).message, acceptingJobs: false, formats: [], media: { supported: [], ready: [] }, scaling: [], checkedAt };
    }
  }

  async submit(document: PrintDocument, signal?: AbortSignal): Promise<JobStatus> {
    const jobAttributes: OutAttribute[] = [];
    if (document.media) jobAttributes.push({ name: 'media', tag: ValueTag.keyword, values: [document.media] });
    if (document.scaling) jobAttributes.push({ name: 'print-scaling', tag: ValueTag.keyword, values: [document.scaling] });
    if (document.copies && document.copies > 1) jobAttributes.push({ name: 'copies', tag: ValueTag.integer, values: [document.copies] });
    // A printer busy with another job refuses Print-Job (server-error-busy, ippeveprinter does);
    // a refusal queued nothing, so sending again is safe. Other errors go up to the queue.
    let attrs: Map<string, IppAttribute> | undefined;
    for (let attempt = 0; !attrs; attempt++) {
      try {
        attrs = await this.client.printJob(document.data, { format: document.format, jobName: document.name, jobAttributes }, signal);
      } catch (err) {
        if (!(err instanceof IppStatusError) || !RETRY_LATER.has(err.status) || attempt >= this.busyRetries) throw err;
        this.logger.info({ status: err.message, attempt }, 'printer busy, sending the job again shortly');
        await sleep(this.clock, Math.min(500 * 2 ** attempt, 5000), signal);
      }
    }
    const status = jobStatus(attrs);
    if (!status) throw new Error(`Print-Job to ${this.uri}: the answer carries no job-id/job-state`);
    this.logger.info({ jobId: status.id, name: document.name, format: document.format, bytes: document.data.length }, 'job submitted');
    return { ...status, name: status.name ?? document.name };
  }

  async job(id: string, expectedName?: string, signal?: AbortSignal): Promise<JobStatus | null> {
    const jobId = Number(id);
    if (!Number.isInteger(jobId) || jobId < 1) throw new Error(`"${id}" is not an IPP job id`);
    try {
      const status = jobStatus(await this.client.getJobAttributes(jobId, JOB_ATTRIBUTES, signal));
      // Job ids restart with some printers after a power cycle: the same id may be another job.
      if (status && expectedName !== undefined && status.name !== undefined && status.name !== expectedName) return null;
      return status;
    } catch (err) {
      if (err instanceof IppStatusError && (err.status === 0x0406 || err.status === 0x0407)) return null; // not-found, gone
      throw err;
    }
  }

  async findJob(name: string, signal?: AbortSignal): Promise<JobStatus | null> {
    let found: JobStatus | null = null;
    for (const which of ['not-completed', 'completed'] as const) {
      for (const attrs of await this.client.getJobs(which, JOB_ATTRIBUTES, signal)) {
        const status = jobStatus(attrs);
        if (status?.name === name && (!found || Number(status.id) > Number(found.id))) found = status;
      }
      if (found) return found;
    }
    return found;
  }

  async cancel(id: string, signal?: AbortSignal): Promise<void> {
    await this.client.cancelJob(Number(id), signal);
  }
}
