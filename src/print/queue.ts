// The print queue: prints the board of a session exactly once, across crashes.
// Every attempt is journaled in SQLite before the effect: "submitting" (with the job-name
// that identifies it on the printer) before Print-Job, then "submitted" with the printer's
// job id, then "completed" or "failed". After a crash, a "submitting" attempt is looked up
// on the printer by its job-name (the Print-Job may have arrived even though its answer did
// not) and a "submitted" one is followed by id. A new attempt is made only when the last one
// really failed (aborted or cancelled at the printer, refused, or never received).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IppStatusError, isTerminal, type JobStatus, type PrinterDevice } from '../hal/printer/index.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import { renderBoard } from './board.ts';
import { prepareDocument } from './document.ts';
import { sleep, systemClock } from '../hal/clock.ts';
import { writeFileDurablyAsync } from '../store/files.ts';

/** What the flow asks to print (same shape as flows/ports.ts BoardRequest). */
export interface BoardOrder {
  sessionId: string;
  /** The product sold (catalogue id), what it delivers and how many sheets are printed. */
  product: string;
  delivers: 'ephoto' | 'prints';
  sheets?: number;
  photoFile: string;
  signatureFile?: string;
  code?: string;
  /** ISO 8601 expiry of the code. */
  expires?: string;
}

export type AttemptState = 'submitting' | 'submitted' | 'completed' | 'failed' | 'unverified';

