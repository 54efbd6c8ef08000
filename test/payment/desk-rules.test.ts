// The payment desk's rules on exact values, over the real driver and the in-process simulator:
// why coins are refused (each reason, literally), the events an operator reads (type,
// severity, amount, message), change and stored credit to the cent, the technician's coin
// test, an interrupted payout at start, and the refund claim code's form. Complements
// desk.test.ts and refund.test.ts (docs/testing.md, mutation testing).
import t, { type Test } from 'tap';
import type { EventEmitter } from 'node:events';
import { newClaimCode, type PaymentEvent, type SessionCoinCredit } from '../../src/payment/desk.ts';
import { openLedger } from '../../src/payment/ledger.ts';
import { openStore } from '../../src/store/db.ts';
import { until } from '../hal/coin-acceptor-harness.ts';
import { paymentRig, type PaymentRigOptions } from './helpers.ts';

const T0 = Date.parse('2025-03-01T10:00:00.000Z');

/** The payment rig on a clock the test moves (`clock.now`), in memory unless given a store. */
async function rig(t: Test, options: Omit<PaymentRigOptions, 'now'> = {}) {
  const clock = { now: T0 };
  const store = options.store ?? openStore('', { file: ':memory:' });
  return { ...(await paymentRig(t, { healthCheckMs: 40, ...options, store, now: () => new Date(clock.now) })), clock };
}

/** The events without their time (which is the desk's clock, checked once). */
const plain = (events: PaymentEvent[]) => events.map(({ at: _at, ...rest }) => rest);

t.test('why no coin is taken, literally, and the state the screen shows', async (t) => {
  const r = await rig(t);
  t.strictSame(r.desk.state(), {
    sessionId: null, dueCents: 0, creditCents: 0, remainingCents: 0, accepting: [], inhibitedBecause: 'no payment open', noChange: true, storedCreditCents: 0, card: null, coinsLost: null,
  });
  r.health.ok = false;
  r.health.reason = 'printer out of paper';
  await r.desk.open('s1', 800);
  t.equal(r.desk.state().inhibitedBecause, 'the booth cannot deliver: printer out of paper');
  t.strictSame(r.desk.state().accepting, []);
  r.health.ok = true;
  await r.desk.refresh();
  t.strictSame(r.desk.state(), {
    sessionId: 's1', dueCents: 800, creditCents: 0, remainingCents: 800, accepting: ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'], inhibitedBecause: null, noChange: true, storedCreditCents: 0, card: null, coinsLost: null,
  });
  for (let i = 0; i < 4; i++) r.sim.insertCoin('EU200A');
  // The four coins are in one poll's reply: journaled together, announced after.
  await until('paid and inhibited', () => r.credits.length === 4 && r.desk.state().inhibitedBecause === 'paid' && r.desk.state().accepting.length === 0);
  t.equal(r.sim.status().acceptor.masterEnabled, false, 'paid: nothing more taken');
  t.equal(r.desk.state().remainingCents, 0);
  t.strictSame(plain(r.events.filter((e) => e.type === 'payment.paid')), [
    { type: 'payment.paid', severity: 'info', sessionId: 's1', cents: 800, message: 'session paid (800 of 800 cents)' },
  ], 'announced once');
  t.strictSame(plain(r.events.filter((e) => e.type === 'coin.credited')).at(-1), {
    type: 'coin.credited', severity: 'info', sessionId: 's1', cents: 200, message: 'EU200A credited', data: { coinId: 'coin-4', coin: 'EU200A', creditCents: 800, dueCents: 800 },
  });
  t.strictSame(r.credits.map((c) => [c.sessionId, c.coinId, c.cents]), [['s1', 'coin-1', 200], ['s1', 'coin-2', 200], ['s1', 'coin-3', 200], ['s1', 'coin-4', 200]]);
  t.equal(r.events[0]?.at, new Date(T0).toISOString(), 'events carry the desk clock');

  await r.desk.inhibit();
  t.equal(r.desk.state().inhibitedBecause, 'no payment open');
  r.sim.setSilent(true);
  await until('acceptor fault', () => r.acceptor.status().health !== 'ok');
  await r.desk.open('s2', 500);
  t.match(r.desk.state().inhibitedBecause, /^coin acceptor (fault|absent): coin acceptor not answering: /);
});

