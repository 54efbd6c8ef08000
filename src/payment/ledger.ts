// The payment ledger: every coin, every session's due and credit, stored credit with its
// expiry, hopper payouts and the cash-box counters, in SQLite (owner `payment`). Each coin is
// one IMMEDIATE transaction (WAL, synchronous=FULL): it is durable before anyone is told.
// The acceptor's event counter is stored in the same transaction as the coin, so after a
// crash the driver resumes exactly where the ledger stopped counting: no coin twice, none lost.
import type { Store } from '../store/db.ts';

const MIGRATIONS = [
  `CREATE TABLE payment_sessions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL UNIQUE,
     due_cents INTEGER NOT NULL,
     applied_cents INTEGER NOT NULL DEFAULT 0,
     state TEXT NOT NULL CHECK (state IN ('open', 'settled', 'kept')),
     spent_cents INTEGER,
     opened_at TEXT NOT NULL,
     closed_at TEXT
   );
   CREATE TABLE payment_coins (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT,
     coin TEXT NOT NULL,
     cents INTEGER NOT NULL CHECK (cents > 0),
     channel INTEGER NOT NULL,
     counter INTEGER NOT NULL,
     acceptor_serial TEXT NOT NULL,
     at TEXT NOT NULL
   );
   CREATE INDEX payment_coins_session ON payment_coins(session_id);
   CREATE TABLE payment_acceptors (
     serial TEXT PRIMARY KEY,
     counter INTEGER NOT NULL,
     at TEXT NOT NULL
   );
   CREATE TABLE payment_credit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     origin TEXT NOT NULL CHECK (origin IN ('walk-away', 'surplus', 'coin', 'unpaid-change')),
     session_id TEXT,
     cents INTEGER NOT NULL,
     left_cents INTEGER NOT NULL,
     stored_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     state TEXT NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'used', 'expired'))
   );
   CREATE TABLE payment_credit_uses (
     credit_id INTEGER NOT NULL REFERENCES payment_credit(id),
     session_id TEXT NOT NULL,
     cents INTEGER NOT NULL,
     at TEXT NOT NULL
   );
   CREATE TABLE payment_payouts (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL,
     coin TEXT NOT NULL,
     coins INTEGER NOT NULL,
     coin_cents INTEGER NOT NULL,
     paid_coins INTEGER,
     state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'uncertain')),
     at TEXT NOT NULL
   );
   CREATE TABLE payment_cashbox (
     coin TEXT PRIMARY KEY,
     count INTEGER NOT NULL,
     cents INTEGER NOT NULL
   );
   CREATE TABLE payment_cashbox_emptied (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     total_cents INTEGER NOT NULL,
     counts TEXT NOT NULL
   );`,
  // Technician coin tests (console `coin test`): the coins go to the cash box (counted there,
  // so a collection matches what is in the box) but are never a sale nor anyone's credit.
  `CREATE TABLE payment_tests (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     started_at TEXT NOT NULL,
     ended_at TEXT,
     end_reason TEXT
   );
   CREATE TABLE payment_test_coins (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     test_id INTEGER NOT NULL REFERENCES payment_tests(id),
     coin TEXT NOT NULL,
     cents INTEGER NOT NULL CHECK (cents > 0),
     channel INTEGER NOT NULL,
     counter INTEGER NOT NULL,
     acceptor_serial TEXT NOT NULL,
     at TEXT NOT NULL
   );`,
  // Card vends (MDB cashless): journaled 'requested' before the VEND REQUEST is sent, then
  // 'approved' (its amount credited to the session in the same transaction), and ended once:
  // charged (VEND SUCCESS after delivery), released (VEND FAILURE: not delivered), voided (the
  // reader dropped the approval: reset, restart), denied, failed (timeout, fault), abandoned
  // (a restart before the reader answered: the reader is reset at boot, nothing charged).
  `CREATE TABLE payment_card_vends (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL,
     item INTEGER NOT NULL,
     requested_cents INTEGER NOT NULL CHECK (requested_cents > 0),
     credited_cents INTEGER NOT NULL DEFAULT 0,
     state TEXT NOT NULL CHECK (state IN ('requested', 'approved', 'charged', 'released', 'voided', 'denied', 'failed', 'abandoned')),
     reason TEXT,
     reader TEXT NOT NULL,
     requested_at TEXT NOT NULL,
     ended_at TEXT
   );
   CREATE INDEX payment_card_vends_session ON payment_card_vends(session_id);`,
  // Money paid back for a delivery that failed after payment: the cash credit (coins and
  // applied stored credit; cards are released, never charged) goes back through the hopper
  // (its payout in payment_payouts), and what it cannot pay becomes a refund claim with a code
  // the customer quotes; `reported` once the signed refund-due record is in the outbox.
  `CREATE TABLE payment_refunds (
     session_id TEXT PRIMARY KEY,
     cents INTEGER NOT NULL CHECK (cents >= 0),
     payout_id INTEGER,
     paid_back_cents INTEGER NOT NULL DEFAULT 0,
     claim_cents INTEGER NOT NULL DEFAULT 0,
     claim_code TEXT UNIQUE,
     state TEXT NOT NULL CHECK (state IN ('paying', 'claim-due', 'paid-back', 'claim-paid')),
     reason TEXT NOT NULL,
     reported INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     closed_at TEXT
   );`,
  // The product a payment is for (catalogue id; config/products.ts), in its records.
  `ALTER TABLE payment_sessions ADD COLUMN product TEXT;`,
  // Who marked a refund claim paid (console technician, fleet operator), for the books.
  `ALTER TABLE payment_refunds ADD COLUMN paid_by TEXT;`,
  // Money incidents: acceptor events lost beyond its 5-event buffer (coins may have been taken
  // and not credited). Recorded with the acceptor's counter moved past the gap, in one
  // transaction; the payment open then (if any) is named, so the operator can refund its
  // customer; closed by the operator once the cash box was checked.
  `CREATE TABLE payment_incidents (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL CHECK (kind IN ('missed-events')),
     acceptor_serial TEXT NOT NULL,
     from_counter INTEGER NOT NULL,
     to_counter INTEGER NOT NULL,
     missed_events INTEGER NOT NULL CHECK (missed_events > 0),
     session_id TEXT,
     at TEXT NOT NULL,
     closed_at TEXT,
     closed_by TEXT
   );`,
  // VEND SUCCESS is journaled as being sent before it goes to the reader: a reader that got it
  // charges the card whatever happens to the booth next, so a vend a restart finds with it set
  // was charged (not voided).
  `ALTER TABLE payment_card_vends ADD COLUMN success_sent_at TEXT;`,
];

