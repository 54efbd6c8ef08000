// The collector's tables in the SQLite fleet database (fleet.db), beside the ingest's, through
// its own connection (WAL: the ingest and the collector may run as separate processes).
import { openFleetDb } from '../fleet/operator/db.ts';
import { sqliteFleetStore } from '../fleet/operator/store-sqlite.ts';
import type { AuditRow, CodeState, CollectorStore, PurgeScanRow, PushRow, PushState, RefundRow } from './store.ts';

export const COLLECTOR_MIGRATIONS_SQLITE = [
  `CREATE TABLE ephoto_uses (code TEXT PRIMARY KEY, used_at TEXT NOT NULL, client TEXT NOT NULL);
   CREATE TABLE ephoto_purges (code TEXT PRIMARY KEY, purged_at TEXT NOT NULL, why TEXT NOT NULL);
   CREATE TABLE ephoto_refunds (code TEXT PRIMARY KEY, at TEXT NOT NULL, reason TEXT NOT NULL, by TEXT NOT NULL);
   CREATE TABLE collector_audit (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     client TEXT NOT NULL,
     action TEXT NOT NULL,
     code TEXT NOT NULL,
     result TEXT NOT NULL,
     detail TEXT
   );
   CREATE INDEX collector_audit_code ON collector_audit (code, seq);
   CREATE INDEX ephoto_uses_at ON ephoto_uses (used_at);
   CREATE INDEX codes_issued_at ON codes (issued_at);`,
  `CREATE TABLE push_queue (
     code TEXT NOT NULL,
     target TEXT NOT NULL,
     state TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at TEXT NOT NULL,
     last_error TEXT,
     sent_at TEXT,
     acked_at TEXT,
     PRIMARY KEY (code, target)
   );
   CREATE INDEX push_queue_due ON push_queue (target, state, next_at);`,
  // The push feed walks records by the time they were stored (a booth offline for weeks
  // delivers old codes late: they are new to the collector).
  `CREATE INDEX records_received_at ON records (received_at);`,
];

interface StateRow {
  code: string;
  booth: string;
  record_id: string;
  session_id: string | null;
  issued_at: string;
  stored_at: string | null;
  expires: string | null;
  paid_cents: number | null;
  used_at: string | null;
  used_by: string | null;
  purged_at: string | null;
  refund_at: string | null;
  refund_reason: string | null;
  refund_by: string | null;
  pushes_pending: number | string;
}

interface PushDbRow {
  code: string;
  target: string;
  state: string;
  attempts: number;
  next_at: string;
  last_error: string | null;
  sent_at: string | null;
  acked_at: string | null;
}

export const PUSH_COLUMNS = 'code, target, state, attempts, next_at, last_error, sent_at, acked_at';

export function pushRowOf(r: PushDbRow): PushRow {
  return { code: r.code, target: r.target, state: r.state as PushState, attempts: Number(r.attempts), nextAt: r.next_at, lastError: r.last_error, sentAt: r.sent_at, ackedAt: r.acked_at };
}

export const STATE_SELECT = `SELECT c.code, c.booth, c.record_id, c.session_id, c.issued_at, rec.received_at AS stored_at, c.expires, c.paid_cents,
    u.used_at, u.client AS used_by, p.purged_at, r.at AS refund_at, r.reason AS refund_reason, r.by AS refund_by,
    (SELECT COUNT(*) FROM push_queue q WHERE q.code = c.code AND q.state IN ('pending', 'sent')) AS pushes_pending
  FROM codes c
  LEFT JOIN records rec ON rec.id = c.record_id AND rec.booth = c.booth
  LEFT JOIN ephoto_uses u ON u.code = c.code
  LEFT JOIN ephoto_purges p ON p.code = c.code
  LEFT JOIN ephoto_refunds r ON r.code = c.code`;

export interface ScanDbRow {
  code: string;
  booth: string;
  record_id: string;
  issued_at: string;
  expires: string | null;
  used_at: string | null;
  purged: number | boolean;
}

export function scanRowOf(r: ScanDbRow): PurgeScanRow {
  return { code: r.code, booth: r.booth, recordId: r.record_id, issuedAt: r.issued_at, expires: r.expires, usedAt: r.used_at, purged: Boolean(r.purged) };
}

export function codeStateOf(row: StateRow): CodeState {
  return {
    code: row.code,
    booth: row.booth,
    recordId: row.record_id,
    sessionId: row.session_id,
    issuedAt: row.issued_at,
    storedAt: row.stored_at,
    expires: row.expires,
    paidCents: row.paid_cents,
    usedAt: row.used_at,
    usedBy: row.used_by,
    purgedAt: row.purged_at,
    refund: row.refund_at ? { at: row.refund_at, reason: row.refund_reason ?? '', by: row.refund_by ?? '' } : null,
    pushesPending: Number(row.pushes_pending),
  };
}

