// The PostgreSQL FleetStore (npm `pg`): the same four tables as the SQLite one (db.ts), created
// and migrated on open (versioned per owner in `cabine_schema_migrations`, like our SQLite
// migrations, under an advisory lock so several ingests may open one database at once).
// Several ingest processes may share the database: the insert is idempotent by (booth, id)
// (INSERT ... ON CONFLICT (booth, id) DO UPDATE SET deliveries = deliveries + n WHERE the text
// is the same, RETURNING xmax = 0, tells a new row from a duplicate; a row not returned is a
// conflict), each batch is one transaction committed with
// synchronous_commit on (durable before the ingest acknowledges), rows are written in key order
// so concurrent batches lock them in the same order, and a deadlock or serialization failure
// is retried. Text columns use the "C" collation: byte order, as in SQLite, so both stores
// sort and compare ids and ISO-8601 times the same way.
import type { KeyObject } from 'node:crypto';
import pg from 'pg';
import type { PoolClient } from 'pg';
import { silentLogger, type Logger } from '../../log.ts';
import { keyIdOf, parsePublicKey, spkiDerOfPem } from '../signing.ts';
import { BOOTH_ID_RE } from '../topics.ts';
import { codeColumnsOf, columnText, type BoothActivity, type BoothRow, type CodeRow, type FleetStore, type RecordKey, type RejectRow, type StoreOutcome, type StoredRecord } from './store-types.ts';