t.test('no coin fits: the table has only coins the booth does not take', async (t) => {
  const r = await rig(t, { coinTable: ['GB100A'] });
  await r.desk.open('s1', 300);
  t.equal(r.desk.state().inhibitedBecause, 'no coin in the acceptor table fits');
  t.strictSame(r.desk.state().accepting, []);
  await t.rejects(r.desk.beginTest(), /a customer payment is open \(session s1\): no coin test now/);
  await r.desk.inhibit();
  t.strictSame(await r.desk.beginTest(), { testId: 1, accepting: [], inhibitedBecause: 'no euro coin in the acceptor table' });
});

t.test('a coin with no payment open is stored credit, announced as such; applied to the next payment', async (t) => {
  const r = await rig(t);
  // The acceptor is inhibited outside a payment; a coin still arrives (it was enabled when it
  // went in, or the device let it through): it is nobody's yet.
  r.sim.acceptor.masterEnabled = true;
  r.sim.acceptor.inhibitMask = 0b11111;
  r.sim.insertCoin('EU100A');
  await until('stored', () => r.events.some((e) => e.type === 'credit.stored'));
  t.strictSame(plain(r.events), [
    { type: 'credit.stored', severity: 'warning', cents: 100, message: 'coin EU100A arrived with no payment open: kept as stored credit', data: { coinId: 'coin-1' } },
  ]);
  t.strictSame(r.credits, [], 'no session was told');
  t.equal(r.desk.storedCreditCents(), 100);
  t.strictSame(r.desk.storedCredit().map((c) => [c.origin, c.leftCents]), [['coin', 100]]);
  r.clock.now += 60_000;
  t.strictSame(await r.desk.open('s1', 300), { appliedCreditCents: 100 });
  t.strictSame(plain(r.events.slice(1)), [
    { type: 'credit.applied', severity: 'info', sessionId: 's1', cents: 100, message: '100 cents of stored credit applied', data: { uses: [{ creditId: 1, cents: 100 }] } },
  ]);
  t.strictSame(await r.desk.open('s1', 300), { appliedCreditCents: 100 }, 'opened once: not announced again');
  t.equal(r.events.length, 2);
  t.equal(await r.desk.sessionCreditCents('s1'), 100);
  t.equal(await r.desk.sessionCreditCents('nobody'), 0);
});

t.test('walk-away credit and its expiry, announced with amounts and origin', async (t) => {
  const r = await rig(t);
  await r.desk.open('s-empty', 300);
  await r.desk.keepAsCredit('s-empty');
  t.strictSame(r.events, [], 'nothing paid: nothing stored, nothing announced');
  await r.desk.open('s1', 800);
  r.sim.insertCoin('EU200A');
  r.sim.insertCoin('EU050A');
  await until('two coins', () => r.credits.length === 2);
  t.strictSame(await r.desk.keepAsCredit('s1'), { refundedCents: 0 });
  await r.desk.delivered('s1'); // no card reader: nothing to charge
  t.strictSame(plain(r.events.filter((e) => e.type === 'credit.stored')), [
    { type: 'credit.stored', severity: 'info', sessionId: 's1', cents: 250, message: '250 cents left by an unserved session, usable for 30 min' },
  ]);
  await r.desk.keepAsCredit('s1');
  t.equal(r.events.filter((e) => e.type === 'credit.stored').length, 1, 'kept once');
  await r.desk.open('s2', 100);
  await r.desk.keepAsCredit('s2');
  t.strictSame(plain(r.events.filter((e) => e.type === 'credit.stored')).at(-1), {
    type: 'credit.stored', severity: 'info', sessionId: 's2', cents: 100, message: '100 cents left by an unserved session, usable for 30 min',
  }, 'stored credit applied to a session left unserved is stored again');
  t.strictSame(r.desk.storedCredit().map((c) => [c.origin, c.leftCents]), [['walk-away', 150], ['walk-away', 100]], 's2 took 100 of the 250');
  r.clock.now += 30 * 60_000;
  await until('expired by the periodic check', () => r.events.some((e) => e.type === 'credit.expired'));
  t.strictSame(plain(r.events.filter((e) => e.type === 'credit.expired')), [
    { type: 'credit.expired', severity: 'info', cents: 150, message: `150 cents of stored credit expired unused (stored ${new Date(T0).toISOString()})`, data: { creditId: 1, origin: 'walk-away', fromSession: 's1' } },
    { type: 'credit.expired', severity: 'info', cents: 100, message: `100 cents of stored credit expired unused (stored ${new Date(T0).toISOString()})`, data: { creditId: 2, origin: 'walk-away', fromSession: 's2' } },
  ]);
  t.equal(r.desk.storedCreditCents(), 0);
});

