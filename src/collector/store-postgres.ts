// The collector's tables in the PostgreSQL fleet database, migrated under the owner
// "collector" (after the fleet's own tables, which the fleet store creates first).
import pg from 'pg';
import { silentLogger, type Logger } from '../log.ts';
import { durableTransaction, migratePostgres, openPostgresFleetStore, redactUrl } from '../fleet/operator/store-postgres.ts';
import type { AuditEntry, AuditRow, CollectorStore, PurgeScanRow, RefundRow } from './store.ts';
import { codeStateOf, PUSH_COLUMNS, pushRowOf, type ScanDbRow, scanRowOf, STATE_SELECT } from './store-sqlite.ts';

/** Append-only, like every migration list. */
export const COLLECTOR_MIGRATIONS_POSTGRES: readonly string[] = [
  `CREATE TABLE ephoto_uses (code TEXT COLLATE "C" PRIMARY KEY, used_at TEXT COLLATE "C" NOT NULL, client TEXT NOT NULL);
   CREATE TABLE ephoto_purges (code TEXT COLLATE "C" PRIMARY KEY, purged_at TEXT NOT NULL, why TEXT NOT NULL);
   CREATE TABLE ephoto_refunds (code TEXT COLLATE "C" PRIMARY KEY, at TEXT NOT NULL, reason TEXT NOT NULL, by TEXT NOT NULL);
   CREATE TABLE collector_audit (
     seq BIGSERIAL PRIMARY KEY,
     at TEXT NOT NULL,
     client TEXT NOT NULL,
     action TEXT NOT NULL,
     code TEXT COLLATE "C" NOT NULL,
     result TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX collector_audit_code ON collector_audit (code, seq);
   CREATE INDEX ephoto_uses_at ON ephoto_uses (used_at);`,
  `CREATE TABLE push_queue (
     code TEXT COLLATE "C" NOT NULL,
     target TEXT COLLATE "C" NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at TEXT COLLATE "C" NOT NULL,
     last_error TEXT,
     sent_at TEXT,
     acked_at TEXT,
     PRIMARY KEY (code, target)
   );
   CREATE INDEX push_queue_due ON push_queue (target, state, next_at);`,
  // The push feed walks records by the time they were stored (see store-sqlite.ts).
  `CREATE INDEX records_received_at ON records (received_at);`,
];

export interface PostgresCollectorOptions {
  logger?: Logger;
  poolMax?: number;
}

/** PostgreSQL text cannot hold U+0000: whatever a client typed is stored without it. */
const text = (v: string): string => (v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v);

