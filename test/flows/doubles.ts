// In-memory test doubles of the session ports (not product code): they keep what a real
// device or ledger would keep, count what the machine asked of them, and can fail, hang,
// fill the disk or "lose power" (every call refused) on demand.
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/db.ts';
import { createCodeRegistry, type CodeRegistry } from '../../src/codes/registry.ts';
import { openJournal, type Journal } from '../../src/flows/journal.ts';
import { createFileMedia } from '../../src/flows/media.ts';
import type {
  BoardRequest,
  Clock,
  CoinCredit,
  PhotoValidation,
  SessionEvent,
  SessionPorts,
  SessionRecord,
} from '../../src/flows/ports.ts';
import { createSessionMachine, type SessionConfig, type SessionMachine } from '../../src/flows/session.ts';

export class FakeClock implements Clock {
  private t = Date.parse('2025-03-01T09:00:00Z');
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers.delete(handle as number);
  };
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
  pending(): number {
    return this.timers.size;
  }
}

export class PowerCut extends Error {
  constructor() {
    super('power cut');
  }
}

const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

export const config: SessionConfig = {
  products: [
    { id: 'ephoto', delivers: 'ephoto', sheets: 1, priceCents: 800, item: 1 },
    { id: 'photo', delivers: 'prints', sheets: 2, priceCents: 600, item: 2 },
  ],
  maxRetakes: 2,
  timeoutsMs: { capture: 120_000, review: 60_000, signature: 120_000, payment: 180_000, done: 60_000 },
  warnBeforeMs: 15_000,
  retryMs: 30_000,
  deliveryGiveUpMs: 600_000,
};

export const compliant: PhotoValidation = { compliant: true, checks: [{ id: 'face.count', pass: true }] };
export const tooSmall: PhotoValidation = {
  compliant: false,
  checks: [
    { id: 'face.count', pass: true },
    { id: 'face.height', pass: false, value: 0.6, limit: [0.7, 0.8], hint: 'hint.face.height' },
    { id: 'gaze', pass: false, hint: 'hint.gaze' },
  ],
};

/** Everything outside the machine that survives a power cut: store, files, devices, ledger. */
export class World {
  readonly dir: string;
  store: Store;
  journal!: Journal;
  registry!: CodeRegistry;
  crashed = false;
  diskFull = false;
  /** Journal appends before the power is cut after (or before) the given append. */
  cutAfterAppend: number | undefined;
  cutBeforeAppend: number | undefined;
  appends = 0;
  healthy: { ok: true } | { ok: false; reason: string } = { ok: true };
  events: SessionEvent[] = [];

  // camera / vision / signature
  cameraFails: Error | undefined;
  cameraHolds = false;
  captures = 0;
  validations: PhotoValidation[] = [];
  signatureDrawn: Buffer | null = Buffer.from('png-signature');
  signatureBegins = 0;

  // payment ledger
  acceptorEnabled = false;
  openSession: string | undefined;
  coins = new Map<string, CoinCredit[]>();
  applied = new Map<string, number>();
  storedCredit = 0;
  settled = new Map<string, number>();
  settleCalls = 0;
  kept = new Set<string>();
  /** Refunds of undelivered sessions (a claim of what was spent: no hopper here). */
  refunds = new Map<string, { paidBackCents: number; claimCents: number; claimCode: string | null; releasedCardCents: number }>();
  refundCalls = 0;
  private coinSeq = 0;
  private creditListeners = new Set<(c: CoinCredit) => void>();

  // printer
  printerFails: Error | undefined;
  jobs = new Map<string, { jobId: string; board: BoardRequest }>();
  submissions = new Map<string, number>();

  // outbox
  records = new Map<string, SessionRecord>();
  /** The product each payment was opened for (product id, card reader item). */
  sold = new Map<string, { product: string; item: number }>();

  constructor(t: Test) {
    this.dir = mkdtempSync(join(tmpdir(), 'cabine-flows-'));
    this.store = this.open();
    t.teardown(() => {
      this.store.close();
      rmSync(this.dir, { recursive: true, force: true });
    });
  }

  private open(): Store {
    const store = openStore(this.dir);
    this.journal = openJournal(store);
    this.registry = createCodeRegistry(store, { prefix: '9CAB' });
    return store;
  }

  /** Power comes back: a new process opens the same files; devices keep their state. */
  reboot(): void {
    this.store.close();
    this.crashed = false;
    this.cutAfterAppend = undefined;
    this.cutBeforeAppend = undefined;
    this.creditListeners.clear();
    this.acceptorEnabled = false;
    this.store = this.open();
  }

  private alive(): void {
    if (this.crashed) throw new PowerCut();
  }

  /** The customer drops a coin: the acceptor credits it only when enabled. */
  insertCoin(cents: number): boolean {
    if (!this.acceptorEnabled || !this.openSession || this.crashed) return false;
    const credit = { sessionId: this.openSession, coinId: `coin-${++this.coinSeq}`, cents };
    const list = this.coins.get(credit.sessionId) ?? [];
    list.push(credit);
    this.coins.set(credit.sessionId, list);
    for (const listener of this.creditListeners) listener(credit);
    return true;
  }

