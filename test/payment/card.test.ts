// Card payment through the desk: the real MDB cashless driver on the in-process reader
// simulator (byte for byte), beside the real ccTalk driver on its simulator. Journal before
// report, charged only after delivery, coins and card together, released when unserved,
// voided (never charged) after a restart.
import t, { type Test } from 'tap';
import type { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Store } from '../../src/store/db.ts';
import { until } from '../hal/coin-acceptor-harness.ts';
import { paymentRig } from './helpers.ts';

const vendStates = (store: Store) => store.db.prepare<[], { state: string; credited_cents: number }>('SELECT state, credited_cents FROM payment_card_vends ORDER BY id').all();

t.test('card only: enabled while due, approval journaled before it is reported, charged only after delivery', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  t.equal(r.cards.tap(), 'disabled', 'no payment open: the reader takes no card');
  await r.desk.open('s1', 800, { product: 'photo', item: 2 });
  await until('reader enabled', () => r.cards.status().state === 'enabled');
  t.match(r.desk.state().card, { available: true });
  let journaledFirst = true;
  r.desk.onCredit((c) => {
    if (r.desk.ledger.session(c.sessionId)?.cardCents !== 800) journaledFirst = false;
  });
  t.equal(r.cards.tap({ label: 'visa' }), 'session');
  await until('credited', () => r.credits.length === 1);
  t.ok(journaledFirst, 'the ledger held the approval before the flow heard of it');
  t.match(r.credits[0], { sessionId: 's1', cents: 800 });
  t.match(r.credits[0]?.coinId, /^card-\d+$/);
  t.equal(r.desk.ledger.session('s1')?.creditCents, 800);
  await until('coins and card off once paid', () => r.desk.state().inhibitedBecause === 'paid' && !r.cards.status().enabled);
  t.equal(r.cards.tap(), 'busy', 'a second tap: the session is still open, nothing more asked');
  t.same(r.cards.status().charged, [], 'approved is not charged');
  await r.desk.settle('s1', 800);
  t.same(r.cards.status().charged, [], 'settled (printing starts) is not charged either');
  await r.desk.delivered('s1');
  t.same(r.cards.status().charged, [{ item: 2, cents: 800, label: 'visa' }], 'VEND SUCCESS after the delivery');
  await r.desk.delivered('s1');
  t.equal(r.cards.status().charged.length, 1, 'delivered is idempotent');
  t.same(vendStates(r.store), [{ state: 'charged', credited_cents: 800 }]);
  t.ok(r.events.some((e) => e.type === 'card.charged'));
  t.equal(r.cards.status().commands['VEND REQUEST'], 1);
});

t.test('coins and card pay one session together', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  await r.desk.open('s2', 800);
  await until('accepting', () => r.desk.state().accepting.length > 0 && r.cards.status().state === 'enabled');
  r.sim.insertCoin('EU200A');
  r.sim.insertCoin('EU200A');
  await until('two coins', () => r.credits.length === 2);
  t.equal(r.cards.tap(), 'session');
  await until('card credited', () => r.credits.length === 3);
  t.equal(r.credits[2]?.cents, 400, 'the card was asked for what remained');
  const s = r.desk.ledger.session('s2');
  t.match(s, { coinCents: 400, cardCents: 400, creditCents: 800 });
  await r.desk.settle('s2', 800);
  await r.desk.delivered('s2');
  t.same(r.cards.status().charged.map((c) => c.cents), [400]);
});

t.test('a refused card leaves the payment open for another card or coins', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  await r.desk.open('s3', 600);
  await until('reader enabled', () => r.cards.status().state === 'enabled');
  r.cards.tap({ decision: 'deny' });
  await until('denied', () => r.events.some((e) => e.type === 'card.denied'));
  await until('session ended', () => r.cards.status().state === 'enabled');
  t.equal(r.credits.length, 0);
  t.match(r.desk.state().card, { available: true, activity: 'denied' });
  await until('coins taken again after the authorisation', () => r.sim.status().acceptor.masterEnabled);
  for (const c of ['EU200A', 'EU200A', 'EU200A']) r.sim.insertCoin(c);
  await until('paid by coins', () => r.desk.ledger.session('s3')?.creditCents === 600);
  t.same(vendStates(r.store), [{ state: 'denied', credited_cents: 0 }]);
});

