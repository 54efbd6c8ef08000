// The simulated printer of `--sim` when no printer.uri is set: the same PrinterDevice, whose
// "paper" is a folder. A job is written there (atomically, fsync'd) as soon as the printer can
// print; while a blocking reason is set (media-empty...) jobs wait as a real printer's would.
// Its history is the folder itself, so a job is found by id or by name after a restart.
// Paper (tray "main", in sheets) and ribbon (in prints) are used up one per printed sheet and
// reported as a dye-sublimation printer does over IPP (printer-input-tray, printer-supply,
// parsed by the same consumablesFrom as the IPP driver; media-low/-empty and
// marker-supply-low/-empty reasons): the booth's telemetry, prints left and low-supply alarm
// work as with a real printer. Levels live in <dir>/consumables.json (kept across restarts,
// as the printer keeps its own); the technician reloads with `refill`.
// Tests that need the wire protocol use ippeveprinter and the IPP driver instead.
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.ts';
import { systemClock, type Clock } from '../clock.ts';
import { PolledPrinter } from './base.ts';
import { z } from 'zod';
import { consumablesFrom } from './consumables.ts';
import { classifyReasons, type JobStatus, type PrintDocument, type PrinterState } from './interface.ts';

export interface SimulatedPrinterOptions {
  /** Folder receiving the printed documents. */
  dir: string;
  pollMs?: number;
  /** Sheets a full paper roll or tray holds (default 700, a 4x6 roll of a DNP DS-RX1). */
  paperCapacity?: number;
  /** Prints a full ribbon makes (default 700, the ribbon packed with that roll). */
  ribbonCapacity?: number;
}

/** What the simulated printer has left (consumables.json). */
const levelsSchema = z.object({ paper: z.number().int().min(0), ribbon: z.number().int().min(0) }).strict();
export type SimulatedLevels = z.infer<typeof levelsSchema>;

