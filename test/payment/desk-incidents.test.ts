// Coin incidents at the desk, in process (the same path coins-lost.test.ts drives across
// processes and a real pty): the acceptor keeps its last 5 events; while the booth does not
// read it (here the simulator goes silent: no reply reaches the driver) a customer drops 8
// coins, so 3 events are lost. The desk journals the gap as an incident naming the open
// payment, tells the operator (payment.coins-lost), shows it on the payment screen's state,
// and the operator closes it from the console (payment.incident-closed).
import t, { type Test } from 'tap';
import { until } from '../hal/coin-acceptor-harness.ts';
import { paymentRig, type PaymentRigOptions } from './helpers.ts';
import type { PaymentEvent } from '../../src/payment/index.ts';

type Rig = Awaited<ReturnType<typeof paymentRig<PaymentRigOptions>>>;

/** Drops `coins` 10-cent coins while nobody reads the acceptor (then runs `meanwhile`); resolves on the gap's event. */
async function coinsWhileUnread(t: Test, r: Rig, coins: number, meanwhile?: () => Promise<unknown>): Promise<PaymentEvent> {
  const before = r.events.filter((e) => e.type === 'payment.coins-lost').length;
  t.equal(r.acceptor.status().health, 'ok', 'the acceptor is read before');
  r.sim.setSilent(true);
  await until('the driver notices the silence', () => r.acceptor.status().health !== 'ok');
  for (let i = 0; i < coins; i++) t.equal(r.sim.insertCoin('EU010A'), 'accepted', `coin ${i + 1} taken while unread`);
  await meanwhile?.();
  r.sim.setSilent(false);
  await until('the gap is told', () => r.events.filter((e) => e.type === 'payment.coins-lost').length > before);
  return r.events.filter((e) => e.type === 'payment.coins-lost').at(-1)!;
}

t.test('a gap during a payment: journaled, told, shown on the screen, closed by the operator', async (t) => {
  const r = await paymentRig(t);
  await r.desk.open('s1', 800);
  const states: unknown[] = [];
  r.desk.on('state', (s) => states.push(s));
  const lost = await coinsWhileUnread(t, r, 8);
  const [incident] = r.desk.coinIncidents();
  t.ok(incident, 'one open incident');
  t.match(incident, { sessionId: 's1', missedEvents: 3 });
  t.match(lost, {
    type: 'payment.coins-lost',
    severity: 'error',
    sessionId: 's1',
    data: { incidentId: incident!.id, missedEvents: 3 },
  });
  t.match(lost.message, /^3 coin acceptor events lost \(counter \d+ → \d+\): coins may have been taken and not credited; check the cash box against the ledger and refund the customer of this session \(incident \d+\)$/);
  t.ok(lost.message.endsWith(`(incident ${incident!.id})`));
  // The acceptor's own missed-events alarm came before the incident's event: the desk tells it once, as the incident.
  t.notOk(r.events.some((e) => e.type === 'payment.alarm'), 'no second, generic alarm for the same loss');
  await until('the 5 coins still buffered are credited', () => r.credits.length === 5);
  t.equal(await r.desk.sessionCreditCents('s1'), 50);
  t.same(r.desk.state().coinsLost, { incidentId: incident!.id, missedEvents: 3 }, 'the payment screen shows the incident');
  await until('the screen was told', () => states.some((s) => (s as { coinsLost: unknown }).coinsLost !== null));

  const closedStates = states.length;
  const closed = r.desk.closeCoinIncident(incident!.id, 'tech-42');
  t.match(closed, { id: incident!.id, sessionId: 's1', missedEvents: 3 });
  t.same(r.desk.coinIncidents(), [], 'no open incident left');
  t.equal(r.desk.state().coinsLost, null, 'the screen no longer shows it');
  t.ok(states.length > closedStates, 'the screen is told at once');
  t.equal((states.at(-1) as { coinsLost: unknown }).coinsLost, null);
  t.match(r.events.at(-1), {
    type: 'payment.incident-closed',
    severity: 'info',
    sessionId: 's1',
    message: `coin incident ${incident!.id} (3 events lost) closed by tech-42`,
    data: { incidentId: incident!.id, missedEvents: 3, by: 'tech-42' },
  });
  t.throws(() => r.desk.closeCoinIncident(incident!.id, 'tech-42'), new RegExp(`^no open coin incident ${incident!.id}$`), 'closed once');
  t.throws(() => r.desk.closeCoinIncident(9999, 'tech-42'), /^no open coin incident 9999$/);
});

t.test('two gaps in one payment add up on the screen; a gap with no payment open names none', async (t) => {
  const r = await paymentRig(t);
  await r.desk.open('s1', 800);
  const first = await coinsWhileUnread(t, r, 7);
  const second = await coinsWhileUnread(t, r, 9);
  const [a, b] = r.desk.coinIncidents();
  t.match(first.data, { missedEvents: 2 });
  t.match(second.data, { missedEvents: 4 });
  t.same(r.desk.state().coinsLost, { incidentId: b!.id, missedEvents: 6 }, 'the latest incident, and every event lost in this payment');
  r.desk.closeCoinIncident(a!.id, 'tech');
  t.same(r.desk.state().coinsLost, { incidentId: b!.id, missedEvents: 4 }, 'only the open ones count');

  await r.desk.keepAsCredit('s1');
  t.equal(r.desk.state().coinsLost, null, 'no payment open: nothing on the screen');
  // The next customer's payment ends (walked away) while the booth cannot read the acceptor:
  // the gap is found once no payment is open, and names none.
  await r.desk.open('s2', 800);
  const stray = await coinsWhileUnread(t, r, 6, () => r.desk.keepAsCredit('s2'));
  t.notOk('sessionId' in stray, 'no session named');
  t.notMatch(stray.message, /refund the customer/);
  t.match(stray.message, /check the cash box against the ledger \(incident \d+\)$/);
  const open = r.desk.coinIncidents();
  t.equal(open.at(-1)?.sessionId ?? null, null);
  const closed = r.desk.closeCoinIncident(open.at(-1)!.id, 'tech');
  t.notOk('sessionId' in r.events.at(-1)!, 'its closing names no session either');
  t.equal(closed.missedEvents, 1);
  t.same(r.desk.coinIncidents().map((i) => i.sessionId), ['s1'], "s1's second incident is still open");
  await r.desk.open('s3', 800);
  t.equal(r.desk.state().coinsLost, null, "the next customer's screen does not show s1's incident");
});

t.test('a gap found with no fault on the line (the booth stalled, not the acceptor) reaches the screen by itself', async (t) => {
  const r = await paymentRig(t);
  await r.desk.open('s1', 800);
  const states: { coinsLost: unknown }[] = [];
  r.desk.on('state', (s: { coinsLost: unknown }) => states.push(s));
  // The acceptor's counter moves 8 events on between two polls, its buffer holding the last 5
  // (null events here): 3 lost. No fault, no coin, no change of acceptance: nothing else tells the screen.
  r.sim.setCounter((r.sim.status().acceptor.counter + 8) % 256);
  await until('the gap is told', () => r.events.some((e) => e.type === 'payment.coins-lost'));
  t.equal(r.acceptor.status().health, 'ok', 'the line never faulted');
  await until('the screen is told', () => states.some((s) => s.coinsLost !== null));
  t.match(states.find((s) => s.coinsLost !== null), { coinsLost: { missedEvents: 3 } });
});