t.test('coins are refused while a card is being authorised (never more than due)', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  await r.desk.open('s4', 500);
  await until('reader enabled', () => r.cards.status().state === 'enabled');
  r.cards.tap({ delayMs: 3000 }); // long enough to observe under load
  await until('coins inhibited', () => r.desk.state().inhibitedBecause === 'a card is being authorised' && !r.sim.status().acceptor.masterEnabled);
  t.equal(r.sim.insertCoin('EU200A'), 'rejected');
  await until('credited', () => r.credits.length === 1);
  t.equal(r.desk.ledger.session('s4')?.creditCents, 500);
});

t.test('a session that ends unserved releases the approval (VEND FAILURE); only coins become stored credit', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  await r.desk.open('s5', 800);
  await until('accepting', () => r.desk.state().accepting.length > 0 && r.cards.status().state === 'enabled');
  r.sim.insertCoin('EU100A');
  await until('coin', () => r.credits.length === 1);
  r.cards.tap({ approveCents: 300 }); // approves less than asked: the session stays unpaid
  await until('card', () => r.credits.length === 2);
  t.equal(r.desk.ledger.session('s5')?.creditCents, 400);
  await r.desk.keepAsCredit('s5');
  t.same(r.cards.status().charged, []);
  t.equal(r.cards.status().voided.length, 1, 'the approval was released');
  t.same(vendStates(r.store), [{ state: 'released', credited_cents: 300 }]);
  t.same(r.store.db.prepare('SELECT reason FROM payment_card_vends').all(), [{ reason: 'the session ended unserved' }]);
  t.equal(r.desk.storedCreditCents(), 100, 'the coin is stored credit; the card is not money the booth holds');
});

/** A session paid 8 EUR by card, then the booth goes down before the delivery: the booth started again. */
async function restartedAfterApproval(t: Test, sessionId: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-card-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = await paymentRig(t, { cardReader: true, dir });
  await first.desk.open(sessionId, 800);
  await until('reader enabled', () => first.cards.status().state === 'enabled');
  first.cards.tap();
  await until('credited', () => first.credits.length === 1);
  await first.stop();
  return paymentRig(t, { cardReader: true, dir });
}

t.test('an approval interrupted by a restart is voided, never charged, and raises an alarm', async (t) => {
  const second = await restartedAfterApproval(t, 's6');
  t.ok(second.events.some((e) => e.type === 'card.voided' && e.sessionId === 's6'), 'alarm at start');
  t.same(vendStates(second.store), [{ state: 'voided', credited_cents: 800 }]);
  t.equal(second.desk.ledger.session('s6')?.creditCents, 800, 'the session stays paid: it is served');
  await second.desk.delivered('s6');
  t.same(second.cards.status().charged, [], 'nothing charged on the new reader session');
});

t.test('a voided approval whose delivery then fails counts as released card money in the refund', async (t) => {
  const second = await restartedAfterApproval(t, 's7');
  t.same(vendStates(second.store), [{ state: 'voided', credited_cents: 800 }]);
  const refund = await second.desk.refund('s7', 'printer offline');
  t.match(refund, { paidBackCents: 0, claimCents: 0, claimCode: null, releasedCardCents: 800 }, 'the card money was never taken: nothing owed, 8 EUR released');
});