/** Append-only: a released step is never edited; a change is a new step. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE booths (
     id TEXT COLLATE "C" PRIMARY KEY,
     public_key TEXT NOT NULL,
     key_id TEXT NOT NULL,
     cert_serial TEXT,
     enrolled_at TEXT NOT NULL
   );
   CREATE TABLE records (
     id TEXT COLLATE "C" PRIMARY KEY,
     booth TEXT COLLATE "C" NOT NULL,
     type TEXT COLLATE "C" NOT NULL,
     at TEXT COLLATE "C" NOT NULL,
     received_at TEXT NOT NULL,
     deliveries INTEGER NOT NULL DEFAULT 1,
     key_id TEXT NOT NULL,
     record TEXT NOT NULL,
     sig TEXT NOT NULL
   );
   CREATE INDEX records_booth ON records (booth, at);
   CREATE TABLE codes (
     code TEXT COLLATE "C" PRIMARY KEY,
     record_id TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES records (id),
     booth TEXT COLLATE "C" NOT NULL,
     session_id TEXT,
     expires TEXT,
     paid_cents INTEGER,
     issued_at TEXT COLLATE "C" NOT NULL
   );
   CREATE INDEX codes_issued ON codes (issued_at, code);
   CREATE TABLE rejects (
     booth TEXT COLLATE "C" NOT NULL,
     record_id TEXT COLLATE "C" NOT NULL DEFAULT '',
     reason TEXT COLLATE "C" NOT NULL,
     first_at TEXT NOT NULL,
     last_at TEXT NOT NULL,
     count INTEGER NOT NULL DEFAULT 1,
     PRIMARY KEY (booth, reason, record_id)
   );`,
  // Records keyed by (booth, id), as in SQLite (db.ts step 2).
  `ALTER TABLE codes DROP CONSTRAINT codes_record_id_fkey;
   ALTER TABLE codes DROP CONSTRAINT codes_record_id_key;
   ALTER TABLE records DROP CONSTRAINT records_pkey;
   ALTER TABLE records ADD PRIMARY KEY (booth, id);
   ALTER TABLE codes ADD UNIQUE (booth, record_id);
   ALTER TABLE codes ADD FOREIGN KEY (booth, record_id) REFERENCES records (booth, id);`,
];

export const isPostgresUrl = (text: string): boolean => /^postgres(ql)?:\/\//i.test(text);

/** The URL without its password, for logs and messages. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return text.replace(/:[^:@/]*@/, ':***@');
  }
}

/** Applies the steps of `owner` not yet applied, all in one transaction under an advisory lock. */
export async function migratePostgres(client: PoolClient | pg.Client, owner: string, steps: readonly string[]): Promise<void> {
  await client.query('BEGIN');
  try {
    // Serialises concurrent openers (two ingests started together): the second waits, then
    // sees the versions the first recorded.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('cabine_schema_migrations'))");
    await client.query(`CREATE TABLE IF NOT EXISTS cabine_schema_migrations (
      owner TEXT NOT NULL,
      version INTEGER NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      PRIMARY KEY (owner, version)
    )`);
    const current = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM cabine_schema_migrations WHERE owner = $1', [owner]);
    const applied = current.rows[0]?.v ?? 0;
    if (applied > steps.length) {
      throw new Error(`database schema of "${owner}" is at version ${applied}, newer than this software (${steps.length}); refusing to downgrade`);
    }
    for (let version = applied + 1; version <= steps.length; version++) {
      await client.query(steps[version - 1] as string);
      await client.query('INSERT INTO cabine_schema_migrations (owner, version) VALUES ($1, $2)', [owner, version]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

export interface PostgresStoreOptions {
  logger?: Logger;
  /** Connections in the pool (default 4: the ingest writes one batch at a time). */
  poolMax?: number;
  /** How long to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
}

/** SQLSTATEs worth one more try of the whole batch transaction. */
const RETRYABLE = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);
const sqlState = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;

/**
 * One durable transaction on a pooled connection: committed with synchronous_commit on (durable
 * before it returns, whatever the server's default: callers acknowledge after it), retried whole
 * on a deadlock or serialization failure, so `fn` must touch nothing but its client.
 */
export async function durableTransaction<T>(pool: pg.Pool, logger: Logger, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    // A connection cut while checked out, between two statements (a server restart), emits
    // 'error' on the client, not on the pool: without a listener that is an uncaught error
    // that ends the process. Noted here; the next statement fails and the client is dropped.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL synchronous_commit = on');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      const state = sqlState(err);
      if (attempt < 4 && state && RETRYABLE.has(state)) {
        logger.info({ state, attempt }, 'transaction retried');
        continue;
      }
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

/** Most bytes of record text sent in one INSERT statement (a batch may hold 500 photos). */
const STATEMENT_BYTES = 16 * 1024 * 1024;

interface BatchRow {
  first: number;
  deliveries: number;
  item: StoredRecord;
}

/** Connects, creates or migrates the schema, and returns the store. */
export async function openPostgresFleetStore(url: string, options: PostgresStoreOptions = {}): Promise<FleetStore> {
  if (!isPostgresUrl(url)) throw new Error(`not a PostgreSQL URL: "${redactUrl(url)}" (expected postgres://user@host:port/database)`);
  const location = redactUrl(url);
  const logger = (options.logger ?? silentLogger()).child({ module: 'fleet.store.postgres' });
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax ?? 4, connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000 });
  // An idle connection that breaks (server restart) must not crash the process: the next
  // query takes a fresh one, and a failed batch is not acknowledged (the booth sends it again).
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle PostgreSQL connection lost'));
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, 'fleet', POSTGRES_MIGRATIONS);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot open the fleet database ${location}: ${(err as Error).message}`, { cause: err });
  }

  const inTransaction = <T>(fn: (client: PoolClient) => Promise<T>): Promise<T> => durableTransaction(pool, logger, fn);

  const keys = new Map<string, KeyObject>();
  const ders = new Map<string, Buffer>();
  const count = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

  const keyOf = (r: { booth: string; id: string }) => `${r.booth}\u0000${r.id}`;

  /** Inserts the rows; returns, by key, whether each was inserted (true), counted as a duplicate (false) or not touched (absent: a conflict). */
  async function insertRecords(client: PoolClient, rows: BatchRow[], now: string): Promise<Map<string, boolean>> {
    const done = new Map<string, boolean>();
    for (let start = 0; start < rows.length; ) {
      let end = start;
      let bytes = 0;
      while (end < rows.length && (end === start || bytes + (rows[end]?.item.recordText.length ?? 0) <= STATEMENT_BYTES)) {
        bytes += rows[end]?.item.recordText.length ?? 0;
        end++;
      }
      const chunk = rows.slice(start, end);
      start = end;
      const result = await client.query<{ id: string; booth: string; inserted: boolean }>(
        `INSERT INTO records (id, booth, type, at, received_at, key_id, record, sig, deliveries)
         SELECT u.id, u.booth, u.type, u.at, $5::text, u.key_id, u.record, u.sig, u.deliveries
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[], $7::text[], $8::text[], $9::int[])
           AS u (id, booth, type, at, key_id, record, sig, deliveries)
         ON CONFLICT (booth, id) DO UPDATE SET deliveries = records.deliveries + EXCLUDED.deliveries
           WHERE records.record = EXCLUDED.record
         RETURNING id, booth, (xmax = 0) AS inserted`,
        [
          chunk.map((r) => r.item.record.id),
          chunk.map((r) => r.item.record.booth),
          chunk.map((r) => r.item.record.type),
          chunk.map((r) => columnText(r.item.record.at)),
          now,
          chunk.map((r) => r.item.keyId),
          chunk.map((r) => r.item.recordText),
          chunk.map((r) => r.item.sig),
          chunk.map((r) => r.deliveries),
        ],
      );
      for (const row of result.rows) done.set(keyOf(row), row.inserted);
    }
    return done;
  }

  return {
    kind: 'postgres',
    location,
    async enrol(booth, publicKeyPem, certSerial) {
      if (!BOOTH_ID_RE.test(booth)) throw new Error(`booth id "${booth}" is not valid (letters, digits, - and _, at most 64)`);
      const key = parsePublicKey(publicKeyPem);
      const keyId = keyIdOf(key);
      await pool.query(
        `INSERT INTO booths (id, public_key, key_id, cert_serial, enrolled_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET public_key = EXCLUDED.public_key, key_id = EXCLUDED.key_id,
           cert_serial = EXCLUDED.cert_serial, enrolled_at = EXCLUDED.enrolled_at`,
        [booth, key.export({ type: 'spki', format: 'pem' }).toString(), keyId, certSerial ?? null, new Date().toISOString()],
      );
      keys.set(booth, key);
      ders.delete(booth);
      return { keyId };
    },
    async boothKey(booth) {
      if (!BOOTH_ID_RE.test(booth)) return undefined; // never enrolled (and not a valid query value)
      const cached = keys.get(booth);
      if (cached) return cached;
      const result = await pool.query<{ public_key: string }>('SELECT public_key FROM booths WHERE id = $1', [booth]);
      const pem = result.rows[0]?.public_key;
      if (pem === undefined) return undefined;
      const key = parsePublicKey(pem);
      keys.set(booth, key);
      return key;
    },
    async boothKeyDer(booth) {
      if (!BOOTH_ID_RE.test(booth)) return undefined;
      const cached = ders.get(booth);
      if (cached) return cached;
      const result = await pool.query<{ public_key: string }>('SELECT public_key FROM booths WHERE id = $1', [booth]);
      const pem = result.rows[0]?.public_key;
      if (pem === undefined) return undefined;
      const der = spkiDerOfPem(pem);
      ders.set(booth, der);
      return der;
    },
    async booths() {
      return (await pool.query<BoothRow>('SELECT id, key_id, cert_serial, enrolled_at FROM booths ORDER BY id')).rows;
    },
    async storeBatch(batch) {
      if (batch.length === 0) return [];
      const byKey = new Map<string, BatchRow>();
      batch.forEach((item, i) => {
        const seen = byKey.get(keyOf(item.record));
        if (!seen) byKey.set(keyOf(item.record), { first: i, deliveries: 1, item });
        else if (seen.item.recordText === item.recordText) seen.deliveries++;
      });
      // Key order: two ingests writing overlapping batches lock rows in the same order.
      const order = (r: BatchRow) => keyOf(r.item.record);
      const rows = [...byKey.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
      const now = new Date().toISOString();
      const done = await inTransaction(async (client) => {
        const inserted = await insertRecords(client, rows, now);
        const codes = rows.filter((r) => inserted.get(keyOf(r.item.record)) === true).flatMap((r) => {
          const c = codeColumnsOf(r.item.record);
          return c ? [{ ...c, recordId: r.item.record.id, booth: r.item.record.booth }] : [];
        });
        if (codes.length > 0) {
          await client.query(
            `INSERT INTO codes (code, record_id, booth, session_id, expires, paid_cents, issued_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[])
             ON CONFLICT (code) DO NOTHING`,
            [codes.map((c) => c.code), codes.map((c) => c.recordId), codes.map((c) => c.booth), codes.map((c) => c.sessionId), codes.map((c) => c.expires), codes.map((c) => c.paidCents), codes.map((c) => c.issuedAt)],
          );
        }
        return inserted;
      });
      return batch.map((item, i): StoreOutcome => {
        const row = byKey.get(keyOf(item.record))!;
        const stored = done.get(keyOf(item.record));
        if (stored === undefined || row.item.recordText !== item.recordText) return 'conflict';
        return stored && row.first === i ? 'new' : 'duplicate';
      });
    },
    async redelivered(keys: readonly RecordKey[]) {
      if (keys.length === 0) return [];
      // One statement (atomic on its own): a key repeated in the call counts once per repeat.
      const result = await pool.query<{ id: string; booth: string; sig: string | null }>(
        `UPDATE records r SET deliveries = r.deliveries + k.n
         FROM (SELECT id, booth, sig, count(*)::int AS n FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, booth, sig) GROUP BY id, booth, sig) k
         WHERE r.id = k.id AND r.booth = k.booth AND (k.sig IS NULL OR r.sig = k.sig)
         RETURNING r.id, r.booth, k.sig`,
        [keys.map((k) => columnText(k.id)), keys.map((k) => columnText(k.booth)), keys.map((k) => (k.sig === undefined ? null : columnText(k.sig)))],
      );
      const found = new Set(result.rows.map((row) => `${row.booth}\u0000${row.id}\u0000${row.sig ?? ''}`));
      return keys.map((k) => found.has(`${columnText(k.booth)}\u0000${columnText(k.id)}\u0000${k.sig === undefined ? '' : columnText(k.sig)}`));
    },
    async reject(booth, recordId, reason) {
      const now = new Date().toISOString();
      await pool.query(
        `INSERT INTO rejects (booth, record_id, reason, first_at, last_at) VALUES ($1, $2, $3, $4, $4)
         ON CONFLICT (booth, reason, record_id) DO UPDATE SET count = rejects.count + 1, last_at = EXCLUDED.last_at`,
        [columnText(booth), columnText(recordId ?? ''), columnText(reason), now],
      );
    },
    async rejects() {
      return (
        await pool.query<RejectRow>("SELECT booth, NULLIF(record_id, '') AS record_id, reason, first_at, last_at, count FROM rejects ORDER BY booth, reason, record_id")
      ).rows;
    },
    async counts() {
      const result = await pool.query<{ records: string; codes: string; rejects: string | null; deliveries: string | null }>(
        `SELECT (SELECT COUNT(*) FROM records) AS records, (SELECT COUNT(*) FROM codes) AS codes,
                (SELECT SUM(count) FROM rejects) AS rejects, (SELECT SUM(deliveries) FROM records) AS deliveries`,
      );
      const row = result.rows[0];
      return { records: count(row?.records), codes: count(row?.codes), rejects: count(row?.rejects), deliveries: count(row?.deliveries) };
    },
    async codes(options = {}) {
      return (
        await pool.query<CodeRow>(
          'SELECT code, record_id, booth, session_id, expires, paid_cents, issued_at FROM codes WHERE issued_at >= $1 AND ($2::text IS NULL OR booth = $2) ORDER BY issued_at, code',
          [columnText(options.since ?? ''), options.booth === undefined ? null : columnText(options.booth)],
        )
      ).rows;
    },
    async recordText(id, booth) {
      if (booth !== undefined) return (await pool.query<{ record: string }>('SELECT record FROM records WHERE booth = $1 AND id = $2', [columnText(booth), columnText(id)])).rows[0]?.record;
      return (await pool.query<{ record: string }>('SELECT record FROM records WHERE id = $1 ORDER BY booth LIMIT 1', [columnText(id)])).rows[0]?.record;
    },
    async recordIds() {
      return (await pool.query<{ id: string }>('SELECT id FROM records ORDER BY id')).rows.map((r) => r.id);
    },
    async boothActivity() {
      const result = await pool.query<{ booth: string; records: string; codes: string; last: string | null }>(
        `SELECT r.booth, COUNT(*) AS records, (SELECT COUNT(*) FROM codes c WHERE c.booth = r.booth) AS codes, MAX(r.at) AS last
         FROM records r GROUP BY r.booth ORDER BY r.booth`,
      );
      return result.rows.map((r): BoothActivity => ({ booth: r.booth, records: count(r.records), codes: count(r.codes), lastRecordAt: r.last }));
    },
    async close() {
      await pool.end();
    },
  };
}