  sessionCredit(sessionId: string): number {
    return (this.applied.get(sessionId) ?? 0) + (this.coins.get(sessionId) ?? []).reduce((a, c) => a + c.cents, 0);
  }

  /** The journal the machine writes, with disk-full and power-cut injection. */
  journalPort(): Journal {
    const inner = this.journal;
    return {
      append: (sessionId, fact, at) => {
        this.alive();
        if (this.diskFull) throw diskFull();
        this.appends++;
        if (this.cutBeforeAppend === this.appends) {
          this.crashed = true;
          throw new PowerCut();
        }
        const entry = inner.append(sessionId, fact, at);
        if (this.cutAfterAppend === this.appends) this.crashed = true;
        return entry;
      },
      entries: (id) => inner.entries(id),
      openSessions: () => inner.openSessions(),
      sessions: () => inner.sessions(),
    };
  }

  ports(): SessionPorts {
    const media = createFileMedia(this.dir);
    return {
      camera: {
        capture: async (signal) => {
          this.alive();
          this.captures++;
          if (this.cameraFails) throw this.cameraFails;
          if (this.cameraHolds) {
            await new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
          }
          return Buffer.from(`jpeg-${this.captures}`);
        },
      },
      validator: {
        validate: async () => {
          this.alive();
          return this.validations.shift() ?? compliant;
        },
      },
      signature: {
        begin: async () => {
          this.alive();
          this.signatureBegins++;
        },
        finish: async () => {
          this.alive();
          return this.signatureDrawn;
        },
        end: async () => undefined,
      },
      payment: {
        open: async (sessionId, due, sold) => {
          this.alive();
          this.openSession = sessionId;
          if (sold) this.sold.set(sessionId, sold);
          if (!this.applied.has(sessionId)) {
            const use = Math.min(this.storedCredit, due);
            this.storedCredit -= use;
            this.applied.set(sessionId, use);
          }
          this.acceptorEnabled = this.sessionCredit(sessionId) < due;
          return { appliedCreditCents: this.applied.get(sessionId) ?? 0 };
        },
        inhibit: async () => {
          this.alive();
          this.acceptorEnabled = false;
        },
        onCredit: (listener) => {
          this.creditListeners.add(listener);
          return () => this.creditListeners.delete(listener);
        },
        sessionCreditCents: async (sessionId) => {
          this.alive();
          return this.sessionCredit(sessionId);
        },
        settle: async (sessionId, cents) => {
          this.alive();
          this.settleCalls++;
          if (this.settled.has(sessionId)) return;
          this.settled.set(sessionId, cents);
          this.storedCredit += this.sessionCredit(sessionId) - cents; // surplus stays credit
        },
        keepAsCredit: async (sessionId) => {
          this.alive();
          this.acceptorEnabled = false;
          if (!this.kept.has(sessionId) && !this.settled.has(sessionId)) {
            this.kept.add(sessionId);
            this.storedCredit += this.sessionCredit(sessionId);
          }
          return { refundedCents: 0 };
        },
        refund: async (sessionId) => {
          this.alive();
          this.refundCalls++;
          const existing = this.refunds.get(sessionId);
          if (existing) return existing;
          const owed = this.settled.get(sessionId) ?? this.sessionCredit(sessionId);
          const refund = { paidBackCents: 0, claimCents: owed, claimCode: `CLAIM-${this.refunds.size + 1}`, releasedCardCents: 0 };
          this.refunds.set(sessionId, refund);
          return refund;
        },
      },
      printer: {
        ensurePrinted: async (board) => {
          this.alive();
          const done = this.jobs.get(board.sessionId);
          if (done) return { jobId: done.jobId };
          if (this.printerFails) throw this.printerFails;
          this.submissions.set(board.sessionId, (this.submissions.get(board.sessionId) ?? 0) + 1);
          const job = { jobId: `job-${this.jobs.size + 1}`, board };
          this.jobs.set(board.sessionId, job);
          return { jobId: job.jobId, boardFile: join(this.dir, `${board.sessionId}-board.jpg`) };
        },
      },
      codes: {
        issueForSession: (sessionId) => {
          this.alive();
          if (this.diskFull) throw diskFull();
          return this.registry.issueForSession(sessionId);
        },
      },
      outbox: {
        enqueue: (record) => {
          this.alive();
          if (!this.records.has(record.id)) this.records.set(record.id, record);
        },
      },
      health: { canDeliver: () => this.healthy },
      events: { publish: (e) => void this.events.push(e) },
      media: {
        save: async (id, name, data) => {
          this.alive();
          return media.save(id, name, data);
        },
        read: (file) => media.read(file),
      },
    };
  }

  machine(t: Test, clock: Clock = new FakeClock(), overrides: Partial<SessionConfig> = {}): SessionMachine {
    const machine = createSessionMachine({ ports: this.ports(), journal: this.journalPort(), config: { ...config, ...overrides }, clock });
    t.teardown(() => machine.stop());
    return machine;
  }

  facts(sessionId: string): string[] {
    return this.journal.entries(sessionId).map((e) => e.fact.type);
  }
}