t.test('the reader down does not stop coins; a booth that cannot deliver takes no card', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  r.health.ok = false;
  r.health.reason = 'printer out of paper';
  await r.desk.open('s7', 400);
  await r.desk.refresh();
  t.equal(r.cards.status().enabled, false);
  r.health.ok = true;
  await r.desk.refresh();
  await until('reader enabled', () => r.cards.status().enabled);
  r.cards.setSilent(true);
  await until('reader fault', () => r.reader.status().health === 'fault');
  await until('card off', () => r.desk.state().card?.available === false);
  t.ok(r.desk.state().accepting.length > 0, 'coins still taken');
});

t.test('a card presented when nothing can be sold (before the desk\'s next check) starts no vend', async (t) => {
  const r = await paymentRig(t, { cardReader: true, healthCheckMs: 3_600_000 });
  const sessionsEnded = () => r.cards.status().commands['SESSION COMPLETE'] ?? 0;
  // The booth can no longer deliver; the reader is still enabled (the next check is an hour away).
  await r.desk.open('s8', 400);
  await until('reader enabled', () => r.cards.status().state === 'enabled');
  r.health.ok = false;
  r.health.reason = 'printer out of paper';
  t.equal(r.cards.tap(), 'session');
  await until('session ended without a vend', () => sessionsEnded() === 1);
  // The session was paid behind the desk's back (settled in the ledger): nothing is due.
  r.health.ok = true;
  await r.desk.open('s9', 400);
  await until('reader enabled again', () => r.cards.status().state === 'enabled' && r.cards.status().enabled);
  r.desk.ledger.settle('s9', 0, new Date());
  t.equal(r.cards.tap(), 'session');
  await until('second session ended without a vend', () => sessionsEnded() === 2);
  t.same(vendStates(r.store), [], 'no VEND REQUEST journaled');
  t.same(r.credits, []);
  t.same(r.cards.status().charged, []);
});

t.test('the reader\'s recovery re-enables it at once, between the desk\'s checks', async (t) => {
  const r = await paymentRig(t, { cardReader: true, healthCheckMs: 3_600_000 });
  await r.desk.open('s10', 400);
  await until('reader enabled', () => r.cards.status().enabled);
  r.cards.setSilent(true);
  await until('reader fault', () => r.reader.status().health === 'fault');
  r.cards.resetReader(); // it comes back as after a power glitch: disabled until told
  r.cards.setSilent(false);
  await until('reader enabled again', () => r.reader.status().health === 'ok' && r.cards.status().enabled);
  t.equal(r.desk.state().card?.available, true);
});

t.test('the card reader tells the desk: a card being authorised inhibits the coins at once (no periodic check to do it)', async (t) => {
  const r = await paymentRig(t, { cardReader: true, healthCheckMs: 3_600_000 });
  await r.desk.open('s8', 800);
  await until('coins and card accepted', () => r.sim.status().acceptor.masterEnabled && r.cards.status().state === 'enabled');
  r.cards.tap({ delayMs: 3000 });
  await until('coins inhibited while the card is authorised', () => r.desk.state().inhibitedBecause === 'a card is being authorised' && !r.sim.status().acceptor.masterEnabled);
  await until('card credited', () => r.credits.length === 1);
});

t.test('the desk listens to the card reader\'s faults while it runs, and no more once stopped', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  const listeners = () => ['fault', 'recovered'].map((event) => (r.reader as unknown as EventEmitter).listenerCount(event));
  t.strictSame(listeners(), [1, 1], 'the desk listens to the reader');
  await r.desk.stop();
  t.strictSame(listeners(), [0, 0], 'and no more once stopped');
});

t.test('the reader takes no card once the payment is over', async (t) => {
  const r = await paymentRig(t, { cardReader: true });
  await r.desk.open('s9', 800);
  await until('reader enabled', () => r.cards.status().state === 'enabled');
  await r.desk.keepAsCredit('s9');
  await until('reader disabled', () => r.cards.status().state !== 'enabled');
  t.equal(r.cards.tap(), 'disabled', 'a card presented now is not read');
});
