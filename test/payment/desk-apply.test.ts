// The desk's acceptance loop and change, on exact observations (written for the survivors of
// its mutation run, docs/testing.md): the payment screen hears each change of what is accepted
// and nothing else; the periodic check sends the acceptor nothing it already has; change
// smaller than the hopper's coin, or with the hopper degraded, is journaled as no payout and
// kept as stored credit under its own name.
import t from 'tap';
import { until } from '../hal/coin-acceptor-harness.ts';
import type { PaymentState } from '../../src/payment/index.ts';
import { paymentRig } from './helpers.ts';

t.test('the screen hears each change of acceptance; the periodic check re-sends nothing already applied', async (t) => {
  const r = await paymentRig(t); // the desk checks every 50 ms
  const states: PaymentState[] = [];
  r.desk.on('state', (s: PaymentState) => states.push(s));
  let sent = 0;
  const setAcceptance = r.acceptor.setAcceptance.bind(r.acceptor);
  r.acceptor.setAcceptance = (coins) => {
    sent += 1;
    return setAcceptance(coins);
  };
  let checks = 0;
  const refresh = r.desk.refresh.bind(r.desk);
  r.desk.refresh = () => {
    checks += 1;
    return refresh();
  };

  await r.desk.open('s1', 800);
  t.equal(sent, 1, 'opening sends the acceptance once');
  t.ok(states.some((s) => s.sessionId === 's1' && s.accepting.length === 5), 'and the screen is told what is accepted');
  const [sentBefore, statesBefore, checksBefore] = [sent, states.length, checks];
  await until('ten periodic checks', () => checks >= checksBefore + 10);
  await r.desk.refresh(); // chained after every check before it: all of them have finished
  t.equal(sent, sentBefore, 'the checks found it applied and sent nothing');
  t.equal(states.length, statesBefore, 'and told the screen nothing');

  r.health.ok = false;
  r.health.reason = 'printer out of paper';
  await until('a check inhibits', () => !r.sim.status().acceptor.masterEnabled);
  await r.desk.refresh();
  t.equal(sent, sentBefore + 1, 'the change is sent once');
  t.match(states.at(-1), { sessionId: 's1', accepting: [], inhibitedBecause: 'the booth cannot deliver: printer out of paper' }, 'and told');
  const afterChange = states.length;
  await until('ten more checks', () => checks >= checksBefore + 25);
  await r.desk.refresh();
  t.equal(sent, sentBefore + 1, 'nothing re-sent while it stays so');
  t.equal(states.length, afterChange);
});

t.test('change smaller than the hopper\'s coin: no payout journaled, the hopper asked for nothing, kept as unpaid change', async (t) => {
  const r = await paymentRig(t, { hopper: true }); // the hopper pays 1 EUR coins
  await r.desk.open('s1', 200);
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 1);
  await r.desk.settle('s1', 150); // served for less than was paid (a cheaper product): 50 cents over
  t.equal(r.sim.status().hopper?.paid, 0, 'no coin asked of the hopper');
  t.same(r.store.db.prepare('SELECT coins FROM payment_payouts').all(), [], 'no payout of 0 coins journaled');
  t.match(r.events.filter((e) => e.type.startsWith('change') || e.type === 'credit.stored'), [{ type: 'change.unpaid', sessionId: 's1', cents: 50 }]);
  t.same(r.desk.storedCredit().map((c) => [c.origin, c.leftCents]), [['unpaid-change', 50]]);
});

t.test('with the hopper degraded, an overpayment is plain stored credit: no coin is asked of it', async (t) => {
  const r = await paymentRig(t, { hopper: true });
  await r.desk.open('s1', 100);
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 1);
  r.sim.setHopperLevel(0);
  await r.desk.settle('s1', 100); // it tries, pays nothing, and is degraded from then on
  await until('hopper degraded', () => r.acceptor.hopper?.status().health === 'degraded');
  const payouts = r.store.db.prepare('SELECT id FROM payment_payouts').all().length;
  await r.desk.open('s2', 300); // s1's unpaid change (100) applies: 200 remain
  await until('no change promised', () => r.desk.state().noChange && r.desk.state().accepting.includes('EU200A'));
  r.sim.setHopperLevel(5); // refilled, but not seen paying since: still degraded
  r.sim.insertCoin('EU200A');
  await until('coin', () => r.credits.length === 2);
  await r.desk.settle('s2', 250); // 50 cents over
  t.equal(r.store.db.prepare('SELECT id FROM payment_payouts').all().length, payouts, 'no payout journaled: the degraded hopper is not used');
  t.match(r.events.filter((e) => e.sessionId === 's2' && (e.type.startsWith('change') || e.type === 'credit.stored')), [{ type: 'credit.stored', cents: 50 }]);
  t.same(r.desk.storedCredit().filter((c) => c.sessionId === 's2').map((c) => [c.origin, c.leftCents]), [['surplus', 50]]);
});