export interface PrintAttempt {
  sessionId: string;
  attempt: number;
  jobName: string;
  state: AttemptState;
  printerUri: string;
  printerJobId: string | null;
  boardFile: string | null;
  detail: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PrintQueueOptions {
  store: Store;
  printer: PrinterDevice;
  /** Where board PNGs are kept (data.dir/boards). */
  boardsDir: string;
  boothId: string;
  /** How long one call waits for a job to finish (printer.jobTimeoutSeconds). */
  jobTimeoutMs: number;
  /** Job state poll period. */
  jobPollMs?: number;
  logger: Logger;
  /** Renders the board of an order (default: renderBoard from the photo file). */
  render?: (order: BoardOrder) => Promise<Buffer>;
}

/** The printer cannot print now; `code` lets the flow tell it from other failures. */
export class PrinterNotReadyError extends Error {
  readonly code = 'PRINTER_NOT_READY';
  constructor(reason: string) {
    super(reason);
    this.name = 'PrinterNotReadyError';
  }
}

const MIGRATIONS = [
  `CREATE TABLE print_attempts (
    session_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    job_name TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('submitting', 'submitted', 'completed', 'failed', 'unverified')),
    printer_uri TEXT NOT NULL,
    printer_job_id TEXT,
    board_file TEXT,
    detail TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (session_id, attempt)
  )`,
];

interface Row {
  session_id: string;
  attempt: number;
  job_name: string;
  state: AttemptState;
  printer_uri: string;
  printer_job_id: string | null;
  board_file: string | null;
  detail: string | null;
  created_at: string;
  updated_at: string;
}

function toAttempt(r: Row): PrintAttempt {
  return {
    sessionId: r.session_id,
    attempt: r.attempt,
    jobName: r.job_name,
    state: r.state,
    printerUri: r.printer_uri,
    printerJobId: r.printer_job_id,
    boardFile: r.board_file,
    detail: r.detail,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class PrintQueue {
  private readonly logger: Logger;
  private readonly inFlight = new Map<string, Promise<{ jobId: string; boardFile?: string }>>();

  constructor(private readonly options: PrintQueueOptions) {
    this.logger = options.logger.child({ module: 'print-queue' });
    options.store.migrate('print', MIGRATIONS);
    mkdirSync(options.boardsDir, { recursive: true });
  }

  /** Every attempt for a session, oldest first. */
  attempts(sessionId: string): PrintAttempt[] {
    return this.options.store.db
      .prepare<[string], Row>('SELECT * FROM print_attempts WHERE session_id = ? ORDER BY attempt')
      .all(sessionId)
      .map(toAttempt);
  }

  private latest(sessionId: string): PrintAttempt | undefined {
    const row = this.options.store.db.prepare<[string], Row>('SELECT * FROM print_attempts WHERE session_id = ? ORDER BY attempt DESC LIMIT 1').get(sessionId);
    return row ? toAttempt(row) : undefined;
  }

  private update(a: PrintAttempt, state: AttemptState, fields: { printerJobId?: string; detail?: string } = {}): PrintAttempt {
    const now = new Date().toISOString();
    this.options.store.db
      .prepare('UPDATE print_attempts SET state = ?, printer_job_id = COALESCE(?, printer_job_id), detail = ?, updated_at = ? WHERE session_id = ? AND attempt = ?')
      .run(state, fields.printerJobId ?? null, fields.detail ?? null, now, a.sessionId, a.attempt);
    return { ...a, state, printerJobId: fields.printerJobId ?? a.printerJobId, detail: fields.detail ?? null, updatedAt: now };
  }

  /**
   * Makes sure the board of `order.sessionId` is printed once (see the file comment).
   * Resolves with the printer's job id and the board file; rejects when the printer is not
   * ready (PrinterNotReadyError), a job fails (the next call prints again) or is still
   * running after jobTimeoutMs (the next call waits for the same job). Idempotent; concurrent
   * calls for one session share one run.
   */
  ensurePrinted(order: BoardOrder, signal?: AbortSignal): Promise<{ jobId: string; boardFile?: string }> {
    const running = this.inFlight.get(order.sessionId);
    if (running) return running;
    const run = this.run(order, signal).finally(() => this.inFlight.delete(order.sessionId));
    this.inFlight.set(order.sessionId, run);
    return run;
  }

  private async run(order: BoardOrder, signal?: AbortSignal): Promise<{ jobId: string; boardFile?: string }> {
    const { printer } = this.options;
    let last = this.latest(order.sessionId);

    if (last?.state === 'submitting') {
      // The Print-Job was sent (or about to be) when the booth stopped: did it arrive?
      const found = last.printerUri === printer.uri ? await printer.findJob(last.jobName, signal) : null;
      if (found) {
        last = this.update(last, 'submitted', { printerJobId: found.id });
        this.logger.info({ sessionId: order.sessionId, jobId: found.id }, 'job of an interrupted submission found on the printer');
      } else {
        last = this.update(last, 'failed', { detail: 'the printer never received the job (submission interrupted)' });
      }
    }

    if (last && (last.state === 'completed' || last.state === 'unverified')) {
      return { jobId: last.printerJobId ?? last.jobName, ...(last.boardFile ? { boardFile: last.boardFile } : {}) };
    }
    if (last?.state === 'submitted') return this.follow(last, signal);

    // No attempt yet, or the last one really failed: print (again).
    const readiness = printer.readiness();
    if (!readiness.ok) throw new PrinterNotReadyError(readiness.reason);
    const boardFile = join(this.options.boardsDir, `${safeName(order.sessionId)}.png`);
    const png = await this.boardPng(order, boardFile);
    const document = await prepareDocument(png, printer.lastState());
    const attemptNo = (last?.attempt ?? 0) + 1;
    const jobName = `cabine-${safeName(order.sessionId)}-${attemptNo}`;
    const now = new Date().toISOString();
    this.options.store.db
      .prepare(
        `INSERT INTO print_attempts (session_id, attempt, job_name, state, printer_uri, board_file, created_at, updated_at)
         VALUES (?, ?, ?, 'submitting', ?, ?, ?, ?)`,
      )
      .run(order.sessionId, attemptNo, jobName, printer.uri, boardFile, now, now);
    let attempt = this.latest(order.sessionId) as PrintAttempt;
    let job: JobStatus;
    try {
      job = await printer.submit({ ...document, name: jobName, ...(order.sheets && order.sheets > 1 ? { copies: order.sheets } : {}) }, signal);
    } catch (err) {
      if (err instanceof IppStatusError) {
        // A definite refusal: nothing was queued, the next call may try again.
        this.update(attempt, 'failed', { detail: err.message });
      } // Otherwise the job may have arrived: the attempt stays "submitting" and is looked up next time.
      throw err;
    }
    attempt = this.update(attempt, 'submitted', { printerJobId: job.id });
    this.logger.info({ sessionId: order.sessionId, jobId: job.id, attempt: attemptNo, format: document.format }, 'board submitted');
    return this.follow(attempt, signal);
  }

  /** Renders the board once per session and keeps it, so a reprint is the same board. */
  private async boardPng(order: BoardOrder, boardFile: string): Promise<Buffer> {
    try {
      return await readFile(boardFile);
    } catch {
      // not rendered yet
    }
    const png = this.options.render ? await this.options.render(order) : await this.render(order);
    await writeFileDurablyAsync(boardFile, png);
    return png;
  }

  private async render(order: BoardOrder): Promise<Buffer> {
    if (order.delivers === 'ephoto' && (!order.code || !order.expires)) throw new Error(`session ${order.sessionId}: an e-photo board needs its code and expiry`);
    const photo = await readFile(order.photoFile);
    const board = await renderBoard({
      photo,
      ...(order.code ? { code: order.code } : {}),
      ...(order.expires ? { expires: new Date(order.expires) } : {}),
      boothId: this.options.boothId,
    });
    return board.png;
  }

  /** Follows a submitted job until it ends or the timeout. */
  private async follow(attempt: PrintAttempt, signal?: AbortSignal): Promise<{ jobId: string; boardFile?: string }> {
    const { printer } = this.options;
    const jobId = attempt.printerJobId as string;
    const result = { jobId, ...(attempt.boardFile ? { boardFile: attempt.boardFile } : {}) };
    const deadline = Date.now() + this.options.jobTimeoutMs;
    let status: JobStatus | null;
    while (true) {
      status = attempt.printerUri === printer.uri ? await printer.job(jobId, attempt.jobName, signal) : null;
      if (!status) {
        // The printer no longer knows the job (restarted without history, or replaced). It was
        // accepted, so it may well have printed: never print twice on a guess. Flagged for the technician.
        this.update(attempt, 'unverified', { detail: `job ${jobId} unknown to ${printer.uri}: outcome cannot be verified` });
        this.logger.warn({ sessionId: attempt.sessionId, jobId }, 'printer no longer knows the job; not reprinting (unverified)');
        return result;
      }
      if (isTerminal(status.state)) break;
      if (Date.now() >= deadline) {
        throw new Error(`print job ${jobId} still ${status.state}${status.reasons.length ? ` (${status.reasons.join(', ')})` : ''} after ${Math.round(this.options.jobTimeoutMs / 1000)} s`);
      }
      await sleep(systemClock, this.options.jobPollMs ?? 1000, signal);
    }
    if (status.state === 'completed') {
      this.update(attempt, 'completed', { detail: status.reasons.join(', ') || 'completed' });
      this.logger.info({ sessionId: attempt.sessionId, jobId }, 'board printed');
      return result;
    }
    const why = `print job ${jobId} ${status.state}${status.reasons.length ? `: ${status.reasons.join(', ')}` : ''}${status.message ? ` (${status.message})` : ''}`;
    this.update(attempt, 'failed', { detail: why });
    this.logger.error({ sessionId: attempt.sessionId, jobId, state: status.state, reasons: status.reasons }, 'print job failed; the board will be printed again');
    throw new Error(why);
  }
}

/** A session id as a file and job-name part; ids that need changing get a hash so they stay distinct. */
/** A session id as file and job names carry it (boards/<name>.png, job cabine-<name>-<attempt>). */
export function safeName(s: string): string {
  const safe = s.replace(/[^A-Za-z0-9._-]/g, '_');
  if (safe === s && s.length <= 80) return s;
  return `${safe.slice(0, 60)}-${createHash('sha256').update(s).digest('hex').slice(0, 12)}`;
}

/**
 * The session (as `safeName` wrote it) whose board a simulated printer's job file holds
 * (`job-000012-cabine-<session>-<attempt>.<ext>`), or undefined for any other file (a test page).
 */
export function printJobSession(file: string): string | undefined {
  const m = /^job-\d+-cabine-(.+)-\d+\.(png|jpg|pdf)$/.exec(file);
  if (!m || file.includes('-cabine-test-')) return undefined;
  return m[1];
}
