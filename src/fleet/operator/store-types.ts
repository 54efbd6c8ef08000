// The operator's fleet store as the ingest, the export and the CLI see it: a small async
// interface (every method a Promise), with two implementations behind it: SQLite
// (store-sqlite.ts, the default: `fleet.db` under --data) and PostgreSQL (store-postgres.ts,
// when a postgres:// URL is configured). One behaviour suite runs against both
// (test/fleet/helpers/store-suite.ts). The rules both must keep are written here, once.
import type { KeyObject } from 'node:crypto';
import type { FleetRecord } from '../schemas.ts';

export interface StoredRecord {
  /** The parsed record; its files' `base64` may be empty (the verification workers leave it out: `recordText` has it). */
  record: FleetRecord;
  keyId: string;
  /** The exact signed text (kept as evidence). */
  recordText: string;
  sig: string;
}

/** A delivery's booth (the topic's, which the broker's ACL guarantees) and record id. */
export interface RecordKey {
  booth: string;
  id: string;
  /** When given, a stored record is a match only if its signature is this one (the same text under the same key). */
  sig?: string;
}

/** What `storeBatch` did with one record. */
export type StoreOutcome = 'new' | 'duplicate' | 'conflict';

export interface CodeRow {
  code: string;
  record_id: string;
  booth: string;
  session_id: string | null;
  expires: string | null;
  paid_cents: number | null;
  issued_at: string;
}

export interface BoothRow {
  id: string;
  key_id: string;
  cert_serial: string | null;
  enrolled_at: string;
}

export interface RejectRow {
  booth: string;
  /** null when the delivery could not be tied to a record id. */
  record_id: string | null;
  reason: string;
  first_at: string;
  last_at: string;
  count: number;
}

/** Per booth: what the store holds of it (for `fleet status`). */
export interface BoothActivity {
  booth: string;
  records: number;
  codes: number;
  /** `at` of the newest record, null when none. */
  lastRecordAt: string | null;
}

export interface FleetCounts {
  records: number;
  codes: number;
  /** Rejected deliveries (sum of the aggregated counts). */
  rejects: number;
  /** Deliveries of stored records (>= records; the excess are duplicates). */
  deliveries: number;
}

export interface FleetStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Where the data is, for logs and messages: the file path, or the URL without its password. */
  readonly location: string;
  /** Registers (or replaces) a booth's record-signing key. Throws on a bad booth id or key. */
  enrol(booth: string, publicKeyPem: string, certSerial?: string): Promise<{ keyId: string }>;
  /** The booth's enrolled key; undefined for a booth that is not enrolled. */
  boothKey(booth: string): Promise<KeyObject | undefined>;
  /** The same key as SPKI DER bytes, without parsing it (what the verification workers take). */
  boothKeyDer(booth: string): Promise<Buffer | undefined>;
  booths(): Promise<BoothRow[]>;
  /**
   * Stores a batch in one transaction (all or nothing; durable once the promise resolves) and
   * returns, per input record, what became of it. Records are keyed by (booth, id): two booths
   * may use the same id without touching each other. `new`: stored now (the issued code of a
   * `session` record is extracted in the same transaction). `duplicate`: the same signed text is
   * already stored for that booth (or repeated in the batch); its `deliveries` count goes up by
   * one. `conflict`: a different text is stored under that (booth, id); nothing changes, and the
   * ingest must not acknowledge it (the booth keeps it and the operator sees the reject).
   */
  storeBatch(records: readonly StoredRecord[]): Promise<StoreOutcome[]>;
  /**
   * Deliveries named only by (booth, id[, sig]), before any verification: per input, whether a
   * record with that id (and that signature, when given) is stored for that booth; each one that is counts one more delivery (as
   * `storeBatch` does for a duplicate). One transaction; nothing else changes. The ingest acks
   * these at once without verifying their signature again (the stored one was verified).
   */
  redelivered(keys: readonly RecordKey[]): Promise<boolean[]>;
  /** Counts a rejected delivery, aggregated by (booth, reason, record id). */
  reject(booth: string, recordId: string | undefined, reason: string): Promise<void>;
  rejects(): Promise<RejectRow[]>;
  counts(): Promise<FleetCounts>;
  /** Issued codes, oldest first (issued_at, then code; byte order). */
  codes(options?: { since?: string; booth?: string }): Promise<CodeRow[]>;
  /** The signed text of a record: of that booth's record when `booth` is given, else of the first booth's (ids are unique per booth only). */
  recordText(id: string, booth?: string): Promise<string | undefined>;
  /** Every stored record id, in byte order (an id used by two booths appears twice). */
  recordIds(): Promise<string[]>;
  boothActivity(): Promise<BoothActivity[]>;
  close(): Promise<void>;
}

/**
 * A text value as the extracted columns hold it. PostgreSQL text cannot hold U+0000, which a
 * JSON string may carry (escaped) inside `data`; both stores replace it with U+FFFD so they
 * answer the same. The signed record text, the evidence, is kept byte for byte (valid JSON
 * never contains a raw U+0000).
 */
export function columnText(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
}

export interface CodeColumns {
  code: string;
  sessionId: string | null;
  expires: string | null;
  paidCents: number | null;
  issuedAt: string;
}

/**
 * The issued code carried by a record, as the `codes` table holds it: only `session` records
 * with a non-empty string `data.code` issue one. A value that does not fit its column (a
 * non-string session id, a paid amount that is not a 32-bit non-negative integer) is stored
 * as NULL there; the signed record keeps it.
 */
export function codeColumnsOf(record: FleetRecord): CodeColumns | undefined {
  const code = record.data.code;
  if (record.type !== 'session' || typeof code !== 'string' || code === '') return undefined;
  const text = (v: unknown) => (typeof v === 'string' ? columnText(v) : null);
  const paid = record.data.paidCents;
  return {
    code: columnText(code),
    sessionId: text(record.data.sessionId),
    expires: text(record.data.expires),
    paidCents: typeof paid === 'number' && Number.isInteger(paid) && paid >= 0 && paid <= 2_147_483_647 ? paid : null,
    issuedAt: columnText(record.at),
  };
}