/** Below this share of a full load the printer reports …-low-warning (as printers do, ~10 %). */
const LOW_SHARE = 0.1;

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
  /** Sheets still to print (copies). */
  sheetsLeft: number;
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
  readonly capacity: SimulatedLevels;
  private levels: SimulatedLevels;
  private readonly levelsFile: string;

  constructor(options: SimulatedPrinterOptions, logger: Logger, clock: Clock = systemClock) {
    super(options.pollMs ?? 0, logger.child({ module: 'printer', driver: 'sim' }), clock);
    this.dir = options.dir;
    this.uri = `sim:${options.dir}`;
    mkdirSync(this.dir, { recursive: true });
    this.nextId = Math.max(0, ...this.files().map((f) => f.id)) + 1;
    this.capacity = { paper: options.paperCapacity ?? 700, ribbon: options.ribbonCapacity ?? 700 };
    if (!(this.capacity.paper > 0 && this.capacity.ribbon > 0)) throw new Error('simulated printer: paper and ribbon capacities must be positive');
    this.levelsFile = join(this.dir, 'consumables.json');
    this.levels = this.readLevels();
  }

  /** Paper and ribbon left now. */
  consumableLevels(): SimulatedLevels {
    return { ...this.levels };
  }

  /**
   * The technician's hands: loads paper and/or a ribbon (`full`: a whole roll / ribbon; a
   * number: that many left, 0 = taken out), then re-reads the state and prints what waited.
   */
  async refill(change: { paper?: number | 'full'; ribbon?: number | 'full' }): Promise<PrinterState> {
    const level = (v: number | 'full' | undefined, current: number, max: number) => {
      if (v === undefined) return current;
      if (v === 'full') return max;
      if (!Number.isInteger(v) || v < 0 || v > max) throw new Error(`simulated printer: a level must be 0-${max}, got ${v}`);
      return v;
    };
    this.levels = { paper: level(change.paper, this.levels.paper, this.capacity.paper), ribbon: level(change.ribbon, this.levels.ribbon, this.capacity.ribbon) };
    await this.saveLevels();
    return this.simulate({});
  }

  private readLevels(): SimulatedLevels {
    if (!existsSync(this.levelsFile)) return { ...this.capacity };
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.levelsFile, 'utf8'));
    } catch (err) {
      throw new Error(`simulated printer: cannot read ${this.levelsFile}: ${(err as Error).message}`, { cause: err });
    }
    const parsed = levelsSchema.safeParse(json);
    if (!parsed.success) throw new Error(`simulated printer: ${this.levelsFile} is not {paper, ribbon}: ${parsed.error.message}`);
    return { paper: Math.min(parsed.data.paper, this.capacity.paper), ribbon: Math.min(parsed.data.ribbon, this.capacity.ribbon) };
  }

  private async saveLevels(): Promise<void> {
    await writeFile(`${this.levelsFile}.tmp`, JSON.stringify(this.levels));
    await rename(`${this.levelsFile}.tmp`, this.levelsFile);
  }

  /** printer-state-reasons the paper and ribbon levels give, as a printer reports them. */
  private supplyReasons(): string[] {
    const reasons: string[] = [];
    const { paper, ribbon } = this.levels;
    if (paper === 0) reasons.push('media-empty-error');
    else if (paper <= this.capacity.paper * LOW_SHARE) reasons.push('media-low-warning');
    if (ribbon === 0) reasons.push('marker-supply-empty-error');
    else if (ribbon <= this.capacity.ribbon * LOW_SHARE) reasons.push('marker-supply-low-warning');
    return reasons;
  }

  private reasons(): string[] {
    return [...new Set([...this.condition.reasons, ...this.supplyReasons()])];
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
    return !this.condition.unreachable && this.condition.state !== 'stopped' && classifyReasons(this.reasons()).blocking.length === 0;
  }

  protected async readState(): Promise<PrinterState> {
    const checkedAt = new Date(this.clock.now()).toISOString();
    const base = { formats: Object.keys(EXTENSIONS), media: { supported: ['na_index-4x6_4x6in'], ready: ['na_index-4x6_4x6in'] }, scaling: ['none', 'fit'], checkedAt };
    if (this.condition.unreachable) return { ...base, state: 'unreachable', reasons: [], message: 'simulated printer does not answer', acceptingJobs: false };
    const state = this.condition.state === 'stopped' ? 'stopped' : this.pending.size ? 'processing' : 'idle';
    // The same attributes a dye-sublimation printer answers (PWG 5100.13 printer-input-tray,
    // RFC 3805 printer-supply), through the parser the IPP driver uses.
    const consumables = consumablesFrom({
      markerNames: [],
      markerLevels: [],
      markerTypes: [],
      inputTray: [`type=sheetFeedAutoNonRemovableTray;mediafeed=0;mediaxfeed=0;maxcapacity=${this.capacity.paper};level=${this.levels.paper};status=0;name=main;`],
      supply: [`index=1;class=supplyThatIsConsumed;type=ribbonWax;unit=impressions;maxcapacity=${this.capacity.ribbon};level=${this.levels.ribbon};`],
      supplyDescription: ['Ribbon'],
    });
    return { ...base, state, reasons: this.reasons(), acceptingJobs: true, makeAndModel: 'Cabine simulated printer', consumables };
  }

  async submit(document: PrintDocument, signal?: AbortSignal): Promise<JobStatus> {
    signal?.throwIfAborted();
    if (this.condition.unreachable) throw new Error('Print-Job to simulated printer: no answer');
    const ext = EXTENSIONS[document.format];
    if (!ext) throw new Error(`simulated printer: document format ${document.format} not supported`);
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(document.name)) throw new Error(`simulated printer: job name "${document.name}" must be 1-100 of A-Z a-z 0-9 . _ -`);
    const status: JobStatus = { id: String(this.nextId++), name: document.name, state: 'pending', reasons: [] };
    this.pending.set(status.id, { status, document, sheetsLeft: Math.max(1, document.copies ?? 1) });
    this.flushing = this.flushing.then(() => this.flush());
    await this.flushing;
    return { ...(this.finished.get(status.id) ?? status) };
  }

  /** Prints the waiting jobs, in order, sheet by sheet while paper and ribbon last. */
  private async flush(): Promise<void> {
    for (const [id, job] of [...this.pending]) {
      let used = false;
      while (job.sheetsLeft > 0 && this.canPrint()) {
        this.levels = { paper: this.levels.paper - 1, ribbon: this.levels.ribbon - 1 };
        job.sheetsLeft--;
        used = true;
      }
      if (used) await this.saveLevels();
      if (job.sheetsLeft > 0) {
        // Out of paper or ribbon part-way: the job stops until the technician reloads.
        if (used || job.status.state === 'processing-stopped') job.status = { ...job.status, state: 'processing-stopped', reasons: ['printer-stopped'] };
        if (used) void this.refresh();
        return;
      }
      if (used) void this.refresh();
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