t.test('settle: surplus without a hopper is stored credit; markSpent settles at the price; unknown sessions refused', async (t) => {
  const r = await rig(t);
  await r.desk.open('s1', 250);
  r.sim.insertCoin('EU200A');
  // 50 remain: only the coins up to 50 are taken (no change given).
  await until('the plan for 50 cents', () => r.credits.length === 1 && r.desk.state().accepting.join() === 'EU010A,EU020A,EU050A');
  t.equal(r.desk.state().noChange, true);
  r.sim.insertCoin('EU050A');
  await until('paid', () => r.credits.length === 2);
  await r.desk.settle('s1', 200);
  t.strictSame(plain(r.events.filter((e) => e.type === 'credit.stored')), [
    { type: 'credit.stored', severity: 'info', sessionId: 's1', cents: 50, message: '50 cents overpaid kept as stored credit for 30 min' },
  ]);
  t.strictSame(r.desk.storedCredit().map((c) => [c.origin, c.sessionId, c.leftCents]), [['surplus', 's1', 50]]);
  await r.desk.settle('s1', 200);
  t.equal(r.desk.storedCredit().length, 1, 'settled once');
  await r.desk.open('s1', 250); // opened again once settled: not the session being paid
  t.equal(r.desk.state().sessionId, null);
  await t.rejects(r.desk.markSpent('nobody'), /no payment for session nobody/);
  await r.desk.open('s2', 50);
  t.equal(r.desk.ledger.session('s2')?.creditCents, 50, 'the stored 50 paid s2');
  await r.desk.markSpent('s2');
  t.strictSame(r.desk.ledger.session('s2')?.spentCents, 50);
  t.equal(r.desk.storedCreditCents(), 0);
});

t.test('with a hopper: change paid in its coins; what it cannot pay is unpaid change, stored', async (t) => {
  const r = await rig(t, { hopper: true });
  t.strictSame(r.desk.state().noChange, true, 'nothing open yet: computed at the next change');
  await r.desk.open('s1', 100);
  t.equal(r.desk.state().noChange, false);
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 1);
  await r.desk.settle('s1', 100);
  t.strictSame(plain(r.events.filter((e) => e.type.startsWith('change'))), [
    { type: 'change.paid', severity: 'info', sessionId: 's1', cents: 100, message: '1 x EU100A paid as change' },
  ]);
  t.equal(r.sim.status().hopper?.paid, 1);
  t.strictSame(r.desk.ledger.payout(1), { state: 'done', paidCoins: 1, coinCents: 100 });

  await r.desk.open('s2', 100);
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 2);
  r.sim.setHopperLevel(0); // emptied meanwhile: the change cannot be paid
  await r.desk.settle('s2', 100);
  t.strictSame(plain(r.events.filter((e) => e.sessionId === 's2' && e.type.startsWith('change'))), [
    { type: 'change.unpaid', severity: 'warning', sessionId: 's2', cents: 100, message: '100 cents overpaid kept as stored credit for 30 min' },
  ]);
  t.strictSame(r.desk.ledger.payout(2), { state: 'done', paidCoins: 0, coinCents: 100 });
  t.strictSame(r.desk.storedCredit().map((c) => [c.origin, c.leftCents]), [['unpaid-change', 100]]);
  // The hopper that could not pay is degraded: no change promised, no coin above what is due.
  t.equal(r.acceptor.hopper?.status().health, 'degraded');
  await r.desk.open('s3', 150); // the 100 of unpaid change applies: 50 remain
  t.equal(r.desk.state().noChange, true);
  t.strictSame(r.desk.state().accepting, ['EU010A', 'EU020A', 'EU050A']);
  r.sim.insertCoin('EU050A');
  await until('paid', () => r.credits.length === 3);
  r.sim.setHopperLevel(5); // refilled, but not yet seen paying again: still degraded
  const paid = r.sim.status().hopper?.paid;
  t.match(await r.desk.refund('s3', 'printer offline'), { paidBackCents: 0, claimCents: 150 }, 'a degraded hopper pays no refund');
  t.equal(r.sim.status().hopper?.paid, paid);
});

