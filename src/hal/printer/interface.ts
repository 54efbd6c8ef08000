// The printer as the booth sees it, whatever is behind it (an IPP printer or CUPS queue, or
// the simulator writing files): its state and state reasons, and jobs that are submitted,
// looked up by id or by name, and cancelled. Words are IPP's (RFC 8011), so the IPP driver
// maps one to one and the simulator speaks the same vocabulary.
import type { Device } from '../device.ts';
import type { Consumable } from './consumables.ts';

export type PrinterStateName = 'idle' | 'processing' | 'stopped' | 'unreachable';

export interface PrinterState {
  state: PrinterStateName;
  /** printer-state-reasons without "none", suffixes kept (media-low-warning...). */
  reasons: string[];
  /** printer-state-message, or why the printer could not be reached. */
  message?: string;
  acceptingJobs: boolean;
  /** document-format-supported. */
  formats: string[];
  /** media-supported and media-ready keywords (PWG 5101.1 names). */
  media: { supported: string[]; ready: string[] };
  /** print-scaling-supported (empty when the printer does not say). */
  scaling: string[];
  makeAndModel?: string;
  /** Paper and supplies left, as the printer reports them (consumables.ts); absent: not reported. */
  consumables?: Consumable[];
  /** When the state was read (ISO 8601). */
  checkedAt: string;
}

export type JobStateName = 'pending' | 'pending-held' | 'processing' | 'processing-stopped' | 'canceled' | 'aborted' | 'completed';

/** job-state enum values (RFC 8011 §5.3.7). */
export const JOB_STATES: Record<number, JobStateName> = {
  3: 'pending',
  4: 'pending-held',
  5: 'processing',
  6: 'processing-stopped',
  7: 'canceled',
  8: 'aborted',
  9: 'completed',
};

export interface JobStatus {
  /** The printer's job id (as a string: an IPP job-id, or the simulator's). */
  id: string;
  name?: string;
  state: JobStateName;
  /** job-state-reasons without "none". */
  reasons: string[];
  message?: string;
}

export function isTerminal(state: JobStateName): boolean {
  return state === 'completed' || state === 'aborted' || state === 'canceled';
}

export interface PrintDocument {
  data: Buffer;
  /** MIME type the printer supports (image/png, image/jpeg, application/pdf...). */
  format: string;
  /** job-name: how the job is found again after a crash; unique per attempt. */
  name: string;
  /** media keyword, sent only when the printer lists it. */
  media?: string;
  /** print-scaling keyword, sent only when the printer lists it. */
  scaling?: string;
  /** Copies of the sheet (IPP copies; absent: one). */
  copies?: number;
}

export type Readiness = { ok: true; warnings: string[] } | { ok: false; reason: string };

export interface PrinterDevice extends Device {
  /** ipp://... of the printer, or sim:<dir> for the simulator. */
  readonly uri: string;
  /** Reads the printer's state now (also updates the health). Never throws: unreachable is a state. */
  refresh(signal?: AbortSignal): Promise<PrinterState>;
  /** The state read by the last poll or refresh, if any. */
  lastState(): PrinterState | undefined;
  /** Whether a board can be printed now, from the last state; the reason when not. */
  readiness(): Readiness;
  /** Submits a document; resolves when the printer has accepted it as a job. */
  submit(document: PrintDocument, signal?: AbortSignal): Promise<JobStatus>;
  /** A job's state; null when the printer does not know this id (or it is another job). */
  job(id: string, expectedName?: string, signal?: AbortSignal): Promise<JobStatus | null>;
  /** The most recent job with exactly this job-name, if the printer still knows it. */
  findJob(name: string, signal?: AbortSignal): Promise<JobStatus | null>;
  cancel(id: string, signal?: AbortSignal): Promise<void>;
}

/**
 * Sorts printer-state-reasons into those that stop the next print and those that only warn.
 * RFC 8011 §5.4.12 suffixes say how severe a condition is for what the printer is doing now
 * ("-error": stopped; "-warning"; "-report": informational; none: error). An idle printer
 * out of paper says "media-empty-report" (ippeveprinter does), yet the next board will not
 * print; so the condition decides as well: one that by its meaning prevents printing (…-empty,
 * …-jam, …-open, …-missing, …-full, …-needed, offline, paused, shutdown) blocks whatever the
 * suffix, one that announces a future problem (…-low, …-almost-full, …-near-end) only warns,
 * and any other keyword blocks when it is an error (suffix "-error" or no suffix).
 */
export function classifyReasons(reasons: readonly string[]): { blocking: string[]; warnings: string[] } {
  const blocking: string[] = [];
  const warnings: string[] = [];
  for (const reason of reasons) {
    if (reason === 'none' || reason === '') continue;
    const suffix = /-(report|warning|error)$/.exec(reason)?.[1];
    const condition = suffix ? reason.slice(0, -(suffix.length + 1)) : reason;
    if (HARMLESS.has(condition)) continue;
    if (/-(low|almost-full|almost-empty|near-end|near-eol|near-limit)$/.test(condition)) warnings.push(reason);
    else if (/(^|-)(empty|needed|jam|missing|open|full|failure|offline|paused|shutdown)$/.test(condition)) blocking.push(reason);
    else if (suffix === 'report' || suffix === 'warning') warnings.push(reason);
    else blocking.push(reason);
  }
  return { blocking, warnings };
}

const HARMLESS = new Set(['identify-printer-requested', 'printer-restarted', 'cups-waiting-for-job-completed', 'connecting-to-device']);

/** Whether a printer in `state` can print a board now, and if not why (for the screen and events). */
export function assessReadiness(state: PrinterState | undefined): Readiness {
  if (!state) return { ok: false, reason: 'printer state not read yet' };
  if (state.state === 'unreachable') return { ok: false, reason: `printer unreachable: ${state.message ?? 'no answer'}` };
  const { blocking, warnings } = classifyReasons(state.reasons);
  if (blocking.length) return { ok: false, reason: `printer not ready: ${blocking.join(', ')}${state.message ? ` (${state.message})` : ''}` };
  if (state.state === 'stopped') return { ok: false, reason: `printer stopped${state.message ? `: ${state.message}` : ''}` };
  if (!state.acceptingJobs) return { ok: false, reason: 'printer is not accepting jobs' };
  return { ok: true, warnings };
}