export function openSqliteCollectorStore(dir: string, file = 'fleet.db'): CollectorStore {
  const fleetDb = openFleetDb(dir, file);
  const store = fleetDb.store;
  store.migrate('collector', COLLECTOR_MIGRATIONS_SQLITE);
  const db = store.db;
  const q = {
    state: db.prepare<[string], StateRow>(`${STATE_SELECT} WHERE c.code = ?`),
    // The booth's record (booth, id): the join names both, whichever key the records table has.
    recordText: db.prepare<[string], { record: string }>('SELECT r.record FROM codes c JOIN records r ON r.id = c.record_id AND r.booth = c.booth WHERE c.code = ?'),
    use: db.prepare<[string, string, string]>('INSERT INTO ephoto_uses (code, used_at, client) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING'),
    audit: db.prepare<[string, string, string, string, string, string | null]>(
      'INSERT INTO collector_audit (at, client, action, code, result, detail) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    auditOf: db.prepare<[string], AuditRow>('SELECT seq, at, client, action, code, result, detail FROM collector_audit WHERE code = ? ORDER BY seq'),
    refund: db.prepare<[string, string, string, string]>('INSERT INTO ephoto_refunds (code, at, reason, by) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING'),
    refunds: db.prepare<[], { code: string } & RefundRow>('SELECT code, at, reason, by FROM ephoto_refunds'),
    payment: db.prepare<[string, string], { record: string }>(
      "SELECT record FROM records WHERE booth = ? AND type = 'payment' AND json_extract(record, '$.data.sessionId') = ? ORDER BY at LIMIT 1",
    ),
    codesAfter: db.prepare<[string, number], ScanDbRow>(
      `SELECT w.code, w.booth, w.record_id, w.issued_at, w.expires, u.used_at, p.code IS NOT NULL AS purged
         FROM (SELECT code, booth, record_id, issued_at, expires FROM codes WHERE code > ? ORDER BY code LIMIT ?) w
         LEFT JOIN ephoto_uses u ON u.code = w.code
         LEFT JOIN ephoto_purges p ON p.code = w.code
       ORDER BY w.code`,
    ),
    purgeRecord: db.prepare<[string, string, string]>('UPDATE records SET record = ? WHERE id = ? AND booth = ?'),
    queueNew: db.prepare<[string, string, string, string, number]>(
      `INSERT INTO push_queue (code, target, state, next_at)
       SELECT c.code, ?, 'pending', ? FROM records r
         JOIN codes c ON c.record_id = r.id AND c.booth = r.booth
         LEFT JOIN push_queue q ON q.code = c.code AND q.target = ?
       WHERE r.received_at >= ? AND q.code IS NULL ORDER BY r.received_at LIMIT ?`,
    ),
    due: db.prepare<[string, string, number], PushDbRow>(
      `SELECT ${PUSH_COLUMNS} FROM push_queue WHERE target = ? AND state IN ('pending', 'sent') AND next_at <= ? ORDER BY next_at LIMIT ?`,
    ),
    pushRows: db.prepare<[string], PushDbRow>(`SELECT ${PUSH_COLUMNS} FROM push_queue WHERE code = ? ORDER BY target`),
    updatePush: db.prepare<[string, number, string, string | null, string | null, string | null, string, string]>(
      'UPDATE push_queue SET state = ?, attempts = ?, next_at = ?, last_error = ?, sent_at = ?, acked_at = ? WHERE code = ? AND target = ?',
    ),
    purgeMark: db.prepare<[string, string, string]>('INSERT INTO ephoto_purges (code, purged_at, why) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING'),
  };
  const audit = (e: { at: string; client: string; action: string; code: string; result: string; detail?: string | null }) =>
    q.audit.run(e.at, e.client, e.action, e.code.slice(0, 64), e.result, e.detail ?? null);

  return {
    kind: 'sqlite',
    fleet: sqliteFleetStore(fleetDb),
    lookup: async (code) => {
      const row = q.state.get(code);
      return row ? codeStateOf(row) : undefined;
    },
    recordText: async (code) => q.recordText.get(code)?.record,
    use: async (code, client, at) =>
      store.transaction(() => {
        const fresh = q.use.run(code, at, client).changes > 0;
        audit({ at, client, action: 'pull', code, result: fresh ? 'delivered' : 'used' });
        return fresh;
      }),
    audit: async (entry) => {
      audit(entry);
    },
    auditOf: async (code) => q.auditOf.all(code),
    refund: async (code, refund) =>
      store.transaction(() => {
        const fresh = q.refund.run(code, refund.at, refund.reason, refund.by).changes > 0;
        audit({ at: refund.at, client: refund.by, action: 'refund', code, result: fresh ? 'refunded' : 'already-refunded', detail: refund.reason });
        return fresh;
      }),
    refunds: async () => new Map(q.refunds.all().map((r) => [r.code, { at: r.at, reason: r.reason, by: r.by }])),
    paymentRecordText: async (booth, sessionId) => q.payment.get(booth, sessionId)?.record,
    codesAfter: async (after, window): Promise<PurgeScanRow[]> => q.codesAfter.all(after, window).map(scanRowOf),
    purge: async (items, at) => {
      // Without an fsync per commit: SQLite is synchronous here, and each purge commit's fsync
      // (10-50 ms of disk) held every pull and status request behind it. Nothing is lost that
      // matters: a purge cut off by a power failure (with its audit rows, same transaction) is
      // simply done again by the next pass, and the next durable commit flushes the WAL anyway.
      db.pragma('synchronous = NORMAL');
      try {
        store.transaction(() => {
          for (const { candidate: c, text } of items) {
            q.purgeRecord.run(text, c.recordId, c.booth);
            if (q.purgeMark.run(c.code, at, c.why).changes > 0) audit({ at, client: 'purge', action: 'purge', code: c.code, result: 'purged', detail: c.why });
          }
        });
      } finally {
        db.pragma('synchronous = FULL');
      }
    },
    queueNewCodes: async (target, since, at, limit) => q.queueNew.run(target, at, target, since, limit).changes,
    duePushes: async (target, now, limit) => q.due.all(target, now, limit).map(pushRowOf),
    pushRows: async (code) => q.pushRows.all(code).map(pushRowOf),
    updatePush: async (row, at) => {
      store.transaction(() => {
        q.updatePush.run(row.state, row.attempts, row.nextAt, row.lastError, row.sentAt, row.ackedAt, row.code, row.target);
        if (row.state === 'acknowledged' || row.state === 'abandoned') audit({ at, client: `push:${row.target}`, action: 'push', code: row.code, result: row.state, detail: row.lastError });
      });
    },
    close: async () => fleetDb.close(),
  };
}