t.test('the technician\'s coin test: every euro coin, test coins never credit, ended by a payment', async (t) => {
  const r = await rig(t);
  t.equal(r.desk.currentTest(), undefined);
  await r.desk.endTest(1, 'none running'); // nothing to end
  t.strictSame(r.testsEnded, []);
  const begun = await r.desk.beginTest();
  t.strictSame(begun, { testId: 1, accepting: ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'], inhibitedBecause: null });
  t.equal(r.desk.currentTest(), 1);
  await t.rejects(r.desk.beginTest(), /a coin test is already running/);
  r.sim.insertCoin('EU050A');
  await until('test coin', () => r.testCoins.length === 1);
  t.match(r.testCoins, [{ testId: 1, coinId: 'test-coin-1', coin: 'EU050A', cents: 50, channel: 3 }]);
  t.strictSame(r.credits, []);
  t.strictSame(r.events, [], 'no sale, no credit');
  t.equal(r.desk.storedCreditCents(), 0);
  t.strictSame(r.desk.ledger.testCoinsInCashbox(), { count: 1, cents: 50 });
  await r.desk.endTest(99, 'not this one');
  t.equal(r.desk.currentTest(), 1);
  t.equal(r.desk.currentTest(), 1, 'another id ends nothing');
  await r.desk.open('s1', 300);
  t.strictSame(r.testsEnded, [{ testId: 1, reason: 'a customer payment opened' }]);
  t.equal(r.desk.currentTest(), undefined);
  r.sim.insertCoin('EU100A');
  await until('a customer coin', () => r.credits.length === 1);
  t.strictSame(r.credits[0], { sessionId: 's1', coinId: 'coin-1', cents: 100 });
  await r.desk.inhibit();
  await r.desk.beginTest();
  await r.desk.endTest(2, 'done');
  t.strictSame(r.testsEnded.at(-1), { testId: 2, reason: 'done' });
  await until('inhibited after the test', () => r.sim.status().acceptor.masterEnabled === false);
  t.equal(r.desk.state().inhibitedBecause, 'no payment open');
});

t.test('at start: payouts a restart interrupted are alarmed, never repeated; tests left open are closed', async (t) => {
  const store = openStore('', { file: ':memory:' });
  const ledger = openLedger(store);
  ledger.open('s9', 100, new Date(T0));
  const payout = ledger.beginPayout('s9', 'EU100A', 2, 100, new Date(T0));
  ledger.beginTest(new Date(T0));
  const r = await rig(t, { store });
  t.strictSame(plain(r.events.filter((e) => e.type === 'payment.alarm')), [
    { type: 'payment.alarm', severity: 'error', sessionId: 's9', message: 'a payout of 2 coins was interrupted by a restart: not repeated, check the hopper', data: { payoutId: payout } },
  ]);
  t.strictSame(r.desk.ledger.payout(payout), { state: 'uncertain', paidCoins: null, coinCents: 100 });
  t.equal(r.desk.currentTest(), undefined);
  t.strictSame(store.db.prepare('SELECT end_reason FROM payment_tests').all(), [{ end_reason: 'the booth restarted during the test' }]);
  r.sim.errorEvent(1); // one event, so that the reset (counter back to 0) shows
  await until('the event seen', () => r.acceptor.status().readings?.counter === 1);
  r.sim.resetAcceptor();
  await until('reset alarm', () => r.events.some((e) => e.data?.kind === 'reset'));
  t.match(plain(r.events).at(-1), { type: 'payment.alarm', severity: 'warning', message: /^coin acceptor reset/, data: { kind: 'reset' } });
});

t.test('refund claim codes: XXXX-XXXX from the code alphabet (no O, I, L, S), random', async (t) => {
  const codes = Array.from({ length: 200 }, () => newClaimCode());
  for (const code of codes) t.match(code, /^[0-9ABCDEFGHJKMNPQRTUVWXYZ]{4}-[0-9ABCDEFGHJKMNPQRTUVWXYZ]{4}$/);
  t.equal(new Set(codes).size, 200, 'no repeats in 200 (40 random bits)');
  const seen = new Set(codes.join('').replace(/-/g, ''));
  t.ok(seen.has('0') && seen.has('Z'), 'both ends of the alphabet drawn');
  t.equal(seen.size, 32, 'every one of the 32 symbols drawn in 1600 draws');
});

t.test('a refund a restart interrupted: what its payout journal says was paid, never paid again', async (t) => {
  const store = openStore('', { file: ':memory:' });
  const ledger = openLedger(store);
  const at = new Date(T0);
  for (const [session, serialCounter] of [['s6', 3], ['s7', 1], ['s8', 2]] as const) {
    ledger.open(session, 500, at);
    ledger.recordCoin({ coin: 'EU500A', cents: 500, channel: 7, counter: serialCounter, serial: '0A0B0C', at: at.toISOString() }, 30);
    ledger.settle(session, 500, at);
    t.match(ledger.beginRefund(session, 'printer offline', at), { state: 'paying', cents: 500 });
  }
  // s7: the hopper paid 2 of 5 coins and that was journaled, then the booth went down;
  // s8: the booth went down during the payout (uncertain, alarmed at start).
  // s6: the whole payout was done and journaled; the refund itself was not closed.
  const whole = ledger.beginPayout('s6', 'EU100A', 5, 100, at);
  ledger.setRefundPayout('s6', whole);
  ledger.endPayout(whole, 5);
  const done = ledger.beginPayout('s7', 'EU100A', 5, 100, at);
  ledger.setRefundPayout('s7', done);
  ledger.endPayout(done, 2);
  const cut = ledger.beginPayout('s8', 'EU100A', 5, 100, at);
  ledger.setRefundPayout('s8', cut);
  const r = await rig(t, { store, hopper: true });
  t.strictSame(await r.desk.refund('s6', 'printer offline'), { paidBackCents: 500, claimCents: 0, claimCode: null, releasedCardCents: 0 });
  const s7 = await r.desk.refund('s7', 'printer offline');
  t.match(s7, { paidBackCents: 200, claimCents: 300, releasedCardCents: 0, claimCode: /^[0-9A-Z]{4}-[0-9A-Z]{4}$/ });
  const s8 = await r.desk.refund('s8', 'printer offline');
  t.match(s8, { paidBackCents: 0, claimCents: 500, releasedCardCents: 0 });
  t.equal(r.sim.status().hopper?.paid, 0, 'no coin paid out again');
  t.strictSame(await r.desk.refund('s7', 'again'), s7, 'a closed refund: the same answer');
  t.strictSame(plain(r.events.filter((e) => e.type.startsWith('refund'))), [
    { type: 'refund.paid', severity: 'warning', sessionId: 's6', cents: 500, message: '500 cents paid back by the hopper (delivery failed: printer offline)' },
    { type: 'refund.paid', severity: 'warning', sessionId: 's7', cents: 200, message: '200 cents paid back by the hopper (delivery failed: printer offline)' },
    { type: 'refund.claim', severity: 'error', sessionId: 's7', cents: 300, message: '300 cents owed to a customer (delivery failed: printer offline): refund claim sent to the operator' },
    { type: 'refund.claim', severity: 'error', sessionId: 's8', cents: 500, message: '500 cents owed to a customer (delivery failed: printer offline): refund claim sent to the operator' },
  ]);
});

t.test('an acceptor that is not running: the coin test and a payment say so, with or without a detail', async (t) => {
  const r = await rig(t);
  r.sim.setSilent(true);
  await until('acceptor fault', () => r.acceptor.status().health === 'fault');
  const detail = r.acceptor.status().detail;
  t.match(detail, /^coin acceptor not answering: /);
  t.strictSame(await r.desk.beginTest(), { testId: 1, accepting: [], inhibitedBecause: `coin acceptor fault: ${detail}` });
  await r.desk.endTest(1, 'done');
  await r.acceptor.stop(); // stopped: no detail
  t.strictSame(await r.desk.beginTest(), { testId: 2, accepting: [], inhibitedBecause: 'coin acceptor stopped' });
  await r.desk.endTest(2, 'done');
  await r.desk.open('s1', 300);
  t.equal(r.desk.state().inhibitedBecause, 'coin acceptor stopped');
});

t.test('two claims due under one prefix: the operator must give more of the session id', async (t) => {
  const store = openStore('', { file: ':memory:' });
  const ledger = openLedger(store);
  const at = new Date(T0);
  for (const [session, counter] of [['abcdef01-0001', 1], ['abcdef01-0002', 2]] as const) {
    ledger.open(session, 200, at);
    ledger.recordCoin({ coin: 'EU200A', cents: 200, channel: 5, counter, serial: '0A0B0C', at: at.toISOString() }, 30);
    ledger.settle(session, 200, at);
    ledger.beginRefund(session, 'printer offline', at);
    ledger.finishRefund(session, 0, `ABCD-EFG${counter}`, at);
  }
  const r = await rig(t, { store });
  t.throws(() => r.desk.claimPaid('abcdef01', 'console'), { message: '2 claims due for sessions starting abcdef01: give more of the session id' });
  for (const bad of ['zabcdef01', 'abcdef01-0002 ', 'abcdef01-000%']) {
    t.throws(() => r.desk.claimPaid(bad, 'console'), { message: 'name the claim by its session id (at least its first 8 characters, as `refunds` lists it)' }, JSON.stringify(bad));
  }
  t.match(r.desk.claimPaid('abcdef01-0002', 'console'), { sessionId: 'abcdef01-0002', state: 'claim-paid', claimCents: 200, paidBy: 'console' });
  t.strictSame(plain(r.events).at(-1), { type: 'refund.claim-paid', severity: 'info', sessionId: 'abcdef01-0002', cents: 200, message: 'refund claim of 200 cents paid back by the operator (console)' });
  t.strictSame(r.desk.refundsOwed(), { count: 1, cents: 200 });
});

t.test('the acceptor\'s fault and recovery change what is accepted at once, between health checks', async (t) => {
  const r = await rig(t, { healthCheckMs: 3_600_000 });
  await r.desk.open('s1', 300);
  t.strictSame(r.desk.state().accepting, ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']);
  r.sim.setSilent(true);
  await until('inhibited on the fault', () => /^coin acceptor fault: /.test(r.desk.state().inhibitedBecause ?? ''));
  r.sim.setSilent(false);
  await until('accepting on recovery', () => r.desk.state().inhibitedBecause === null && r.sim.status().acceptor.masterEnabled);
  t.strictSame(r.desk.state().accepting, ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']);
});

t.test('the health is re-checked every second by default', async (t) => {
  const periods: (number | undefined)[] = [];
  const original = globalThis.setInterval;
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    periods.push(ms);
    return original(fn, ms);
  }) as typeof setInterval;
  t.teardown(() => {
    globalThis.setInterval = original;
  });
  await rig(t, { healthCheckMs: 'default' });
  globalThis.setInterval = original;
  t.ok(periods.includes(1000), `the desk's period among ${periods.join(', ')}`);
});

t.test('stopping the desk: a coin test running is ended with that reason; the acceptor\'s listeners removed', async (t) => {
  const r = await rig(t);
  const listeners = () => ['fault', 'recovered', 'alarm'].map((event) => (r.acceptor as unknown as EventEmitter).listenerCount(event));
  t.strictSame(listeners(), [1, 1, 1], 'the desk listens to the acceptor');
  const { testId } = await r.desk.beginTest();
  await r.desk.stop();
  t.strictSame(listeners(), [0, 0, 0], 'and no more once stopped');
  t.strictSame(r.testsEnded, [{ testId, reason: 'the booth stopped' }]);
  t.equal(r.desk.currentTest(), undefined);
  t.strictSame(r.store.db.prepare('SELECT end_reason FROM payment_tests').all(), [{ end_reason: 'the booth stopped' }]);
});

t.test('settling, refunding or keeping the session being paid inhibits the acceptor at once; another session leaves it accepting', async (t) => {
  const r = await rig(t, { healthCheckMs: 3_600_000 }); // no periodic check to do it instead
  const enabled = () => r.sim.status().acceptor.masterEnabled;
  await r.desk.open('s0', 100);
  await r.desk.open('s1', 300); // s1 is now the one being paid; s0 is still open
  t.equal(enabled(), true);
  await r.desk.keepAsCredit('s0');
  t.equal(enabled(), true, 'another session ended: s1 still accepting');
  t.equal(r.desk.state().sessionId, 's1');
  r.sim.insertCoin('EU100A');
  await until('coin', () => r.credits.length === 1);
  await r.desk.settle('s1', 100);
  t.equal(enabled(), false, 'settled: inhibited');
  t.equal(r.desk.state().inhibitedBecause, 'no payment open');
  await r.desk.open('s2', 200);
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 2);
  t.equal(enabled(), false, 'paid');
  await r.desk.open('s3', 200);
  t.equal(enabled(), true);
  // The delivery of s2 failed while s3 is being paid; s2 was never settled: settled by the refund.
  t.match(await r.desk.refund('s2', 'printer jam'), { paidBackCents: 0, claimCents: 200, releasedCardCents: 0 });
  t.equal(r.desk.ledger.session('s2')?.state, 'settled');
  t.equal(enabled(), true, 'another session refunded: s3 still accepting');
  await r.desk.keepAsCredit('s3');
  t.equal(enabled(), false, 'kept: inhibited');
  await r.desk.open('s4', 200);
  t.equal(enabled(), true);
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 3);
  t.equal(r.desk.state().sessionId, 's4', 'paid, still the session shown');
  await r.desk.refund('s4', 'camera fault');
  t.equal(r.desk.state().sessionId, null, 'refunded: no session shown');
  t.equal(r.desk.state().inhibitedBecause, 'no payment open');
  await t.rejects(r.desk.refund('nobody', 'x'), { message: 'no payment for session nobody' });
});

