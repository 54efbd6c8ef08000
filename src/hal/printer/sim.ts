// The simulated printer of `--sim` when no printer.uri is set: the same PrinterDevice, whose
// "paper" is a folder. A job is written there (atomically, fsync'd) as soon as the printer can
// print; while a blocking reason is set (media-empty...) jobs wait as a real printer's would.
// Its history is the folder itself, so a job is found by id or by name after a restart.
// Tests that need the wire protocol use ippeveprinter and the IPP driver instead.
import { mkdirSync, readdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.ts';
import { systemClock, type Clock } from '../clock.ts';
import { PolledPrinter } from './base.ts';
import { classifyReasons, type JobStatus, type PrintDocument, type PrinterState } from './interface.ts';

export interface SimulatedPrinterOptions {
  /** Folder receiving the printed documents. */
  dir: string;
  pollMs?: number;
}

export interface SimulatedCondition {
  reasons?: string[];
  state?: 'idle' | 'stopped';
  /** Behave as a printer that does not answer. */
  unreachable?: boolean;
}

const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'application/pdf': 'pdf', 'image/pwg-raster': 'pwg' };

const FILE_RE = /^job-(\d{6,})-(.+)\.(png|jpg|pdf|pwg)$/;

interface PendingJob {
  status: JobStatus;
  document: PrintDocument;
}

export class SimulatedPrinter extends PolledPrinter {
  readonly driver = 'sim';
  readonly simulated = true;
  readonly uri: string;
  readonly dir: string;
  private condition: Required<SimulatedCondition> = { reasons: [], state: 'idle', unreachable: false };
  private nextId: number;
  private readonly pending = new Map<string, PendingJob>();
  private readonly finished = new Map<string, JobStatus>();
  private flushing: Promise<void> = Promise.resolve();

  constructor(options: SimulatedPrinterOptions, logger: Logger, clock: Clock = systemClock) {
    super(options.pollMs ?? 0, logger.child({ module: 'printer', driver: 'sim' }), clock);
    this.dir = options.dir;
    this.uri = `sim:${options.dir}`;
    mkdirSync(this.dir, { recursive: true });
    this.nextId = Math.max(0, ...this.files().map((f) => f.id)) + 1;
  }

  /** Sets what the simulated printer reports (out of paper, stopped, unreachable) and re-reads it. */
  async simulate(condition: SimulatedCondition): Promise<PrinterState> {
    this.condition = { ...this.condition, ...condition };
    const state = await this.refresh();
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
    return state;
  }

  /** The file a completed job was written to. */
  fileOf(id: string): string | undefined {
    const f = this.files().find((x) => String(x.id) === id);
    return f ? join(this.dir, f.file) : undefined;
  }

  private files(): { id: number; name: string; file: string }[] {
    return readdirSync(this.dir).flatMap((file) => {
      const m = FILE_RE.exec(file);
      return m ? [{ id: Number(m[1]), name: m[2] as string, file }] : [];
    });
  }

  private canPrint(): boolean {
    return !this.condition.unreachable && this.condition.state !== 'stopped' && classifyReasons(this.condition.reasons).blocking.length === 0;
  }

  protected async readState(): Promise<PrinterState> {
    const checkedAt = new Date(this.clock.now()).toISOString();
    const base = { formats: Object.keys(EXTENSIONS), media: { supported: ['na_index-4x6_4x6in'], ready: ['na_index-4x6_4x6in'] }, scaling: ['none', 'fit'], checkedAt };
    if (this.condition.unreachable) return { ...base, state: 'unreachable', reasons: [], message: 'simulated printer does not answer', acceptingJobs: false };
    const state = this.condition.state === 'stopped' ? 'stopped' : this.pending.size ? 'processing' : 'idle';
    return { ...base, state, reasons: [...this.condition.reasons], acceptingJobs: true, makeAndModel: 'Cabine simulated printer' };
  }

  async submit(document: PrintDocument, signal?: AbortSignal): Promise<JobStatus> {
    signal?.throwIfAborted();
    if (this.condition.unreachable) throw new Error('Print-Job to simulated printer: no answer');
    const ext = EXTENSIONS[document.format];
    if (!ext) throw new Error(`simulated printer: document format ${document.format} not supported`);
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(document.name)) throw new Error(`simulated printer: job name "${document.name}" must be 1-100 of A-Z a-z 0-9 . _ -`);
    const status: JobStatus = { id: String(this.nextId++), name: document.name, state: 'pending', reasons: [] };
    this.pending.set(status.id, { status, document });
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
    return { ...(this.finished.get(status.id) ?? status) };
  }

  /** Prints the waiting jobs, in order, if the printer can. */
  private async flush(): Promise<void> {
    for (const [id, job] of [...this.pending]) {
      if (!this.canPrint()) return;
      const ext = EXTENSIONS[job.document.format] as string;
      const file = join(this.dir, `job-${id.padStart(6, '0')}-${job.document.name}.${ext}`);
      try {
        // The simulated paper: written whole (no fsync: a page is not data the booth keeps).
        await writeFile(`${file}.tmp`, job.document.data);
        await rename(`${file}.tmp`, file);
        this.finished.set(id, { ...job.status, state: 'completed' });
        this.logger.info({ jobId: id, file }, 'simulated job printed');
      } catch (err) {
        this.finished.set(id, { ...job.status, state: 'aborted', reasons: ['job-aborted-by-system'], message: (err as Error).message });
        this.logger.error({ jobId: id, err }, 'simulated job failed');
      }
      this.pending.delete(id);
    }
  }

  async job(id: string, expectedName?: string): Promise<JobStatus | null> {
    if (this.condition.unreachable) throw new Error('Get-Job-Attributes to simulated printer: no answer');
    const known = this.pending.get(id)?.status ?? this.finished.get(id);
    const status = known ?? this.fromFile(this.files().find((f) => String(f.id) === id));
    if (!status || (expectedName !== undefined && status.name !== expectedName)) return null;
    return { ...status };
  }

  async findJob(name: string): Promise<JobStatus | null> {
    if (this.condition.unreachable) throw new Error('Get-Jobs to simulated printer: no answer');
    const inMemory = [...[...this.pending.values()].map((p) => p.status), ...this.finished.values()].filter((s) => s.name === name);
    const onDisk = this.files()
      .filter((f) => f.name === name)
      .map((f) => this.fromFile(f) as JobStatus);
    const all = [...inMemory, ...onDisk].sort((a, b) => Number(b.id) - Number(a.id));
    return all[0] ? { ...all[0] } : null;
  }

  async cancel(id: string): Promise<void> {
    const job = this.pending.get(id);
    if (!job) throw new Error(`simulated printer: job ${id} is not pending`);
    this.pending.delete(id);
    this.finished.set(id, { ...job.status, state: 'canceled', reasons: ['job-canceled-by-operator'] });
  }

  private fromFile(f: { id: number; name: string } | undefined): JobStatus | null {
    return f ? { id: String(f.id), name: f.name, state: 'completed', reasons: [] } : null;
  }
}
