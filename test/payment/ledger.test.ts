// The payment ledger on its own (a throw-away SQLite store, no driver): every operation with
// literal amounts, ids, states and times, and each boundary from both sides (credit expiring
// at the second, a card approval that would exactly pay or overpay, a refund fully or partly
// paid back). The desk and kill -9 tests drive the ledger through the booth; these pin what it
// writes, so a changed amount, state or condition fails here in a second (docs/testing.md).
import t, { type Test } from 'tap';
import { openLedger, type Ledger } from '../../src/payment/ledger.ts';
import { openStore, type Store } from '../../src/store/db.ts';

const SERIAL = '0A0B0C';
const T0 = new Date('2025-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const coin = (name: string, cents: number, counter: number, when = T0) => ({ coin: name, cents, channel: 5, counter, serial: SERIAL, at: when.toISOString() });

function fresh(t: Test): { store: Store; ledger: Ledger } {
  const store = openStore('', { file: ':memory:' });
  t.teardown(() => store.close());
  return { store, ledger: openLedger(store) };
}

const rows = (store: Store, sql: string) => store.db.prepare(sql).all();

t.test('a coin goes to the open payment, with its counter and cash-box line', async (t) => {
  const { store, ledger } = fresh(t);
  t.equal(ledger.currentSession(), null);
  t.equal(ledger.lastCounter(SERIAL), undefined, 'no counter before the first coin');
  t.strictSame(ledger.open('s1', 800, T0), { appliedCents: 0, uses: [], created: true });
  t.equal(ledger.currentSession(), 's1');
  t.strictSame(ledger.recordCoin(coin('EU200A', 200, 7), 30), { coinId: 'coin-1', sessionId: 's1', cents: 200, coin: 'EU200A' });
  t.strictSame(ledger.recordCoin(coin('EU050A', 50, 8), 30), { coinId: 'coin-2', sessionId: 's1', cents: 50, coin: 'EU050A' });
  t.equal(ledger.lastCounter(SERIAL), 8, 'the counter of the last coin');
  t.strictSame(ledger.session('s1'), {
    sessionId: 's1', dueCents: 800, appliedCents: 0, coinCents: 250, cardCents: 0, creditCents: 250, state: 'open', spentCents: null, product: null,
  });
  t.strictSame(ledger.cashbox(), [{ coin: 'EU050A', count: 1, cents: 50 }, { coin: 'EU200A', count: 1, cents: 200 }]);
  t.strictSame(ledger.availableCredit(T0), [], 'a coin to a payment is no stored credit');
  t.strictSame(rows(store, 'SELECT session_id, coin, cents, channel, counter, acceptor_serial, at FROM payment_coins ORDER BY id'), [
    { session_id: 's1', coin: 'EU200A', cents: 200, channel: 5, counter: 7, acceptor_serial: SERIAL, at: T0.toISOString() },
    { session_id: 's1', coin: 'EU050A', cents: 50, channel: 5, counter: 8, acceptor_serial: SERIAL, at: T0.toISOString() },
  ]);
  t.equal(ledger.session('nobody'), undefined);
});

t.test('with no payment open a coin is stored credit (expiring creditMinutes after it came), or a test coin during a coin test', async (t) => {
  const { store, ledger } = fresh(t);
  const stored = ledger.recordCoin(coin('EU100A', 100, 3, at(1)), 30);
  t.strictSame(stored, { coinId: 'coin-1', sessionId: null, cents: 100, coin: 'EU100A', storedCreditId: 1 });
  t.strictSame(ledger.availableCredit(at(1)), [
    { id: 1, origin: 'coin', sessionId: null, cents: 100, leftCents: 100, storedAt: at(1).toISOString(), expiresAt: at(31).toISOString() },
  ]);

  const testId = ledger.beginTest(at(2));
  t.equal(testId, 1);
  t.strictSame(ledger.recordCoin(coin('EU200A', 200, 4, at(2)), 30, testId), { coinId: 'test-coin-1', sessionId: null, cents: 200, coin: 'EU200A', testId: 1 });
  t.equal(ledger.lastCounter(SERIAL), 4, 'a test coin advances the counter too');
  t.strictSame(ledger.availableCredit(at(2)).map((c) => c.id), [1], 'a test coin is nobody\'s credit');
  t.strictSame(rows(store, 'SELECT test_id, coin, cents, channel, counter, acceptor_serial FROM payment_test_coins'), [
    { test_id: 1, coin: 'EU200A', cents: 200, channel: 5, counter: 4, acceptor_serial: SERIAL },
  ]);
  t.strictSame(ledger.testCoinsInCashbox(), { count: 1, cents: 200 });
  t.strictSame(ledger.cashbox(), [{ coin: 'EU100A', count: 1, cents: 100 }, { coin: 'EU200A', count: 1, cents: 200 }], 'both are in the box');

  ledger.open('s1', 500, at(3));
  t.equal(ledger.availableCredit(at(3)).length, 0, 'the stored coin paid part of s1');
  t.strictSame(ledger.recordCoin(coin('EU200A', 200, 5, at(3)), 30, testId), { coinId: 'coin-2', sessionId: 's1', cents: 200, coin: 'EU200A' },
    'an open payment takes the coin even during a test');
  t.equal(ledger.session('s1')?.creditCents, 300);
});

t.test('coin tests: begun, ended once, and closed at start when a crash left them open', async (t) => {
  const { store, ledger } = fresh(t);
  t.equal(ledger.beginTest(at(0)), 1);
  t.equal(ledger.beginTest(at(1)), 2);
  ledger.endTest(1, at(2), 'done');
  ledger.endTest(1, at(3), 'again');
  t.strictSame(ledger.closeOpenTests(at(4), 'restart'), [2]);
  t.strictSame(ledger.closeOpenTests(at(5), 'restart'), [], 'nothing left open');
  t.strictSame(rows(store, 'SELECT id, started_at, ended_at, end_reason FROM payment_tests ORDER BY id'), [
    { id: 1, started_at: at(0).toISOString(), ended_at: at(2).toISOString(), end_reason: 'done' },
    { id: 2, started_at: at(1).toISOString(), ended_at: at(4).toISOString(), end_reason: 'restart' },
  ]);
});

t.test('the cash box: counted per coin, emptied with its total, test coins counted since the last emptying', async (t) => {
  const { store, ledger } = fresh(t);
  t.equal(ledger.lastEmptiedAt(), null);
  t.strictSame(ledger.testCoinsInCashbox(), { count: 0, cents: 0 });
  const testId = ledger.beginTest(at(0));
  ledger.recordCoin(coin('EU200A', 200, 1, at(1)), 30, testId);
  ledger.recordCoin(coin('EU200A', 200, 2, at(1)), 30, testId);
  ledger.recordCoin(coin('EU010A', 10, 3, at(1)), 30);
  t.strictSame(ledger.cashbox(), [{ coin: 'EU010A', count: 1, cents: 10 }, { coin: 'EU200A', count: 2, cents: 400 }]);
  t.strictSame(ledger.testCoinsInCashbox(), { count: 2, cents: 400 });
  const emptied = ledger.emptyCashbox(at(2));
  t.strictSame(emptied, { totalCents: 410, counts: [{ coin: 'EU010A', count: 1, cents: 10 }, { coin: 'EU200A', count: 2, cents: 400 }] });
  t.strictSame(ledger.cashbox(), []);
  t.equal(ledger.lastEmptiedAt(), at(2).toISOString());
  t.strictSame(ledger.testCoinsInCashbox(), { count: 0, cents: 0 }, 'the emptied test coins left with the box');
  ledger.recordCoin(coin('EU050A', 50, 4, at(3)), 30, testId);
  t.strictSame(ledger.testCoinsInCashbox(), { count: 1, cents: 50 });
  t.strictSame(ledger.emptyCashbox(at(4)).totalCents, 50);
  t.equal(ledger.lastEmptiedAt(), at(4).toISOString(), 'the latest emptying');
  t.strictSame(rows(store, 'SELECT at, total_cents, counts FROM payment_cashbox_emptied ORDER BY id'), [
    { at: at(2).toISOString(), total_cents: 410, counts: JSON.stringify([{ coin: 'EU010A', count: 1, cents: 10 }, { coin: 'EU200A', count: 2, cents: 400 }]) },
    { at: at(4).toISOString(), total_cents: 50, counts: JSON.stringify([{ coin: 'EU050A', count: 1, cents: 50 }]) },
  ]);
});

t.test('the acceptor counter: set by markCounter, per serial, overwritten', async (t) => {
  const { store, ledger } = fresh(t);
  ledger.markCounter(SERIAL, 200, T0);
  ledger.markCounter('OTHER', 9, T0);
  t.equal(ledger.lastCounter(SERIAL), 200);
  ledger.markCounter(SERIAL, 3, at(1));
  t.equal(ledger.lastCounter(SERIAL), 3);
  t.equal(ledger.lastCounter('OTHER'), 9);
  t.strictSame(rows(store, `SELECT counter, at FROM payment_acceptors WHERE serial = '${SERIAL}'`), [{ counter: 3, at: at(1).toISOString() }]);
});

t.test('opening applies stored credit oldest first, only what is due, never expired credit', async (t) => {
  const { ledger } = fresh(t);
  t.equal(ledger.storeCredit('surplus', 'old', 300, at(0), 30), 1);
  t.equal(ledger.storeCredit('unpaid-change', 'older', 250, at(1), 30), 2);
  t.equal(ledger.storeCredit('surplus', 'later', 100, at(2), 60), 3);
  const opened = ledger.open('s1', 500, at(5));
  t.strictSame(opened, { appliedCents: 500, uses: [{ creditId: 1, cents: 300 }, { creditId: 2, cents: 200 }], created: true });
  t.strictSame(ledger.availableCredit(at(5)), [
    { id: 2, origin: 'unpaid-change', sessionId: 'older', cents: 250, leftCents: 50, storedAt: at(1).toISOString(), expiresAt: at(31).toISOString() },
    { id: 3, origin: 'surplus', sessionId: 'later', cents: 100, leftCents: 100, storedAt: at(2).toISOString(), expiresAt: at(62).toISOString() },
  ], 'the first used up, the second partly, the third untouched');
  t.strictSame(ledger.open('s1', 500, at(6)), { appliedCents: 500, uses: [], created: false }, 'opened once');
  t.equal(ledger.session('s1')?.creditCents, 500);

  // s2 at the second credit 2 expires: only credit 3 applies.
  t.strictSame(ledger.open('s2', 400, at(31)), { appliedCents: 100, uses: [{ creditId: 3, cents: 100 }], created: true });
  t.strictSame(ledger.session('s2'), {
    sessionId: 's2', dueCents: 400, appliedCents: 100, coinCents: 0, cardCents: 0, creditCents: 100, state: 'open', spentCents: null, product: null,
  });
  t.strictSame(ledger.open('s3', 100, at(31)), { appliedCents: 0, uses: [], created: true }, 'nothing left');
});

t.test('stored credit expires at its time to the second, not before', async (t) => {
  const { ledger } = fresh(t);
  ledger.storeCredit('surplus', 's0', 150, at(0), 30);
  t.strictSame(ledger.expireCredit(new Date(at(30).getTime() - 1000)), [], 'one second before');
  t.equal(ledger.availableCredit(new Date(at(30).getTime() - 1000)).length, 1);
  t.equal(ledger.availableCredit(at(30)).length, 0, 'not available at its expiry');
  t.strictSame(ledger.expireCredit(at(30)), [
    { id: 1, origin: 'surplus', sessionId: 's0', cents: 150, leftCents: 150, storedAt: at(0).toISOString(), expiresAt: at(30).toISOString() },
  ]);
  t.strictSame(ledger.expireCredit(at(40)), [], 'expired once');
  t.strictSame(ledger.open('s1', 100, at(0)), { appliedCents: 0, uses: [], created: true }, 'expired credit is never applied, even at an earlier clock');
});

t.test('settle: spends from the credit, returns the surplus, once; never more than the credit', async (t) => {
  const { ledger } = fresh(t);
  t.throws(() => ledger.settle('nobody', 100, T0), /no payment for session nobody/);
  ledger.open('s1', 500, T0);
  ledger.recordCoin(coin('EU200A', 200, 1), 30);
  ledger.recordCoin(coin('EU200A', 200, 2), 30);
  ledger.recordCoin(coin('EU200A', 200, 3), 30);
  t.throws(() => ledger.settle('s1', 601, T0), /session s1 has 600 cents of credit, cannot spend 601/);
  t.strictSame(ledger.settle('s1', 500, at(1)), { surplusCents: 100, changed: true });
  t.strictSame(ledger.settle('s1', 500, at(2)), { surplusCents: 0, changed: false });
  t.strictSame(ledger.session('s1'), {
    sessionId: 's1', dueCents: 500, appliedCents: 0, coinCents: 600, cardCents: 0, creditCents: 600, state: 'settled', spentCents: 500, product: null,
  });
  t.equal(ledger.currentSession(), null, 'a settled payment takes no more coins');
  ledger.open('s2', 200, T0);
  ledger.recordCoin(coin('EU200A', 200, 4), 30);
  t.strictSame(ledger.settle('s2', 200, at(1)), { surplusCents: 0, changed: true }, 'spending all the credit is allowed');
});

t.test('keep: an unserved session\'s cash credit becomes walk-away credit; card approvals never do', async (t) => {
  const { store, ledger } = fresh(t);
  t.strictSame(ledger.keep('nobody', T0, 30), { storedCents: 0, changed: false });
  ledger.open('s1', 800, T0);
  ledger.recordCoin(coin('EU200A', 200, 1), 30);
  const vend = ledger.requestCardVend('s1', 500, 1, 'reader', T0);
  ledger.approveCardVend(vend, 500, T0);
  t.equal(ledger.session('s1')?.creditCents, 700);
  t.strictSame(ledger.keep('s1', at(1), 45), { storedCents: 200, changed: true });
  t.strictSame(ledger.keep('s1', at(2), 45), { storedCents: 0, changed: false }, 'kept once');
  t.strictSame(ledger.availableCredit(at(1)), [
    { id: 1, origin: 'walk-away', sessionId: 's1', cents: 200, leftCents: 200, storedAt: at(1).toISOString(), expiresAt: at(46).toISOString() },
  ]);
  t.strictSame(rows(store, "SELECT state, spent_cents, closed_at FROM payment_sessions WHERE session_id = 's1'"), [{ state: 'kept', spent_cents: null, closed_at: at(1).toISOString() }]);
  ledger.open('s2', 300, at(50));
  t.strictSame(ledger.keep('s2', at(51), 45), { storedCents: 0, changed: true }, 'nothing paid: nothing stored');
  t.equal(ledger.availableCredit(at(51)).length, 0);
  ledger.open('s3', 300, at(52));
  ledger.settle('s3', 0, at(53));
  t.strictSame(ledger.keep('s3', at(54), 45), { storedCents: 0, changed: false }, 'a settled session is not kept');
});

t.test('hopper payouts: pending until done; a crash leaves them uncertain, reported once', async (t) => {
  const { ledger } = fresh(t);
  t.equal(ledger.payout(1), undefined);
  t.equal(ledger.beginPayout('s1', 'EU100A', 3, 100, T0), 1);
  t.equal(ledger.beginPayout('s2', 'EU100A', 2, 100, T0), 2);
  t.strictSame(ledger.payout(1), { state: 'pending', paidCoins: null, coinCents: 100 });
  ledger.endPayout(1, 3);
  t.strictSame(ledger.payout(1), { state: 'done', paidCoins: 3, coinCents: 100 });
  t.strictSame(ledger.uncertainPayouts(), [{ id: 2, sessionId: 's2', coins: 2, coinCents: 100 }]);
  t.strictSame(ledger.payout(2), { state: 'uncertain', paidCoins: null, coinCents: 100 });
  t.strictSame(ledger.uncertainPayouts(), [], 'never reported (nor paid) twice');
});

t.test('card vends: approval credits min(approved, requested) while the payment is open and not overpaid', async (t) => {
  const { ledger } = fresh(t);
  t.throws(() => ledger.approveCardVend(99, 100, T0), /no card vend 99/);
  ledger.open('s1', 800, T0);
  const v1 = ledger.requestCardVend('s1', 500, 2, 'mdb', T0);
  t.equal(v1, 1);
  t.strictSame(ledger.approveCardVend(v1, 900, at(1)), { sessionId: 's1', creditedCents: 500, late: false }, 'never more than requested');
  t.strictSame(ledger.approveCardVend(v1, 900, at(1)), { sessionId: 's1', creditedCents: 500, late: false }, 'approved already: same answer');
  t.equal(ledger.session('s1')?.cardCents, 500);
  const v2 = ledger.requestCardVend('s1', 300, 2, 'mdb', at(2));
  t.strictSame(ledger.approveCardVend(v2, 250, at(3)), { sessionId: 's1', creditedCents: 250, late: false }, 'a lower approval credits what was approved');
  t.equal(ledger.session('s1')?.creditCents, 750);
  const v3 = ledger.requestCardVend('s1', 50, 2, 'mdb', at(4));
  t.strictSame(ledger.approveCardVend(v3, -10, at(4)), { sessionId: 's1', creditedCents: 0, late: false }, 'a negative approval credits nothing');
  t.strictSame(ledger.cardVends('s1').map((v) => [v.id, v.state, v.creditedCents]), [[1, 'approved', 500], [2, 'approved', 250], [3, 'approved', 0]]);

  t.equal(ledger.endCardVend(v1, 'charged', null, at(5)), true);
  t.equal(ledger.endCardVend(v1, 'released', 'late', at(6)), false, 'ended once');
  t.strictSame(ledger.approveCardVend(v1, 500, at(6)), { sessionId: 's1', creditedCents: 500, late: true }, 'an ended vend is late');
  t.strictSame(ledger.cardVends('s1')[0], {
    id: 1, sessionId: 's1', item: 2, requestedCents: 500, creditedCents: 500, state: 'charged', reason: null, requestedAt: T0.toISOString(), endedAt: at(5).toISOString(),
  });
});

t.test('card vends: an approval after the payment closed, or one that would overpay, is released and credits nothing', async (t) => {
  const { ledger } = fresh(t);
  ledger.open('s1', 800, T0);
  ledger.recordCoin(coin('EU200A', 200, 1), 30);
  const exact = ledger.requestCardVend('s1', 600, 1, 'mdb', T0);
  const over = ledger.requestCardVend('s1', 601, 1, 'mdb', T0);
  t.strictSame(ledger.approveCardVend(over, 601, at(1)), { sessionId: 's1', creditedCents: 0, late: true }, '200 + 601 > 800');
  t.strictSame(ledger.approveCardVend(exact, 600, at(1)), { sessionId: 's1', creditedCents: 600, late: false }, '200 + 600 = 800 is allowed');
  t.strictSame(ledger.cardVends('s1').map((v) => [v.state, v.reason, v.creditedCents, v.endedAt]), [
    ['approved', null, 600, null],
    ['released', 'the session was paid otherwise during the authorisation', 0, at(1).toISOString()],
  ]);
  ledger.settle('s1', 800, at(2));
  const late = ledger.requestCardVend('s1', 100, 1, 'mdb', at(3));
  t.strictSame(ledger.approveCardVend(late, 100, at(4)), { sessionId: 's1', creditedCents: 0, late: true });
  t.strictSame(ledger.cardVends('s1').at(-1), {
    id: 3, sessionId: 's1', item: 1, requestedCents: 100, creditedCents: 0, state: 'released', reason: 'the payment closed during the authorisation',
    requestedAt: at(3).toISOString(), endedAt: at(4).toISOString(),
  });
  const unknownSession = ledger.requestCardVend('ghost', 100, 1, 'mdb', at(5));
  t.strictSame(ledger.approveCardVend(unknownSession, 100, at(5)), { sessionId: 'ghost', creditedCents: 0, late: true }, 'no payment at all');
});

t.test('a restart ends the vends it interrupted: requested → abandoned, approved → voided, VEND SUCCESS sent → charged', async (t) => {
  const { ledger } = fresh(t);
  ledger.open('s1', 1800, T0);
  const requested = ledger.requestCardVend('s1', 100, 1, 'mdb', T0);
  const approved = ledger.requestCardVend('s1', 200, 1, 'mdb', T0);
  ledger.approveCardVend(approved, 200, T0);
  const charged = ledger.requestCardVend('s1', 300, 1, 'mdb', T0);
  ledger.approveCardVend(charged, 300, T0);
  ledger.endCardVend(charged, 'charged', null, T0);
  // Killed between journaling VEND SUCCESS and hearing the reader: the reader charged it.
  const sending = ledger.requestCardVend('s1', 400, 1, 'mdb', T0);
  ledger.approveCardVend(sending, 400, T0);
  ledger.markVendSuccessSending(sending, T0);
  ledger.markVendSuccessSending(requested, T0); // not approved: no VEND SUCCESS can be sent for it
  const interrupted = ledger.interruptCardVends(at(1));
  t.strictSame(interrupted.map((v) => [v.id, v.state, v.creditedCents]), [[requested, 'abandoned', 0], [approved, 'voided', 200], [sending, 'charged', 400]], 'returned as they ended');
  t.strictSame(ledger.cardVends('s1').map((v) => [v.id, v.state, v.reason, v.endedAt]), [
    [1, 'abandoned', 'the booth restarted', at(1).toISOString()],
    [2, 'voided', 'the booth restarted', at(1).toISOString()],
    [3, 'charged', null, T0.toISOString()],
    [4, 'charged', 'the booth restarted after sending VEND SUCCESS: the reader charged it', at(1).toISOString()],
  ]);
  t.strictSame(ledger.interruptCardVends(at(2)), []);
});

t.test('refunds: the cash a session spent (not the card), paid back by the hopper, the rest a claim', async (t) => {
  const { ledger } = fresh(t);
  t.throws(() => ledger.beginRefund('nobody', 'x', T0), /no payment for session nobody/);
  t.throws(() => ledger.finishRefund('nobody', 0, null, T0), /no refund for session nobody/);
  t.equal(ledger.refund('nobody'), undefined);

  // s1: 700 paid (500 coins, 200 card), 600 spent: the cash refund is 600 - 200.
  ledger.open('s1', 700, T0);
  ledger.recordCoin(coin('EU200A', 200, 1), 30);
  ledger.recordCoin(coin('EU200A', 200, 2), 30);
  ledger.recordCoin(coin('EU100A', 100, 3), 30);
  ledger.approveCardVend(ledger.requestCardVend('s1', 200, 1, 'mdb', T0), 200, T0);
  ledger.settle('s1', 600, at(1));
  const begun = ledger.beginRefund('s1', 'print failed', at(2));
  t.strictSame(begun, {
    sessionId: 's1', cents: 400, payoutId: null, paidBackCents: 0, claimCents: 0, claimCode: null, state: 'paying', reason: 'print failed', createdAt: at(2).toISOString(), closedAt: null, paidBy: null,
  });
  t.strictSame(ledger.beginRefund('s1', 'again', at(3)), begun, 'opened once');
  ledger.setRefundPayout('s1', 7);
  ledger.setRefundPayout('s1', 8);
  t.equal(ledger.refund('s1')?.payoutId, 7, 'the first payout stays');
  const finished = ledger.finishRefund('s1', 300, 'CODE-1', at(4));
  t.strictSame(finished, {
    sessionId: 's1', cents: 400, payoutId: 7, paidBackCents: 300, claimCents: 100, claimCode: 'CODE-1', state: 'claim-due', reason: 'print failed', createdAt: at(2).toISOString(), closedAt: at(4).toISOString(), paidBy: null,
  });
  t.strictSame(ledger.finishRefund('s1', 400, 'CODE-2', at(5)), finished, 'finished once');

  // s2: open (not settled), 200 in coins, fully paid back: no claim, no code.
  ledger.open('s2', 500, at(6));
  ledger.recordCoin(coin('EU200A', 200, 4, at(6)), 30);
  t.equal(ledger.beginRefund('s2', 'camera', at(7)).cents, 200, 'an unsettled session refunds its whole credit');
  t.strictSame(ledger.finishRefund('s2', 200, 'UNUSED', at(8)), {
    sessionId: 's2', cents: 200, payoutId: null, paidBackCents: 200, claimCents: 0, claimCode: null, state: 'paid-back', reason: 'camera', createdAt: at(7).toISOString(), closedAt: at(8).toISOString(), paidBy: null,
  });
  // s3: paid by card only: nothing in cash to refund.
  ledger.open('s3', 300, at(9));
  ledger.approveCardVend(ledger.requestCardVend('s3', 300, 1, 'mdb', at(9)), 300, at(9));
  t.equal(ledger.beginRefund('s3', 'printer', at(10)).cents, 0);
  // s4: claim due too, created later.
  ledger.open('s4', 100, at(11));
  ledger.recordCoin(coin('EU100A', 100, 5, at(11)), 30);
  ledger.beginRefund('s4', 'printer', at(12));
  ledger.finishRefund('s4', 0, 'CODE-4', at(13));

  t.strictSame(ledger.claimsDue().map((r) => [r.sessionId, r.claimCents, r.claimCode]), [['s1', 100, 'CODE-1'], ['s4', 100, 'CODE-4']]);
  t.strictSame(ledger.unreportedClaims().map((r) => r.sessionId), ['s1', 's4']);
  ledger.markClaimReported('s1');
  t.strictSame(ledger.unreportedClaims().map((r) => r.sessionId), ['s4']);
  t.equal(ledger.markClaimPaid('NO-SUCH', at(14), 'console'), false);
  t.equal(ledger.markClaimPaid('CODE-4', at(14), 'console'), false, 'a claim is named by its session, not its code');
  t.equal(ledger.markClaimPaid('s4', at(14), 'console'), true);
  t.equal(ledger.markClaimPaid('s4', at(15), 'console'), false, 'paid once');
  t.strictSame(ledger.refund('s4')?.state, 'claim-paid');
  t.equal(ledger.refund('s4')?.closedAt, at(14).toISOString());
  t.equal(ledger.refund('s4')?.paidBy, 'console');
  t.strictSame(ledger.claimsDue().map((r) => r.sessionId), ['s1']);
  t.strictSame(ledger.unreportedClaims().map((r) => [r.sessionId, r.state]), [['s4', 'claim-paid']], 'a paid claim is still reported');
  t.equal(ledger.markClaimPaid('s1', at(16), 'fleet operator'), true);
  t.strictSame(ledger.unreportedClaims().map((r) => [r.sessionId, r.state]), [['s1', 'claim-paid'], ['s4', 'claim-paid']], 'a reported claim, once paid, is reported again (refund-paid)');
});

t.test('the schema is recorded under the owner "payment", versions 1 to 8: how an upgraded booth finds what its database already has', async (t) => {
  const { store } = fresh(t);
  t.strictSame(store.db.prepare("SELECT version FROM schema_migrations WHERE owner = 'payment' ORDER BY version").all(), [1, 2, 3, 4, 5, 6, 7, 8].map((version) => ({ version })));
  openLedger(store);
  t.equal((store.db.prepare("SELECT COUNT(*) AS n FROM schema_migrations WHERE owner = 'payment'").get() as { n: number }).n, 8, 'reopening applies nothing twice');
});

t.test('a payment keeps the product it is for (payment records name it)', async (t) => {
  const { ledger } = fresh(t);
  ledger.open('s1', 600, at(1), 'photo');
  t.equal(ledger.session('s1')?.product, 'photo');
  ledger.open('s1', 900, at(2), 'ephoto');
  t.equal(ledger.session('s1')?.product, 'photo', 'reopening changes nothing');
});