/** Acceptor events lost beyond its buffer: coins may have been taken and not credited. */
export interface CoinIncident {
  id: number;
  kind: 'missed-events';
  serial: string;
  fromCounter: number;
  toCounter: number;
  /** Events lost: each a coin taken or a coin refused (the acceptor cannot say which). */
  missedEvents: number;
  /** The payment open when it happened (its customer may be owed money), or null. */
  sessionId: string | null;
  at: string;
  closedAt: string | null;
  closedBy: string | null;
}

export interface RecordedCoin {
  coinId: string;
  sessionId: string | null;
  cents: number;
  coin: string;
  /** Stored credit this coin became (no payment open). */
  storedCreditId?: number;
  /** The technician's coin test this coin was inserted during (not a sale, not credit). */
  testId?: number;
}

export interface CoinRecord {
  coin: string;
  cents: number;
  channel: number;
  counter: number;
  serial: string;
  at: string;
}

export interface StoredCredit {
  id: number;
  origin: string;
  sessionId: string | null;
  cents: number;
  leftCents: number;
  storedAt: string;
  expiresAt: string;
}

export type CardVendState = 'requested' | 'approved' | 'charged' | 'released' | 'voided' | 'denied' | 'failed' | 'abandoned';
/** The end states a vend can move to once (from requested or approved). */
export type CardVendEnd = Exclude<CardVendState, 'requested' | 'approved'>;

export interface CardVend {
  id: number;
  sessionId: string;
  item: number;
  requestedCents: number;
  /** What the approval credited to the session (0 until approved). */
  creditedCents: number;
  state: CardVendState;
  reason: string | null;
  requestedAt: string;
  endedAt: string | null;
}

export interface RefundRow {
  sessionId: string;
  cents: number;
  payoutId: number | null;
  paidBackCents: number;
  claimCents: number;
  claimCode: string | null;
  state: 'paying' | 'claim-due' | 'paid-back' | 'claim-paid';
  reason: string;
  createdAt: string;
  closedAt: string | null;
  /** Who marked the claim paid (claim-paid only). */
  paidBy: string | null;
}

export interface CashboxLine {
  coin: string;
  count: number;
  cents: number;
}

export interface SessionPayment {
  sessionId: string;
  dueCents: number;
  appliedCents: number;
  coinCents: number;
  /** Card approvals credited to the session (charged or not yet). */
  cardCents: number;
  creditCents: number;
  state: 'open' | 'settled' | 'kept';
  spentCents: number | null;
  /** The product paid for (catalogue id), when the session named it. */
  product: string | null;
}

