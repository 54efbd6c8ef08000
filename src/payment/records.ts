// Payment records for the operator: one signed record per closed payment (settled: the
// session was paid; kept: the customer left and the credit became stored credit), so the
// back-office sees every cent taken, code or no code. The ledger is the source of truth: the
// reporter reads payments closed after a cursor, enqueues each in the durable outbox, then
// advances the cursor. A power cut between the two re-enqueues the same id, which the outbox
// and the operator's ingest both take idempotently, so each payment reaches the operator
// exactly once without tying the ledger's transactions to the outbox's.
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';

/** What the outbox takes (structurally fleet/records.ts RecordInput). */
export interface PaymentRecordInput {
  id: string;
  type: 'payment';
  at: string;
  data: {
    sessionId: string;
    /** The product paid for (catalogue id), when the session named it. */
    product: string | null;
    outcome: 'settled' | 'kept';
    dueCents: number;
    coinCents: number;
    appliedCreditCents: number;
    spentCents: number | null;
    /** Stored credit this payment became (walk-away) or left over (surplus, unpaid change). */
    storedCreditCents: number;
    coins: { coin: string; cents: number; at: string }[];
    openedAt: string;
    closedAt: string;
  };
}

export interface PaymentReporter {
  /** Enqueues every payment closed since the last call; returns how many. */
  report(): number;
}

const MIGRATIONS = [`CREATE TABLE payment_reported (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);`];

interface ClosedRow {
  seq: number;
  session_id: string;
  product: string | null;
  due_cents: number;
  applied_cents: number;
  state: 'settled' | 'kept';
  spent_cents: number | null;
  opened_at: string;
  closed_at: string;
}

export function paymentRecordId(sessionId: string): string {
  return `payment-${sessionId}`;
}

export function createPaymentReporter(deps: { store: Store; enqueue: (record: PaymentRecordInput) => void; logger: Logger; batch?: number }): PaymentReporter {
  const { store, enqueue } = deps;
  const logger = deps.logger.child({ module: 'payment.records' });
  store.migrate('payment-records', MIGRATIONS);
  const db = store.db;
  const q = {
    cursor: db.prepare<[], { seq: number }>('SELECT seq FROM payment_reported WHERE id = 1'),
    setCursor: db.prepare<[number]>('INSERT INTO payment_reported (id, seq) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq'),
    closed: db.prepare<[number, number], ClosedRow>(
      `SELECT seq, session_id, product, due_cents, applied_cents, state, spent_cents, opened_at, closed_at
       FROM payment_sessions WHERE seq > ? AND state != 'open' ORDER BY seq LIMIT ?`,
    ),
    // The cursor never passes a payment still open (it will close later and must be reported);
    // payments closed beyond it are reported each time (idempotent by id) until it moves.
    firstOpen: db.prepare<[], { seq: number | null }>("SELECT MIN(seq) AS seq FROM payment_sessions WHERE state = 'open'"),
    coins: db.prepare<[string], { coin: string; cents: number; at: string }>('SELECT coin, cents, at FROM payment_coins WHERE session_id = ? ORDER BY id'),
    credit: db.prepare<[string], { c: number | null }>('SELECT SUM(cents) AS c FROM payment_credit WHERE session_id = ?'),
  };

  const toRecord = (row: ClosedRow): PaymentRecordInput => {
    const coins = q.coins.all(row.session_id);
    return {
      id: paymentRecordId(row.session_id),
      type: 'payment',
      at: row.closed_at,
      data: {
        sessionId: row.session_id,
        product: row.product,
        outcome: row.state,
        dueCents: row.due_cents,
        coinCents: coins.reduce((a, c) => a + c.cents, 0),
        appliedCreditCents: row.applied_cents,
        spentCents: row.spent_cents,
        storedCreditCents: q.credit.get(row.session_id)?.c ?? 0,
        coins,
        openedAt: row.opened_at,
        closedAt: row.closed_at,
      },
    };
  };

  const reportedHere = new Set<string>();
  return {
    report() {
      let count = 0;
      let after = q.cursor.get()?.seq ?? 0;
      for (;;) {
        const rows = q.closed.all(after, deps.batch ?? 100);
        if (rows.length === 0) {
          // Ids are remembered only while the cursor is held back behind them.
          if ((q.cursor.get()?.seq ?? 0) === after) reportedHere.clear();
          return count;
        }
        const open = q.firstOpen.get()?.seq ?? null;
        for (const row of rows) {
          const record = toRecord(row);
          if (!reportedHere.has(record.id)) {
            // Durable on return (the outbox commits with synchronous=FULL); only then the cursor moves.
            enqueue(record);
            reportedHere.add(record.id);
            count++;
          }
          if (open === null || row.seq < open) q.setCursor.run(row.seq);
        }
        after = rows[rows.length - 1]!.seq;
        logger.debug({ count: rows.length, upTo: after }, 'payment records queued');
      }
    },
  };
}
