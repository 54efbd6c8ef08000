// The operator's fleet database in SQLite (`fleet.db`, WAL): enrolled booths and their
// record-signing keys, every record received (the signed text, kept as evidence), the issued
// codes extracted for the back-office, and the rejected deliveries. Ingest is idempotent by
// (booth, record id). This is the synchronous SQLite API; the ingest, the export and the CLI use it
// through the async FleetStore interface (store-sqlite.ts), whose other implementation is
// PostgreSQL (store-postgres.ts, same tables). See docs/fleet.md "Storage".
import type { KeyObject } from 'node:crypto';
import { openStore, type Store } from '../../store/db.ts';
import { keyIdOf, parsePublicKey, spkiDerOfPem } from '../signing.ts';
import { BOOTH_ID_RE } from '../topics.ts';
import { codeColumnsOf, columnText, type BoothActivity, type BoothRow, type CodeRow, type FleetCounts, type RecordKey, type RejectRow, type StoreOutcome, type StoredRecord } from './store-types.ts';

export type { BoothActivity, BoothRow, CodeRow, FleetCounts, RejectRow, StoredRecord } from './store-types.ts';

export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE booths (
     id TEXT PRIMARY KEY,
     public_key TEXT NOT NULL,
     key_id TEXT NOT NULL,
     cert_serial TEXT,
     enrolled_at TEXT NOT NULL
   );
   CREATE TABLE records (
     id TEXT PRIMARY KEY,
     booth TEXT NOT NULL,
     type TEXT NOT NULL,
     at TEXT NOT NULL,
     received_at TEXT NOT NULL,
     deliveries INTEGER NOT NULL DEFAULT 1,
     key_id TEXT NOT NULL,
     record TEXT NOT NULL,
     sig TEXT NOT NULL
   );
   CREATE INDEX records_booth ON records (booth, at);
   CREATE TABLE codes (
     code TEXT PRIMARY KEY,
     record_id TEXT NOT NULL UNIQUE REFERENCES records (id),
     booth TEXT NOT NULL,
     session_id TEXT,
     expires TEXT,
     paid_cents INTEGER,
     issued_at TEXT NOT NULL
   );
   CREATE TABLE rejects (
     booth TEXT NOT NULL,
     record_id TEXT,
     reason TEXT NOT NULL,
     first_at TEXT NOT NULL,
     last_at TEXT NOT NULL,
     count INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (booth, reason, record_id)
   );`,
  // Records keyed by (booth, id): an id is unique per booth only, so a booth reusing another
  // booth's id can neither have it acknowledged nor shadow it (issue #17).
  `CREATE TABLE records_v2 (
     id TEXT NOT NULL,
     booth TEXT NOT NULL,
     type TEXT NOT NULL,
     at TEXT NOT NULL,
     received_at TEXT NOT NULL,
     deliveries INTEGER NOT NULL DEFAULT 1,
     key_id TEXT NOT NULL,
     record TEXT NOT NULL,
     sig TEXT NOT NULL,
     PRIMARY KEY (booth, id)
   );
   INSERT INTO records_v2 (id, booth, type, at, received_at, deliveries, key_id, record, sig)
     SELECT id, booth, type, at, received_at, deliveries, key_id, record, sig FROM records;
   CREATE TEMP TABLE codes_v1 AS SELECT * FROM codes;
   DROP TABLE codes;
   DROP TABLE records;
   ALTER TABLE records_v2 RENAME TO records;
   CREATE INDEX records_booth ON records (booth, at);
   CREATE TABLE codes (
     code TEXT PRIMARY KEY,
     record_id TEXT NOT NULL,
     booth TEXT NOT NULL,
     session_id TEXT,
     expires TEXT,
     paid_cents INTEGER,
     issued_at TEXT NOT NULL,
     UNIQUE (booth, record_id),
     FOREIGN KEY (booth, record_id) REFERENCES records (booth, id)
   );
   INSERT INTO codes (code, record_id, booth, session_id, expires, paid_cents, issued_at)
     SELECT code, record_id, booth, session_id, expires, paid_cents, issued_at FROM codes_v1;
   DROP TABLE codes_v1;`,
];

export interface FleetDb {
  readonly store: Store;
  enrol(booth: string, publicKeyPem: string, certSerial?: string): { keyId: string };
  boothKey(booth: string): KeyObject | undefined;
  boothKeyDer(booth: string): Buffer | undefined;
  booths(): BoothRow[];
  /** Stores a batch in one transaction; returns, per record, whether it was new. */
  storeBatch(records: readonly StoredRecord[]): StoreOutcome[];
  /** Per (booth, id): stored for that booth? Counts one more delivery of each that is. */
  redelivered(keys: readonly RecordKey[]): boolean[];
  reject(booth: string, recordId: string | undefined, reason: string): void;
  rejects(): RejectRow[];
  counts(): FleetCounts;
  codes(options?: { since?: string; booth?: string }): CodeRow[];
  recordText(id: string, booth?: string): string | undefined;
  recordIds(): string[];
  boothActivity(): BoothActivity[];
  close(): void;
}

export function openFleetDb(dir: string, file = 'fleet.db'): FleetDb {
  const store = openStore(dir, { file });
  store.migrate('fleet', SQLITE_MIGRATIONS);
  const db = store.db;
  const upsertBooth = db.prepare<[string, string, string, string | null, string]>(
    `INSERT INTO booths (id, public_key, key_id, cert_serial, enrolled_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key, key_id = excluded.key_id,
       cert_serial = excluded.cert_serial, enrolled_at = excluded.enrolled_at`,
  );
  const getKey = db.prepare<[string], { public_key: string }>('SELECT public_key FROM booths WHERE id = ?');
  const insertRecord = db.prepare<[string, string, string, string, string, string, string, string]>(
    `INSERT INTO records (id, booth, type, at, received_at, key_id, record, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (booth, id) DO NOTHING`,
  );
  const storedText = db.prepare<[string, string], { record: string }>('SELECT record FROM records WHERE booth = ? AND id = ?');
  const bumpOwnDelivery = db.prepare<[string, string]>('UPDATE records SET deliveries = deliveries + 1 WHERE id = ? AND booth = ?');
  const bumpSameDelivery = db.prepare<[string, string, string]>('UPDATE records SET deliveries = deliveries + 1 WHERE id = ? AND booth = ? AND sig = ?');
  const insertCode = db.prepare<[string, string, string, string | null, string | null, number | null, string]>(
    `INSERT INTO codes (code, record_id, booth, session_id, expires, paid_cents, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (code) DO NOTHING`,
  );
  const insertReject = db.prepare<[string, string, string, string, string]>(
    `INSERT INTO rejects (booth, record_id, reason, first_at, last_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (booth, reason, record_id) DO UPDATE SET count = count + 1, last_at = excluded.last_at`,
  );
  const keys = new Map<string, KeyObject>();
  const ders = new Map<string, Buffer>();

  return {
    store,
    enrol(booth, publicKeyPem, certSerial) {
      if (!BOOTH_ID_RE.test(booth)) throw new Error(`booth id "${booth}" is not valid (letters, digits, - and _, at most 64)`);
      const key = parsePublicKey(publicKeyPem);
      const keyId = keyIdOf(key);
      upsertBooth.run(booth, key.export({ type: 'spki', format: 'pem' }).toString(), keyId, certSerial ?? null, new Date().toISOString());
      keys.set(booth, key);
      ders.delete(booth);
      return { keyId };
    },
    boothKey(booth) {
      const cached = keys.get(booth);
      if (cached) return cached;
      const row = getKey.get(booth);
      if (!row) return undefined;
      const key = parsePublicKey(row.public_key);
      keys.set(booth, key);
      return key;
    },
    boothKeyDer(booth) {
      const cached = ders.get(booth);
      if (cached) return cached;
      const row = getKey.get(booth);
      if (!row) return undefined;
      const der = spkiDerOfPem(row.public_key);
      ders.set(booth, der);
      return der;
    },
    booths() {
      return db.prepare<[], BoothRow>('SELECT id, key_id, cert_serial, enrolled_at FROM booths ORDER BY id').all();
    },
    storeBatch(batch) {
      const now = new Date().toISOString();
      return store.transaction(() =>
        batch.map(({ record, keyId, recordText, sig }): StoreOutcome => {
          const fresh = insertRecord.run(record.id, record.booth, record.type, columnText(record.at), now, keyId, recordText, sig).changes > 0;
          if (!fresh) {
            if (storedText.get(record.booth, record.id)?.record !== recordText) return 'conflict';
            bumpOwnDelivery.run(record.id, record.booth);
            return 'duplicate';
          }
          const code = codeColumnsOf(record);
          if (code) insertCode.run(code.code, record.id, record.booth, code.sessionId, code.expires, code.paidCents, code.issuedAt);
          return 'new';
        }),
      );
    },
    redelivered(keys) {
      if (keys.length === 0) return [];
      // a transaction that changes nothing writes nothing (no WAL frame, no fsync)
      return store.transaction(() => keys.map(({ booth, id, sig }) => (sig === undefined ? bumpOwnDelivery.run(id, booth) : bumpSameDelivery.run(id, booth, sig)).changes > 0));
    },
    reject(booth, recordId, reason) {
      const now = new Date().toISOString();
      insertReject.run(booth, recordId ?? '', reason, now, now);
    },
    rejects() {
      return db
        .prepare<[], RejectRow>("SELECT booth, NULLIF(record_id, '') AS record_id, reason, first_at, last_at, count FROM rejects ORDER BY booth, reason, record_id")
        .all();
    },
    counts() {
      const one = (sql: string) => (db.prepare<[], { n: number | null }>(sql).get()?.n ?? 0);
      return {
        records: one('SELECT COUNT(*) AS n FROM records'),
        codes: one('SELECT COUNT(*) AS n FROM codes'),
        rejects: one('SELECT SUM(count) AS n FROM rejects'),
        deliveries: one('SELECT SUM(deliveries) AS n FROM records'),
      };
    },
    codes(options = {}) {
      return db
        .prepare<[string, string | null, string | null], CodeRow>(
          'SELECT code, record_id, booth, session_id, expires, paid_cents, issued_at FROM codes WHERE issued_at >= ? AND (? IS NULL OR booth = ?) ORDER BY issued_at, code',
        )
        .all(options.since ?? '', options.booth ?? null, options.booth ?? null);
    },
    recordText(id, booth) {
      if (booth !== undefined) return storedText.get(booth, id)?.record;
      return db.prepare<[string], { record: string }>('SELECT record FROM records WHERE id = ? ORDER BY booth LIMIT 1').get(id)?.record;
    },
    recordIds() {
      return db.prepare<[], { id: string }>('SELECT id FROM records ORDER BY id').all().map((r) => r.id);
    },
    boothActivity() {
      return db
        .prepare<[], BoothActivity>(
          `SELECT r.booth AS booth, COUNT(*) AS records, (SELECT COUNT(*) FROM codes c WHERE c.booth = r.booth) AS codes, MAX(r.at) AS lastRecordAt
           FROM records r GROUP BY r.booth ORDER BY r.booth`,
        )
        .all();
    },
    close() {
      store.close();
    },
  };
}
