// No money kept for a failed delivery: the desk pays the cash back with the hopper where
// there is one, owes the rest as a refund claim (code, counters), releases card approvals;
// idempotent across calls (a restart never pays twice).
import t from 'tap';
import { until } from '../hal/coin-acceptor-harness.ts';
import { paymentRig } from './helpers.ts';

t.test('no hopper: the whole cash becomes a refund claim with a code; counted as owed until paid', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  await r.desk.open('5e55-1001-aaaa', 600);
  await until('accepting', () => r.desk.state().accepting.length > 0);
  for (const c of ['EU200A', 'EU200A', 'EU200A']) r.sim.insertCoin(c);
  await until('paid', () => r.credits.length === 3);
  await r.desk.settle('5e55-1001-aaaa', 600);
  const refund = await r.desk.refund('5e55-1001-aaaa', 'printer: paper jam');
  t.match(refund, { paidBackCents: 0, claimCents: 600, releasedCardCents: 0 });
  t.match(refund.claimCode, /^[0-9ABCDEFGHJKMNPQRTUVWXYZ]{4}-[0-9ABCDEFGHJKMNPQRTUVWXYZ]{4}$/);
  t.same(r.desk.refundsOwed(), { count: 1, cents: 600 });
  t.same(await r.desk.refund('5e55-1001-aaaa', 'again'), refund, 'idempotent: the same claim');
  const claim = r.events.find((e) => e.type === 'refund.claim');
  t.ok(claim, 'an alarm event');
  t.notMatch(JSON.stringify(r.events), refund.claimCode ?? 'x', 'the claim code is in no event');
  t.same(r.desk.ledger.unreportedClaims().map((c) => c.claimCode), [refund.claimCode], 'waiting for its refund-due record');
  t.throws(() => r.desk.claimPaid(refund.claimCode ?? '', 'console'), /name the claim by its session id|no refund claim due/, 'the claim code is not how a claim is named (it stays out of audit trails)');
  t.throws(() => r.desk.claimPaid('5e55-9999', 'console'), /no refund claim due for session 5e55-9999/);
  t.throws(() => r.desk.claimPaid('5e55', 'console'), /at least its first 8/, 'too short a prefix');
  t.same(r.desk.refundsOwed(), { count: 1, cents: 600 }, 'still owed');
  r.desk.ledger.markClaimReported('5e55-1001-aaaa');
  t.same(r.desk.ledger.unreportedClaims(), [], 'its refund-due record sent');
  const paid = r.desk.claimPaid('5e55-100', 'console technician');
  t.match(paid, { sessionId: '5e55-1001-aaaa', state: 'claim-paid', claimCents: 600, paidBy: 'console technician' });
  t.same(r.desk.refundsOwed(), { count: 0, cents: 0 }, 'no longer owed');
  t.same(r.desk.ledger.unreportedClaims().map((c) => c.state), ['claim-paid'], 'to be reported again: paid');
  t.match(r.events.at(-1), { type: 'refund.claim-paid', sessionId: '5e55-1001-aaaa', cents: 600 });
  t.notMatch(JSON.stringify(r.events), refund.claimCode ?? 'x', 'still no claim code in any event');
  t.throws(() => r.desk.claimPaid('5e55-1001-aaaa', 'console'), /no refund claim due/, 'paid once only');
});

t.test('hopper: paid back in coins, once; what it cannot pay is owed', async (t) => {
  const r = await paymentRig(t, { cardReader: true, hopper: true });
  await r.desk.open('s2', 500);
  await until('accepting', () => r.desk.state().accepting.length > 0);
  for (const c of ['EU200A', 'EU200A', 'EU050A', 'EU050A']) r.sim.insertCoin(c);
  await until('paid', () => r.credits.length === 4);
  await r.desk.settle('s2', 500);
  const before = r.sim.status().hopper?.paid ?? 0;
  const refund = await r.desk.refund('s2', 'printer offline');
  t.match(refund, { paidBackCents: 500, claimCents: 0, claimCode: null });
  t.equal((r.sim.status().hopper?.paid ?? 0) - before, 5, 'five 1 EUR coins paid out');
  await r.desk.refund('s2', 'again');
  t.equal((r.sim.status().hopper?.paid ?? 0) - before, 5, 'never paid twice');
  // An empty hopper: the rest is a claim.
  await r.desk.open('s3', 300);
  await until('accepting', () => r.desk.state().accepting.length > 0);
  for (const c of ['EU200A', 'EU100A']) r.sim.insertCoin(c);
  await until('paid', () => r.credits.length === 6);
  await r.desk.settle('s3', 300);
  r.sim.setHopperLevel(1);
  const partial = await r.desk.refund('s3', 'printer offline');
  t.match(partial, { paidBackCents: 100, claimCents: 200 });
  t.ok(partial.claimCode);
});

t.test('card and coins: the card is released (not charged), only the cash is owed', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  await r.desk.open('s4', 800);
  await until('accepting', () => r.desk.state().accepting.length > 0 && r.cards.status().state === 'enabled');
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 1);
  r.cards.tap();
  await until('card', () => r.credits.length === 2);
  await r.desk.settle('s4', 800);
  const refund = await r.desk.refund('s4', 'printer: no ribbon');
  t.match(refund, { paidBackCents: 0, claimCents: 200, releasedCardCents: 600 });
  t.same(r.cards.status().charged, [], 'card not charged');
  t.equal(r.cards.status().voided.length, 1);
  t.same(r.store.db.prepare('SELECT state, reason FROM payment_card_vends').all(), [{ state: 'released', reason: 'delivery failed: printer: no ribbon' }], 'the release names the failed delivery');
});

t.test('hopper: a refund smaller than its coin journals no payout and asks it for nothing', async (t) => {
  const r = await paymentRig(t, { hopper: true });
  await r.desk.open('s5', 50);
  await until('accepting', () => r.desk.state().accepting.includes('EU050A'));
  r.sim.insertCoin('EU050A');
  await until('paid', () => r.credits.length === 1);
  await r.desk.settle('s5', 50);
  const before = r.sim.status().hopper?.paid ?? 0;
  const refund = await r.desk.refund('s5', 'printer offline');
  t.match(refund, { paidBackCents: 0, claimCents: 50 });
  t.ok(refund.claimCode, 'owed as a claim');
  t.equal(r.sim.status().hopper?.paid ?? 0, before, 'the hopper (1 EUR coins) paid nothing');
  t.same(r.store.db.prepare('SELECT coins FROM payment_payouts').all(), [], 'no payout of 0 coins journaled');
});
