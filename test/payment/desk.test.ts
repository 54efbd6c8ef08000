// The payment desk over the real driver and the in-process simulator (byte for byte through
// SimBinding): journal before report, inhibits outside payment and when the booth cannot
// deliver, no-change rule, stored credit, hopper change, idempotent settle.
import t from 'tap';
import { until } from '../hal/coin-acceptor-harness.ts';
import { paymentRig } from './helpers.ts';

t.test('coins are journaled before they are reported, and only taken while due', async (t) => {
  const r = await paymentRig(t);
  t.equal(r.sim.insertCoin('EU200A'), 'rejected', 'no payment open: inhibited');
  await r.desk.open('s1', 800);
  t.same(r.desk.state().accepting, ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'], 'every euro coin up to the price, never the foreign one');
  t.equal(r.desk.state().noChange, true);
  let journaledFirst = true;
  r.desk.onCredit((c) => {
    if (r.desk.ledger.session(c.sessionId)?.coinCents === 0) journaledFirst = false;
  });
  for (const coin of ['EU200A', 'EU200A', 'EU200A']) {
    r.sim.insertCoin(coin);
    await until('credit', () => r.credits.length === r.sim.status().acceptor.accepted.EU200A);
  }
  t.ok(journaledFirst, 'the ledger had the coin before the listener heard of it');
  t.equal(await r.desk.sessionCreditCents('s1'), 600);
  await until('no-change rule applied', () => !r.desk.state().accepting.includes('EU200A') || r.desk.state().remainingCents >= 200);
  t.equal(r.desk.state().remainingCents, 200);
  r.sim.insertCoin('EU100A');
  await until('1 EUR', () => r.credits.length === 4);
  await until('no 2 EUR while 1 EUR remains', () => r.desk.state().accepting.join() === 'EU010A,EU020A,EU050A,EU100A');
  t.equal(r.sim.insertCoin('EU200A'), 'rejected', 'a coin larger than the remainder is refused (no change given)');
  r.sim.insertCoin('EU100A');
  await until('paid', () => r.events.some((e) => e.type === 'payment.paid'));
  await until('inhibited once paid', () => r.sim.status().acceptor.masterEnabled === false);
  await r.desk.settle('s1', 800);
  await r.desk.settle('s1', 800);
  t.equal(r.desk.ledger.session('s1')?.state, 'settled', 'settle is idempotent');
  t.same(r.desk.cashbox(), [
    { coin: 'EU100A', count: 2, cents: 200 },
    { coin: 'EU200A', count: 3, cents: 600 },
  ]);
});

t.test('the acceptor is inhibited while the booth cannot deliver', async (t) => {
  const r = await paymentRig(t);
  r.health.ok = false;
  r.health.reason = 'printer out of paper';
  await r.desk.open('s1', 800);
  t.same(r.desk.state().accepting, []);
  t.match(r.desk.state().inhibitedBecause, /printer out of paper/);
  t.equal(r.sim.insertCoin('EU100A'), 'rejected');
  r.health.ok = true;
  await until('enabled when the booth can deliver again', () => r.sim.status().acceptor.masterEnabled);
  r.health.ok = false;
  await until('inhibited again by the periodic check', () => !r.sim.status().acceptor.masterEnabled);
});

t.test('walk-away credit is stored, used by the next session, and expires', async (t) => {
  let clock = Date.parse('2025-03-01T10:00:00Z');
  const r = await paymentRig(t, { now: () => new Date(clock) });
  await r.desk.open('s1', 800);
  r.sim.insertCoin('EU200A');
  await until('credit', () => r.credits.length === 1);
  t.same(await r.desk.keepAsCredit('s1'), { refundedCents: 0 });
  t.same(await r.desk.keepAsCredit('s1'), { refundedCents: 0 }, 'idempotent');
  t.equal(r.desk.storedCreditCents(), 200);
  t.match(r.events, [{ type: 'coin.credited' }, { type: 'credit.stored', cents: 200 }]);
  t.equal(r.sim.status().acceptor.masterEnabled, false);
  clock += 10 * 60_000;
  t.same(await r.desk.open('s2', 800), { appliedCreditCents: 200 });
  t.equal(await r.desk.sessionCreditCents('s2'), 200);
  t.equal(r.desk.storedCreditCents(), 0);
  await r.desk.keepAsCredit('s2');
  clock += 31 * 60_000;
  t.same(await r.desk.open('s3', 800), { appliedCreditCents: 0 }, 'expired after storedCreditMinutes');
  t.ok(r.events.some((e) => e.type === 'credit.expired' && e.cents === 200));
});

t.test('with a hopper, overpayment is paid back as change', async (t) => {
  const r = await paymentRig(t, { hopper: true });
  await r.desk.open('s1', 150);
  t.equal(r.desk.state().noChange, false);
  t.same(r.desk.state().accepting, ['EU010A', 'EU020A', 'EU050A', 'EU100A'], '2 EUR would leave 0.50 the 1 EUR hopper cannot pay');
  r.sim.insertCoin('EU100A');
  await until('1', () => r.credits.length === 1);
  await until('plan updated', () => r.desk.state().remainingCents === 50 && !r.desk.state().accepting.includes('EU100A'));
  t.equal(r.sim.insertCoin('EU100A'), 'rejected', '0.50 due: a 1 EUR coin would leave 0.50 the hopper cannot pay back');
  r.sim.insertCoin('EU050A');
  await until('2', () => r.credits.length === 2);
  await r.desk.markSpent('s1');
  t.equal(r.sim.status().hopper?.paid, 0, 'nothing to give back');
  await r.desk.open('s2', 300);
  r.sim.insertCoin('EU200A');
  r.sim.insertCoin('EU200A');
  await until('two coins', () => r.credits.length === 4);
  t.equal(await r.desk.sessionCreditCents('s2'), 400);
  await r.desk.settle('s2', 300);
  t.equal(r.sim.status().hopper?.paid, 1, '1 EUR change paid by the hopper');
  t.ok(r.events.some((e) => e.type === 'change.paid' && e.cents === 100));
});

t.test('the counter the driver counts from is journaled: at the first connection, and 0 after a device reset', async (t) => {
  const r = await paymentRig(t);
  t.equal(r.desk.ledger.lastCounter('0A0B0C'), 0, 'first connection: the device counter is the starting point, before any coin');
  await r.desk.open('s1', 800);
  r.sim.insertCoin('EU100A');
  r.sim.insertCoin('EU100A');
  await until('two coins', () => r.credits.length === 2);
  t.equal(r.desk.ledger.lastCounter('0A0B0C'), 2);
  r.sim.resetAcceptor();
  await until('reset seen', () => r.events.some((e) => e.type === 'payment.alarm' && e.data?.kind === 'reset'));
  t.equal(r.desk.ledger.lastCounter('0A0B0C'), 0, 'after a reset a restart counts from 0 (no false "missed events")');
  await until('enabled again', () => r.sim.status().acceptor.masterEnabled);
  r.sim.insertCoin('EU050A');
  await until('coin after reset', () => r.credits.length === 3);
  t.equal(r.desk.ledger.lastCounter('0A0B0C'), 1);
  t.equal(await r.desk.sessionCreditCents('s1'), 250);
});