export async function openPostgresCollectorStore(url: string, options: PostgresCollectorOptions = {}): Promise<CollectorStore> {
  const logger = (options.logger ?? silentLogger()).child({ module: 'collector.store.postgres' });
  const fleet = await openPostgresFleetStore(url, { logger });
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax ?? 8, connectionTimeoutMillis: 10_000 });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle PostgreSQL connection lost'));
  try {
    const client = await pool.connect();
    try {
      await migratePostgres(client, 'collector', COLLECTOR_MIGRATIONS_POSTGRES);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    await fleet.close();
    throw new Error(`cannot open the collector tables in ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }

  const inTransaction = <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => durableTransaction(pool, logger, fn);

  const auditSql = 'INSERT INTO collector_audit (at, client, action, code, result, detail) VALUES ($1, $2, $3, $4, $5, $6)';
  const auditArgs = (e: AuditEntry) => [e.at, text(e.client), e.action, text(e.code.slice(0, 64)), e.result, e.detail === undefined || e.detail === null ? null : text(e.detail)];

  return {
    kind: 'postgres',
    fleet,
    async lookup(code) {
      const row = (await pool.query(`${STATE_SELECT} WHERE c.code = $1`, [text(code)])).rows[0] as Parameters<typeof codeStateOf>[0] | undefined;
      return row ? codeStateOf(row) : undefined;
    },
    async recordText(code) {
      const result = await pool.query<{ record: string }>('SELECT r.record FROM codes c JOIN records r ON r.id = c.record_id AND r.booth = c.booth WHERE c.code = $1', [text(code)]);
      return result.rows[0]?.record;
    },
    use: (code, client, at) =>
      inTransaction(async (db) => {
        const fresh = ((await db.query('INSERT INTO ephoto_uses (code, used_at, client) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING', [text(code), at, text(client)])).rowCount ?? 0) > 0;
        await db.query(auditSql, auditArgs({ at, client, action: 'pull', code, result: fresh ? 'delivered' : 'used' }));
        return fresh;
      }),
    async audit(entry) {
      await pool.query(auditSql, auditArgs(entry));
    },
    async auditOf(code) {
      const rows = (await pool.query<AuditRow & { seq: string }>('SELECT seq, at, client, action, code, result, detail FROM collector_audit WHERE code = $1 ORDER BY seq', [text(code)])).rows;
      return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
    },
    refund: (code, refund) =>
      inTransaction(async (db) => {
        const fresh =
          ((await db.query('INSERT INTO ephoto_refunds (code, at, reason, by) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING', [text(code), refund.at, text(refund.reason), text(refund.by)]))
            .rowCount ?? 0) > 0;
        await db.query(auditSql, auditArgs({ at: refund.at, client: refund.by, action: 'refund', code, result: fresh ? 'refunded' : 'already-refunded', detail: refund.reason }));
        return fresh;
      }),
    async refunds() {
      const rows = (await pool.query<{ code: string } & RefundRow>('SELECT code, at, reason, by FROM ephoto_refunds')).rows;
      return new Map(rows.map((r) => [r.code, { at: r.at, reason: r.reason, by: r.by }]));
    },
    async paymentRecordText(booth, sessionId) {
      const result = await pool.query<{ record: string }>(
        "SELECT record FROM records WHERE booth = $1 AND type = 'payment' AND (record::jsonb -> 'data' ->> 'sessionId') = $2 ORDER BY at LIMIT 1",
        [text(booth), text(sessionId)],
      );
      return result.rows[0]?.record;
    },
    async codesAfter(after, window): Promise<PurgeScanRow[]> {
      const result = await pool.query<ScanDbRow>(
        `SELECT w.code, w.booth, w.record_id, w.issued_at, w.expires, u.used_at, p.code IS NOT NULL AS purged
           FROM (SELECT code, booth, record_id, issued_at, expires FROM codes WHERE code > $1 ORDER BY code LIMIT $2) w
           LEFT JOIN ephoto_uses u ON u.code = w.code
           LEFT JOIN ephoto_purges p ON p.code = w.code
         ORDER BY w.code`,
        [text(after), window],
      );
      return result.rows.map(scanRowOf);
    },
    async purge(items, at) {
      await inTransaction(async (db) => {
        for (const { candidate: c, text: recordText } of items) {
          await db.query('UPDATE records SET record = $1 WHERE id = $2 AND booth = $3', [recordText, c.recordId, c.booth]);
          const fresh = ((await db.query('INSERT INTO ephoto_purges (code, purged_at, why) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING', [c.code, at, c.why])).rowCount ?? 0) > 0;
          if (fresh) await db.query(auditSql, auditArgs({ at, client: 'purge', action: 'purge', code: c.code, result: 'purged', detail: c.why }));
        }
      });
    },
    async queueNewCodes(target, since, at, limit) {
      const result = await pool.query(
        `INSERT INTO push_queue (code, target, state, next_at)
         SELECT c.code, $1, 'pending', $3 FROM records r
           JOIN codes c ON c.record_id = r.id AND c.booth = r.booth
           LEFT JOIN push_queue q ON q.code = c.code AND q.target = $1
         WHERE r.received_at >= $2 AND q.code IS NULL ORDER BY r.received_at LIMIT $4
         ON CONFLICT (code, target) DO NOTHING`,
        [text(target), since, at, limit],
      );
      return result.rowCount ?? 0;
    },
    async duePushes(target, now, limit) {
      const result = await pool.query(`SELECT ${PUSH_COLUMNS} FROM push_queue WHERE target = $1 AND state IN ('pending', 'sent') AND next_at <= $2 ORDER BY next_at LIMIT $3`, [text(target), now, limit]);
      return result.rows.map(pushRowOf);
    },
    async pushRows(code) {
      return (await pool.query(`SELECT ${PUSH_COLUMNS} FROM push_queue WHERE code = $1 ORDER BY target`, [text(code)])).rows.map(pushRowOf);
    },
    async updatePush(row, at) {
      await inTransaction(async (db) => {
        await db.query('UPDATE push_queue SET state = $1, attempts = $2, next_at = $3, last_error = $4, sent_at = $5, acked_at = $6 WHERE code = $7 AND target = $8', [
          row.state,
          row.attempts,
          row.nextAt,
          row.lastError === null ? null : text(row.lastError),
          row.sentAt,
          row.ackedAt,
          row.code,
          row.target,
        ]);
        if (row.state === 'acknowledged' || row.state === 'abandoned') {
          await db.query(auditSql, auditArgs({ at, client: `push:${row.target}`, action: 'push', code: row.code, result: row.state, detail: row.lastError }));
        }
      });
    },
    async close() {
      await pool.end();
      await fleet.close();
    },
  };
}
