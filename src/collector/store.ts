// What the e-photo service keeps beside the fleet store, and the one interface through which
// it reads and writes (SQLite: store-sqlite.ts, in fleet.db; PostgreSQL: store-postgres.ts, in
// the fleet database). Rules both implementations keep:
// - a code is used at most once: `use` inserts its use row and the audit row of that call in
//   one transaction, and only the first insert wins (a race between two clients gives one 200);
// - every pull call is audited (time, client, action, the code as asked, result);
// - a refund is recorded once per code (a second one is refused), and audited;
// - the push queue holds one row per (code, target): pending → sent → acknowledged (or
//   abandoned: expired or without files before any target took it), with the attempt count,
//   the next attempt time and the last error; queueing a pair twice changes nothing;
// - purging a code rewrites its record without the photo and signature bytes (their SHA-256,
//   size and type stay), marks it purged and audits it, in one transaction; nothing else of
//   the record changes, so status and support still answer from the metadata;
import type { FleetStore } from '../fleet/operator/store-types.ts';

export interface CodeState {
  code: string;
  booth: string;
  recordId: string;
  sessionId: string | null;
  issuedAt: string;
  /** When the operator's ingest stored the record. */
  storedAt: string | null;
  /** The booth's own expiry, as its record said. */
  expires: string | null;
  paidCents: number | null;
  usedAt: string | null;
  usedBy: string | null;
  purgedAt: string | null;
  refund: RefundRow | null;
  /** Push targets that have not acknowledged the code yet. */
  pushesPending: number;
}

export interface RefundRow {
  at: string;
  reason: string;
  by: string;
}

export interface AuditEntry {
  at: string;
  /** Who asked: the client certificate's subject and fingerprint, `support:<user>`, `purge`, ... */
  client: string;
  action: 'pull' | 'refund' | 'purge' | 'push';
  /** The code as asked (truncated to 64 characters; may be malformed). */
  code: string;
  /** The answer given: used/expired/unknown/invalid/delivered, refunded, purged, acknowledged, ... */
  result: string;
  detail?: string | null;
}

export interface AuditRow extends AuditEntry {
  seq: number;
  detail: string | null;
}

export type PushState = 'pending' | 'sent' | 'acknowledged' | 'abandoned';

export interface PushRow {
  code: string;
  target: string;
  state: PushState;
  attempts: number;
  nextAt: string;
  lastError: string | null;
  sentAt: string | null;
  ackedAt: string | null;
}

export interface PurgeCandidate {
  code: string;
  booth: string;
  recordId: string;
  why: 'used' | 'expired';
}

/** What the purge needs to know of one code. */
export interface PurgeScanRow {
  code: string;
  booth: string;
  recordId: string;
  issuedAt: string;
  expires: string | null;
  usedAt: string | null;
  purged: boolean;
}

export interface CollectorStore {
  readonly kind: 'sqlite' | 'postgres';
  /** The fleet store on the same database (ingest, export, enrolment). */
  readonly fleet: FleetStore;
  /** Everything known of a code, without its files; undefined when no record issued it. */
  lookup(code: string): Promise<CodeState | undefined>;
  /** The stored record text (with files unless purged) of the record that issued the code. */
  recordText(code: string): Promise<string | undefined>;
  /** Marks the code used by `client` and audits the call, atomically; false when it already was. */
  use(code: string, client: string, at: string): Promise<boolean>;
  audit(entry: AuditEntry): Promise<void>;
  /** The audit trail of one code, oldest first. */
  auditOf(code: string): Promise<AuditRow[]>;
  /** Records a refund (and audits it); false when the code already has one. */
  refund(code: string, refund: RefundRow): Promise<boolean>;
  /** Every refund, by code (for the export). */
  refunds(): Promise<Map<string, RefundRow>>;
  /** The record text of the booth's payment record for a session, if it reached the operator. */
  paymentRecordText(booth: string, sessionId: string): Promise<string | undefined>;
  /**
   * One step of the purge's walk over every code, in code order: up to `window` codes after
   * `after` (exclusive; '' from the start). Bounded steps over the primary key, so a pass over
   * millions of codes never holds the database or the event loop for long.
   */
  codesAfter(after: string, window: number): Promise<PurgeScanRow[]>;
  /** For each item, in one transaction: replaces the record text by `text` (files emptied), marks the code purged, audits it. */
  purge(items: readonly { candidate: PurgeCandidate; text: string }[], at: string): Promise<void>;
  /** Queues for `target` every code whose record was stored since `since` and that is not queued for it yet; returns how many. */
  queueNewCodes(target: string, since: string, at: string, limit: number): Promise<number>;
  /** Rows not acknowledged nor abandoned whose next attempt is due, soonest first. */
  duePushes(target: string, now: string, limit: number): Promise<PushRow[]>;
  pushRows(code: string): Promise<PushRow[]>;
  /** Writes one row's new state (durably); audits acknowledgements and abandons. */
  updatePush(row: PushRow, at: string): Promise<void>;
  close(): Promise<void>;
}