export interface Ledger {
  /**
   * Journals a coin (and the acceptor's counter) in one transaction: to the open payment if
   * there is one; else, during a technician's coin test (`testId`), as a test coin; else as
   * stored credit. Every coin is counted in the cash box.
   */
  recordCoin(coin: CoinRecord, creditMinutes: number, testId?: number): RecordedCoin;
  /** Opens a technician coin test; returns its id. */
  beginTest(now: Date): number;
  endTest(id: number, now: Date, reason: string): void;
  /** Closes the tests a crash left open (at start); returns their ids. */
  closeOpenTests(now: Date, reason: string): number[];
  /** Test coins counted in the cash box since it was last emptied. */
  testCoinsInCashbox(): { count: number; cents: number };
  /** When the cash box was last emptied (ISO 8601), or null. */
  lastEmptiedAt(): string | null;
  lastCounter(serial: string): number | undefined;
  /** Sets the counter the driver counts from for `serial` (first connection, device reset). */
  markCounter(serial: string, counter: number, now: Date): void;
  /**
   * Records lost acceptor events as a money incident, naming the open payment, and moves the
   * acceptor's counter to `toCounter` in the same transaction (a restart resumes after the gap).
   */
  recordCoinIncident(gap: { serial: string; fromCounter: number; toCounter: number; missed: number; at: string }): CoinIncident;
  /** Money incidents not closed by the operator yet, oldest first. */
  openCoinIncidents(): CoinIncident[];
  coinIncident(id: number): CoinIncident | undefined;
  /** The operator checked the cash box and refunded whom it had to: incident `id` closed (false if not open). */
  closeCoinIncident(id: number, now: Date, by: string): boolean;
  /** The open payment the next coin goes to (the most recently opened). */
  currentSession(): string | null;
  session(sessionId: string): SessionPayment | undefined;
  /** Opens (once) and applies available stored credit, oldest first. */
  open(sessionId: string, dueCents: number, now: Date, product?: string): { appliedCents: number; uses: { creditId: number; cents: number }[]; created: boolean };
  /** Marks the session served; `surplusCents` is what it paid beyond `spentCents`. */
  settle(sessionId: string, spentCents: number, now: Date): { surplusCents: number; changed: boolean };
  /** Ends the session unserved: its whole credit becomes stored credit. */
  keep(sessionId: string, now: Date, creditMinutes: number): { storedCents: number; changed: boolean };
  storeCredit(origin: 'surplus' | 'unpaid-change', sessionId: string, cents: number, now: Date, creditMinutes: number): number;
  expireCredit(now: Date): StoredCredit[];
  availableCredit(now: Date): StoredCredit[];
  beginPayout(sessionId: string, coin: string, coins: number, coinCents: number, now: Date): number;
  endPayout(id: number, paidCoins: number): void;
  /** Payouts left pending by a crash: marked uncertain (never paid twice), returned. */
  uncertainPayouts(): { id: number; sessionId: string; coins: number; coinCents: number }[];
  cashbox(): CashboxLine[];
  emptyCashbox(now: Date): { totalCents: number; counts: CashboxLine[] };
  /** Journals a vend about to be requested from the card reader; returns its id. */
  requestCardVend(sessionId: string, cents: number, item: number, reader: string, now: Date): number;
  /**
   * The reader approved: credits min(approved, requested) to the session in one transaction,
   * if its payment is still open; `late` (nothing credited) when it closed meanwhile.
   */
  approveCardVend(id: number, approvedCents: number, now: Date): { sessionId: string; creditedCents: number; late: boolean };
  /** Ends a vend once (no change when it already ended); returns whether it changed. */
  endCardVend(id: number, state: CardVendEnd, reason: string | null, now: Date): boolean;
  /** VEND SUCCESS is about to be sent for this approved vend (durable before the bytes go). */
  markVendSuccessSending(id: number, now: Date): void;
  cardVends(sessionId: string): CardVend[];
  /** Ends the vends a restart interrupted: requested → abandoned, approved → voided, approved with VEND SUCCESS sent → charged; returns them ended. */
  interruptCardVends(now: Date): CardVend[];
  /** Opens (once) the refund of an undelivered session for its cash credit; returns it. */
  beginRefund(sessionId: string, reason: string, now: Date): RefundRow;
  setRefundPayout(sessionId: string, payoutId: number): void;
  payout(id: number): { state: 'pending' | 'done' | 'uncertain'; paidCoins: number | null; coinCents: number } | undefined;
  /** Closes the refund: paid back by the hopper, the rest (if any) owed under `claimCode`. */
  finishRefund(sessionId: string, paidBackCents: number, claimCode: string | null, now: Date): RefundRow;
  refund(sessionId: string): RefundRow | undefined;
  /** Refund claims still owed to customers. */
  claimsDue(): RefundRow[];
  /** Claims whose refund-due record is not yet in the outbox. */
  unreportedClaims(): RefundRow[];
  markClaimReported(sessionId: string): void;
  /**
   * The operator paid the claim of `sessionId` back (`by`: who says so); false if no claim of
   * that session is due. Its record is sent again (reported cleared): now a refund-paid one.
   */
  markClaimPaid(sessionId: string, now: Date, by: string): boolean;
}