t.test('a credit listener can unsubscribe; a device reset while the booth was down is reported from the ledger\'s counter', async (t) => {
  const store = openStore('', { file: ':memory:' });
  openLedger(store).markCounter('0A0B0C', 250, new Date(T0)); // where the booth stopped counting
  const r = await rig(t, { store });
  // The simulated acceptor starts at 0: the device was reset meanwhile (coins may be lost).
  await until('reset alarm', () => r.events.some((e) => e.data?.kind === 'reset'));
  const late: SessionCoinCredit[] = [];
  const off = r.desk.onCredit((c) => late.push(c));
  off();
  await r.desk.open('s1', 100);
  await until('accepting', () => r.sim.status().acceptor.masterEnabled);
  r.sim.insertCoin('EU100A');
  await until('credited', () => r.credits.length === 1);
  t.strictSame(late, [], 'the unsubscribed listener heard nothing');
  t.strictSame(r.desk.cashbox(), [{ coin: 'EU100A', count: 1, cents: 100 }]);
  t.strictSame(r.desk.emptyCashbox(), { totalCents: 100, counts: [{ coin: 'EU100A', count: 1, cents: 100 }] });
  t.strictSame(r.desk.cashbox(), [], 'emptied');
  t.equal(r.desk.ledger.lastEmptiedAt(), new Date(T0).toISOString(), 'on the desk clock');
});
