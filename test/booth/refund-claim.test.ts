// A refund claim from the booth to the operator and back, on a real Mosquitto: the booth owes
// a customer (a paid delivery failed, no hopper), the operator receives the signed refund-due
// record naming the product, pays the customer, says so with the refund-paid command (by
// session, never by claim code), and gets a refund-paid record; the money owed goes to zero.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOperator, requestCommand } from '../../src/fleet/operator/client.ts';
import { envelopeSchema, recordSchema, type FleetRecord } from '../../src/fleet/schemas.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { until } from '../fleet/helpers/booth.ts';
import { startFleetBooth } from './fleet-booth.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());
const op = broker.operator();
const link = { url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile };
const BOOTH = 'REFUND-1';

t.test('refund-due to the operator, refund-paid back: the claim is closed once, by session', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-refund-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const conn = await connectOperator(link, silentLogger(), 'test');
  t.teardown(() => conn.stop());
  const records: FleetRecord[] = [];
  conn.subscribe('test-records', topics.records(BOOTH), 1, (_topic, body) => {
    const envelope = envelopeSchema.parse(JSON.parse(body.toString('utf8')));
    records.push(recordSchema.parse(JSON.parse(envelope.record)));
  });
  const booth = await startFleetBooth(broker, BOOTH, dataDir);
  t.teardown(() => booth.stop());

  // A customer paid 6 EUR in coins for prints; the board could not be printed; no hopper.
  const session = '5e55a0b1-0000-4000-8000-00000000c1a1';
  await booth.desk.open(session, 600, { product: 'photo', item: 2 });
  const coins = booth.parts.sim!.coins!;
  await until('the acceptor takes coins', () => booth.desk.state().accepting.length > 0);
  for (const coin of ['EU200A', 'EU200A', 'EU200A']) t.equal(coins.insertCoin(coin), 'accepted');
  await until('paid', () => (booth.desk.ledger.session(session)?.creditCents ?? 0) === 600);
  await booth.desk.settle(session, 600);
  const refund = await booth.desk.refund(session, 'printer: paper jam');
  t.match(refund, { claimCents: 600, paidBackCents: 0 });

  await until('the refund-due record', () => records.some((r) => r.id === `refund-due-${session}`), 20_000);
  t.match(records.find((r) => r.id === `refund-due-${session}`), { type: 'refund-due', data: { sessionId: session, product: 'photo', owedCents: 600, claimCode: refund.claimCode, state: 'claim-due' } });
  t.match(await requestCommand(conn, BOOTH, 'telemetry', undefined), { ok: true, result: { counters: { refundsOwed: { count: 1, cents: 600 }, cashBox: { totalCents: 600, coins: { EU200A: 3 } } } } }, 'money owed, and the cash box fill by coin');

  // The operator names the claim by session; a claim code is refused at the edge.
  t.match(await requestCommand(conn, BOOTH, 'refund-paid', { session: refund.claimCode }), { ok: false });
  t.match(await requestCommand(conn, BOOTH, 'refund-paid', { session: '00000000' }), { ok: false, error: { message: /no refund claim due for session 00000000/ } });
  t.match(await requestCommand(conn, BOOTH, 'refund-paid', { session: session.slice(0, 8), by: 'help desk' }), { ok: true, result: { sessionId: session, paidCents: 600 } });
  t.match(await requestCommand(conn, BOOTH, 'refund-paid', { session }), { ok: false, error: { message: /no refund claim due/ } }, 'paid once only');

  await until('the refund-paid record', () => records.some((r) => r.id === `refund-paid-${session}`), 20_000);
  t.match(records.find((r) => r.id === `refund-paid-${session}`), { type: 'refund-paid', data: { sessionId: session, product: 'photo', paidCents: 600, paidBy: 'fleet operator (help desk)' } });
  t.same(booth.desk.refundsOwed(), { count: 0, cents: 0 }, 'no money owed any more');
  t.match(await requestCommand(conn, BOOTH, 'telemetry', undefined), { ok: true, result: { counters: { refundsOwed: { count: 0, cents: 0 } } } });
  t.notOk(JSON.stringify(records.filter((r) => r.type === 'refund-paid')).includes(refund.claimCode ?? 'x'), 'the paid record does not repeat the claim code');
});