interface RefundDbRow {
  session_id: string;
  cents: number;
  payout_id: number | null;
  paid_back_cents: number;
  claim_cents: number;
  claim_code: string | null;
  state: RefundRow['state'];
  reason: string;
  reported: number;
  created_at: string;
  closed_at: string | null;
  paid_by: string | null;
}

interface VendRow {
  id: number;
  session_id: string;
  item: number;
  requested_cents: number;
  credited_cents: number;
  state: CardVendState;
  reason: string | null;
  reader: string;
  requested_at: string;
  ended_at: string | null;
  success_sent_at: string | null;
}

const iso = (d: Date) => d.toISOString();
const plusMinutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000).toISOString();

export function openLedger(store: Store): Ledger {
  store.migrate('payment', MIGRATIONS);
  const db = store.db;
  const q = {
    current: db.prepare<[], { session_id: string }>("SELECT session_id FROM payment_sessions WHERE state = 'open' ORDER BY seq DESC LIMIT 1"),
    insertCoin: db.prepare<[string | null, string, number, number, number, string, string]>(
      'INSERT INTO payment_coins (session_id, coin, cents, channel, counter, acceptor_serial, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    upsertCounter: db.prepare<[string, number, string]>(
      'INSERT INTO payment_acceptors (serial, counter, at) VALUES (?, ?, ?) ON CONFLICT(serial) DO UPDATE SET counter = excluded.counter, at = excluded.at',
    ),
    counter: db.prepare<[string], { counter: number }>('SELECT counter FROM payment_acceptors WHERE serial = ?'),
    cashbox: db.prepare<[string, number]>(
      'INSERT INTO payment_cashbox (coin, count, cents) VALUES (?, 1, ?) ON CONFLICT(coin) DO UPDATE SET count = count + 1, cents = cents + excluded.cents',
    ),
    insertCredit: db.prepare<[string, string | null, number, number, string, string]>(
      'INSERT INTO payment_credit (origin, session_id, cents, left_cents, stored_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    session: db.prepare<[string], { session_id: string; due_cents: number; applied_cents: number; state: 'open' | 'settled' | 'kept'; spent_cents: number | null; product: string | null }>(
      'SELECT session_id, due_cents, applied_cents, state, spent_cents, product FROM payment_sessions WHERE session_id = ?',
    ),
    coinSum: db.prepare<[string], { s: number | null }>('SELECT SUM(cents) AS s FROM payment_coins WHERE session_id = ?'),
    insertSession: db.prepare<[string, number, string, string | null]>("INSERT INTO payment_sessions (session_id, due_cents, state, opened_at, product) VALUES (?, ?, 'open', ?, ?)"),
    setApplied: db.prepare<[number, string]>('UPDATE payment_sessions SET applied_cents = ? WHERE session_id = ?'),
    close: db.prepare<[string, number | null, string, string]>('UPDATE payment_sessions SET state = ?, spent_cents = ?, closed_at = ? WHERE session_id = ?'),
    available: db.prepare<[string], { id: number; origin: string; session_id: string | null; cents: number; left_cents: number; stored_at: string; expires_at: string }>(
      "SELECT * FROM payment_credit WHERE state = 'available' AND expires_at > ? ORDER BY id",
    ),
    expired: db.prepare<[string], { id: number; origin: string; session_id: string | null; cents: number; left_cents: number; stored_at: string; expires_at: string }>(
      "SELECT * FROM payment_credit WHERE state = 'available' AND expires_at <= ? ORDER BY id",
    ),
    setCreditState: db.prepare<[string, number, number]>('UPDATE payment_credit SET state = ?, left_cents = ? WHERE id = ?'),
    use: db.prepare<[number, string, number, string]>('INSERT INTO payment_credit_uses (credit_id, session_id, cents, at) VALUES (?, ?, ?, ?)'),
    beginPayout: db.prepare<[string, string, number, number, string]>(
      "INSERT INTO payment_payouts (session_id, coin, coins, coin_cents, state, at) VALUES (?, ?, ?, ?, 'pending', ?)",
    ),
    endPayout: db.prepare<[number, number]>("UPDATE payment_payouts SET state = 'done', paid_coins = ? WHERE id = ?"),
    pendingPayouts: db.prepare<[], { id: number; session_id: string; coins: number; coin_cents: number }>(
      "SELECT id, session_id, coins, coin_cents FROM payment_payouts WHERE state = 'pending'",
    ),
    uncertain: db.prepare<[number]>("UPDATE payment_payouts SET state = 'uncertain' WHERE id = ?"),
    cashboxAll: db.prepare<[], CashboxLine>('SELECT coin, count, cents FROM payment_cashbox ORDER BY coin'),
    cashboxClear: db.prepare('DELETE FROM payment_cashbox'),
    emptied: db.prepare<[string, number, string]>('INSERT INTO payment_cashbox_emptied (at, total_cents, counts) VALUES (?, ?, ?)'),
    lastEmptied: db.prepare<[], { at: string }>('SELECT at FROM payment_cashbox_emptied ORDER BY id DESC LIMIT 1'),
    beginTest: db.prepare<[string]>('INSERT INTO payment_tests (started_at) VALUES (?)'),
    endTest: db.prepare<[string, string, number]>('UPDATE payment_tests SET ended_at = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL'),
    openTests: db.prepare<[], { id: number }>('SELECT id FROM payment_tests WHERE ended_at IS NULL'),
    insertTestCoin: db.prepare<[number, string, number, number, number, string, string]>(
      'INSERT INTO payment_test_coins (test_id, coin, cents, channel, counter, acceptor_serial, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    insertVend: db.prepare<[string, number, number, string, string]>(
      "INSERT INTO payment_card_vends (session_id, item, requested_cents, state, reader, requested_at) VALUES (?, ?, ?, 'requested', ?, ?)",
    ),
    vend: db.prepare<[number], VendRow>('SELECT * FROM payment_card_vends WHERE id = ?'),
    vends: db.prepare<[string], VendRow>('SELECT * FROM payment_card_vends WHERE session_id = ? ORDER BY id'),
    openVends: db.prepare<[], VendRow>("SELECT * FROM payment_card_vends WHERE state IN ('requested', 'approved') ORDER BY id"),
    approveVend: db.prepare<[number, number]>("UPDATE payment_card_vends SET state = 'approved', credited_cents = ? WHERE id = ? AND state = 'requested'"),
    successSending: db.prepare<[string, number]>("UPDATE payment_card_vends SET success_sent_at = ? WHERE id = ? AND state = 'approved'"),
    endVend: db.prepare<[string, string | null, string, number]>(
      "UPDATE payment_card_vends SET state = ?, reason = ?, ended_at = ? WHERE id = ? AND state IN ('requested', 'approved')",
    ),
    cardSum: db.prepare<[string], { s: number | null }>('SELECT SUM(credited_cents) AS s FROM payment_card_vends WHERE session_id = ?'),
    insertRefund: db.prepare<[string, number, string, string]>("INSERT OR IGNORE INTO payment_refunds (session_id, cents, state, reason, created_at) VALUES (?, ?, 'paying', ?, ?)"),
    refund: db.prepare<[string], RefundDbRow>('SELECT * FROM payment_refunds WHERE session_id = ?'),
    setRefundPayout: db.prepare<[number, string]>('UPDATE payment_refunds SET payout_id = ? WHERE session_id = ? AND payout_id IS NULL'),
    payout: db.prepare<[number], { state: 'pending' | 'done' | 'uncertain'; paid_coins: number | null; coin_cents: number }>('SELECT state, paid_coins, coin_cents FROM payment_payouts WHERE id = ?'),
    finishRefund: db.prepare<[number, number, string | null, string, string, string]>(
      "UPDATE payment_refunds SET paid_back_cents = ?, claim_cents = ?, claim_code = ?, state = ?, closed_at = ? WHERE session_id = ? AND state = 'paying'",
    ),
    claimsDue: db.prepare<[], RefundDbRow>("SELECT * FROM payment_refunds WHERE state = 'claim-due' ORDER BY created_at"),
    unreported: db.prepare<[], RefundDbRow>("SELECT * FROM payment_refunds WHERE state IN ('claim-due', 'claim-paid') AND reported = 0 ORDER BY created_at"),
    markReported: db.prepare<[string]>('UPDATE payment_refunds SET reported = 1 WHERE session_id = ?'),
    claimPaid: db.prepare<[string, string, string]>("UPDATE payment_refunds SET state = 'claim-paid', closed_at = ?, paid_by = ?, reported = 0 WHERE session_id = ? AND state = 'claim-due'"),
    testCoinsSince: db.prepare<[string], { n: number; c: number | null }>('SELECT COUNT(*) AS n, SUM(cents) AS c FROM payment_test_coins WHERE at > ?'),
  };
  const toRefund = (r: RefundDbRow): RefundRow => ({
    sessionId: r.session_id,
    cents: r.cents,
    payoutId: r.payout_id,
    paidBackCents: r.paid_back_cents,
    claimCents: r.claim_cents,
    claimCode: r.claim_code,
    state: r.state,
    reason: r.reason,
    createdAt: r.created_at,
    closedAt: r.closed_at,
    paidBy: r.paid_by,
  });
  const toVend = (r: VendRow): CardVend => ({
    id: r.id,
    sessionId: r.session_id,
    item: r.item,
    requestedCents: r.requested_cents,
    creditedCents: r.credited_cents,
    state: r.state,
    reason: r.reason,
    requestedAt: r.requested_at,
    endedAt: r.ended_at,
  });
  const toCredit = (r: { id: number; origin: string; session_id: string | null; cents: number; left_cents: number; stored_at: string; expires_at: string }): StoredCredit => ({
    id: r.id,
    origin: r.origin,
    sessionId: r.session_id,
    cents: r.cents,
    leftCents: r.left_cents,
    storedAt: r.stored_at,
    expiresAt: r.expires_at,
  });

  const incidentOf = (r: { id: number; kind: 'missed-events'; acceptor_serial: string; from_counter: number; to_counter: number; missed_events: number; session_id: string | null; at: string; closed_at: string | null; closed_by: string | null }): CoinIncident => ({
    id: r.id,
    kind: r.kind,
    serial: r.acceptor_serial,
    fromCounter: r.from_counter,
    toCounter: r.to_counter,
    missedEvents: r.missed_events,
    sessionId: r.session_id,
    at: r.at,
    closedAt: r.closed_at,
    closedBy: r.closed_by,
  });
  const incidentColumns = 'id, kind, acceptor_serial, from_counter, to_counter, missed_events, session_id, at, closed_at, closed_by';
  type IncidentRow = Parameters<typeof incidentOf>[0];
  const qi = {
    insert: db.prepare<[string, number, number, number, string | null, string]>(
      "INSERT INTO payment_incidents (kind, acceptor_serial, from_counter, to_counter, missed_events, session_id, at) VALUES ('missed-events', ?, ?, ?, ?, ?, ?)",
    ),
    get: db.prepare<[number], IncidentRow>(`SELECT ${incidentColumns} FROM payment_incidents WHERE id = ?`),
    open: db.prepare<[], IncidentRow>(`SELECT ${incidentColumns} FROM payment_incidents WHERE closed_at IS NULL ORDER BY id`),
    close: db.prepare<[string, string, number]>('UPDATE payment_incidents SET closed_at = ?, closed_by = ? WHERE id = ? AND closed_at IS NULL'),
  };

  const ledger: Ledger = {
    recordCoinIncident(gap) {
      return store.transaction(() => {
        const sessionId = q.current.get()?.session_id ?? null;
        const id = Number(qi.insert.run(gap.serial, gap.fromCounter, gap.toCounter, gap.missed, sessionId, gap.at).lastInsertRowid);
        q.upsertCounter.run(gap.serial, gap.toCounter, gap.at);
        return incidentOf(qi.get.get(id)!);
      });
    },
    openCoinIncidents() {
      return qi.open.all().map(incidentOf);
    },
    coinIncident(id) {
      const row = qi.get.get(id);
      return row ? incidentOf(row) : undefined;
    },
    closeCoinIncident(id, now, by) {
      return qi.close.run(iso(now), by, id).changes === 1;
    },
    recordCoin(coin, creditMinutes, testId) {
      return store.transaction(() => {
        const sessionId = q.current.get()?.session_id ?? null;
        if (sessionId === null && testId !== undefined) {
          const id = Number(q.insertTestCoin.run(testId, coin.coin, coin.cents, coin.channel, coin.counter, coin.serial, coin.at).lastInsertRowid);
          q.upsertCounter.run(coin.serial, coin.counter, coin.at);
          q.cashbox.run(coin.coin, coin.cents);
          return { coinId: `test-coin-${id}`, sessionId: null, cents: coin.cents, coin: coin.coin, testId };
        }
        const id = Number(q.insertCoin.run(sessionId, coin.coin, coin.cents, coin.channel, coin.counter, coin.serial, coin.at).lastInsertRowid);
        q.upsertCounter.run(coin.serial, coin.counter, coin.at);
        q.cashbox.run(coin.coin, coin.cents);
        const recorded: RecordedCoin = { coinId: `coin-${id}`, sessionId, cents: coin.cents, coin: coin.coin };
        if (sessionId === null) {
          const at = new Date(coin.at);
          recorded.storedCreditId = Number(q.insertCredit.run('coin', null, coin.cents, coin.cents, iso(at), plusMinutes(at, creditMinutes)).lastInsertRowid);
        }
        return recorded;
      });
    },
    beginTest(now) {
      return Number(q.beginTest.run(iso(now)).lastInsertRowid);
    },
    endTest(id, now, reason) {
      q.endTest.run(iso(now), reason, id);
    },
    closeOpenTests(now, reason) {
      return store.transaction(() => {
        const ids = q.openTests.all().map((r) => r.id);
        for (const id of ids) q.endTest.run(iso(now), reason, id);
        return ids;
      });
    },
    testCoinsInCashbox() {
      const row = q.testCoinsSince.get(q.lastEmptied.get()?.at ?? '')!;
      return { count: row.n, cents: row.c ?? 0 };
    },
    lastEmptiedAt() {
      return q.lastEmptied.get()?.at ?? null;
    },
    lastCounter(serial) {
      return q.counter.get(serial)?.counter;
    },
    markCounter(serial, counter, now) {
      q.upsertCounter.run(serial, counter, iso(now));
    },
    currentSession() {
      return q.current.get()?.session_id ?? null;
    },
    session(sessionId) {
      const row = q.session.get(sessionId);
      if (!row) return undefined;
      // SUM without GROUP BY always returns one row (NULL when there is nothing to add).
      const coinCents = q.coinSum.get(sessionId)!.s ?? 0;
      const cardCents = q.cardSum.get(sessionId)!.s ?? 0;
      return {
        sessionId,
        dueCents: row.due_cents,
        appliedCents: row.applied_cents,
        coinCents,
        cardCents,
        creditCents: row.applied_cents + coinCents + cardCents,
        state: row.state,
        spentCents: row.spent_cents,
        product: row.product,
      };
    },
    open(sessionId, dueCents, now, product) {
      return store.transaction(() => {
        const existing = q.session.get(sessionId);
        if (existing) return { appliedCents: existing.applied_cents, uses: [], created: false };
        q.insertSession.run(sessionId, dueCents, iso(now), product ?? null);
        let need = dueCents;
        const uses: { creditId: number; cents: number }[] = [];
        for (const credit of q.available.all(iso(now))) {
          if (need <= 0) break;
          const take = Math.min(need, credit.left_cents);
          need -= take;
          const left = credit.left_cents - take;
          q.setCreditState.run(left === 0 ? 'used' : 'available', left, credit.id);
          q.use.run(credit.id, sessionId, take, iso(now));
          uses.push({ creditId: credit.id, cents: take });
        }
        const applied = dueCents - need;
        q.setApplied.run(applied, sessionId);
        return { appliedCents: applied, uses, created: true };
      });
    },
    settle(sessionId, spentCents, now) {
      return store.transaction(() => {
        const s = ledger.session(sessionId);
        if (!s) throw new Error(`no payment for session ${sessionId}`);
        if (s.state !== 'open') return { surplusCents: 0, changed: false };
        if (spentCents > s.creditCents) throw new Error(`session ${sessionId} has ${s.creditCents} cents of credit, cannot spend ${spentCents}`);
        q.close.run('settled', spentCents, iso(now), sessionId);
        return { surplusCents: s.creditCents - spentCents, changed: true };
      });
    },
    keep(sessionId, now, creditMinutes) {
      return store.transaction(() => {
        const s = ledger.session(sessionId);
        if (!s || s.state !== 'open') return { storedCents: 0, changed: false };
        q.close.run('kept', null, iso(now), sessionId);
        // Card approvals are released by the desk (VEND FAILURE), never turned into credit.
        const cash = s.creditCents - s.cardCents;
        if (cash > 0) q.insertCredit.run('walk-away', sessionId, cash, cash, iso(now), plusMinutes(now, creditMinutes));
        return { storedCents: cash, changed: true };
      });
    },
    storeCredit(origin, sessionId, cents, now, creditMinutes) {
      return Number(q.insertCredit.run(origin, sessionId, cents, cents, iso(now), plusMinutes(now, creditMinutes)).lastInsertRowid);
    },
    expireCredit(now) {
      return store.transaction(() => {
        const rows = q.expired.all(iso(now));
        for (const r of rows) q.setCreditState.run('expired', r.left_cents, r.id);
        return rows.map(toCredit);
      });
    },
    availableCredit(now) {
      return q.available.all(iso(now)).map(toCredit);
    },
    beginPayout(sessionId, coin, coins, coinCents, now) {
      return Number(q.beginPayout.run(sessionId, coin, coins, coinCents, iso(now)).lastInsertRowid);
    },
    endPayout(id, paidCoins) {
      q.endPayout.run(paidCoins, id);
    },
    uncertainPayouts() {
      return store.transaction(() => {
        const rows = q.pendingPayouts.all();
        for (const r of rows) q.uncertain.run(r.id);
        return rows.map((r) => ({ id: r.id, sessionId: r.session_id, coins: r.coins, coinCents: r.coin_cents }));
      });
    },
    cashbox() {
      return q.cashboxAll.all();
    },
    emptyCashbox(now) {
      return store.transaction(() => {
        const counts = q.cashboxAll.all();
        const totalCents = counts.reduce((a, c) => a + c.cents, 0);
        q.emptied.run(iso(now), totalCents, JSON.stringify(counts));
        q.cashboxClear.run();
        return { totalCents, counts };
      });
    },
    requestCardVend(sessionId, cents, item, reader, now) {
      return Number(q.insertVend.run(sessionId, item, cents, reader, iso(now)).lastInsertRowid);
    },
    approveCardVend(id, approvedCents, now) {
      return store.transaction(() => {
        const vend = q.vend.get(id);
        if (!vend) throw new Error(`no card vend ${id}`);
        if (vend.state !== 'requested') return { sessionId: vend.session_id, creditedCents: vend.credited_cents, late: vend.state !== 'approved' };
        const s = q.session.get(vend.session_id);
        if (!s || s.state !== 'open') {
          q.endVend.run('released', 'the payment closed during the authorisation', iso(now), id);
          return { sessionId: vend.session_id, creditedCents: 0, late: true };
        }
        const credited = Math.max(0, Math.min(approvedCents, vend.requested_cents));
        const paid = ledger.session(vend.session_id);
        if (paid && paid.creditCents + credited > paid.dueCents) {
          // Coins paid part of it meanwhile: the card would be charged more than is due.
          q.endVend.run('released', 'the session was paid otherwise during the authorisation', iso(now), id);
          return { sessionId: vend.session_id, creditedCents: 0, late: true };
        }
        q.approveVend.run(credited, id);
        return { sessionId: vend.session_id, creditedCents: credited, late: false };
      });
    },
    markVendSuccessSending(id, now) {
      q.successSending.run(iso(now), id);
    },
    endCardVend(id, state, reason, now) {
      return q.endVend.run(state, reason, iso(now), id).changes > 0;
    },
    cardVends(sessionId) {
      return q.vends.all(sessionId).map(toVend);
    },
    beginRefund(sessionId, reason, now) {
      return store.transaction(() => {
        const s = ledger.session(sessionId);
        if (!s) throw new Error(`no payment for session ${sessionId}`);
        // What the customer spent in cash (surplus was already given back as change or credit).
        const spent = s.spentCents ?? s.creditCents;
        q.insertRefund.run(sessionId, Math.max(0, spent - s.cardCents), reason, iso(now));
        return toRefund(q.refund.get(sessionId)!);
      });
    },
    setRefundPayout(sessionId, payoutId) {
      q.setRefundPayout.run(payoutId, sessionId);
    },
    payout(id) {
      const r = q.payout.get(id);
      return r ? { state: r.state, paidCoins: r.paid_coins, coinCents: r.coin_cents } : undefined;
    },
    finishRefund(sessionId, paidBackCents, claimCode, now) {
      return store.transaction(() => {
        const r = q.refund.get(sessionId);
        if (!r) throw new Error(`no refund for session ${sessionId}`);
        // Only a refund still paying is finished (the statement's WHERE): finished once.
        const claim = Math.max(0, r.cents - paidBackCents);
        q.finishRefund.run(paidBackCents, claim, claim > 0 ? claimCode : null, claim > 0 ? 'claim-due' : 'paid-back', iso(now), sessionId);
        return toRefund(q.refund.get(sessionId)!);
      });
    },
    refund(sessionId) {
      const r = q.refund.get(sessionId);
      return r ? toRefund(r) : undefined;
    },
    claimsDue() {
      return q.claimsDue.all().map(toRefund);
    },
    unreportedClaims() {
      return q.unreported.all().map(toRefund);
    },
    markClaimReported(sessionId) {
      q.markReported.run(sessionId);
    },
    markClaimPaid(sessionId, now, by) {
      return q.claimPaid.run(iso(now), by, sessionId).changes > 0;
    },
    interruptCardVends(now) {
      return store.transaction(() => {
        const rows = q.openVends.all();
        return rows.map((r) => {
          const charged = r.state === 'approved' && r.success_sent_at !== null;
          const state: CardVendState = charged ? 'charged' : r.state === 'approved' ? 'voided' : 'abandoned';
          const reason = charged ? 'the booth restarted after sending VEND SUCCESS: the reader charged it' : 'the booth restarted';
          q.endVend.run(state, reason, iso(now), r.id);
          return toVend({ ...r, state, reason, ended_at: iso(now) });
        });
      });
    },
  };
  return ledger;
}
