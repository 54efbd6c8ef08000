// What the booth tells its fleet, end to end on a real Mosquitto with the simulated devices:
// counters fed by events (sessions, retakes by failing check, coins, revenue) kept across a
// restart, the payment desk's alarms as fleet events, and "no change given" on the payment
// screen only when the booth has no hopper.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Booth } from '../../src/booth/compose.ts';
import { coinsFor } from '../../src/demo/customer.ts';
import { connectOperator } from '../../src/fleet/operator/client.ts';
import { eventSchema, type FleetEvent } from '../../src/fleet/schemas.ts';
import { topics } from '../../src/fleet/topics.ts';
import { TouchReplayer, loadRecording } from '../../src/hal/touch/index.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { until } from '../fleet/helpers/booth.ts';
import { startFleetBooth } from './fleet-booth.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());
const op = broker.operator();
const link = { url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile };
const recording = loadRecording(new URL('../fixtures/signatures/martin.json', import.meta.url).pathname);

const startBooth = (id: string, dataDir: string, hopper: boolean) => startFleetBooth(broker, id, dataDir, { 'coinAcceptor.hopper': hopper });

const step = (booth: Booth, name: string) => until(`step ${name}`, () => booth.machine.snapshot().step === name && !booth.machine.snapshot().busy, 60_000);

/** One customer: a refused photo, a retake, a good photo, signature, then payment up to `pay`. */
async function customer(booth: Booth, pay: (booth: Booth) => Promise<void>): Promise<void> {
  const sim = booth.parts.sim!;
  await sim.camera.selectPhoto('refused-sunglasses');
  booth.machine.send({ type: 'START' });
  await step(booth, 'review');
  await sim.camera.selectPhoto('london-004');
  const left = booth.machine.snapshot().retakesLeft;
  booth.machine.send({ type: 'RETAKE' });
  await until('the retake', () => booth.machine.snapshot().retakesLeft < left);
  await step(booth, 'review');
  if (!booth.machine.snapshot().canAccept) throw new Error(`the compliant sitter was refused: ${JSON.stringify(booth.machine.snapshot().checks?.filter((c) => !c.pass))}`);
  booth.machine.send({ type: 'ACCEPT' });
  await step(booth, 'signature');
  await new TouchReplayer(sim.touch, recording).play({ speed: 8 });
  await booth.parts.touch.settled();
  booth.machine.send({ type: 'SIGNATURE_DONE' });
  await step(booth, 'payment');
  await pay(booth);
}

t.test('counters from events, payment alarms on the fleet, change with a hopper', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-events-'));
  const conn = await connectOperator(link, silentLogger(), 'test');
  t.teardown(() => conn.stop());
  const events: FleetEvent[] = [];
  conn.subscribe('test-events', topics.events('EVT-1'), 1, (_topic, body) => events.push(eventSchema.parse(JSON.parse(body.toString('utf8')))));

  let booth = await startBooth('EVT-1', dataDir, true);
  let paid = 0;
  await customer(booth, async (booth) => {
    t.equal(booth.screen.current().noChange, false, 'a working hopper: change is given');
    for (const coin of coinsFor(booth.machine.snapshot().remainingCents)) {
      booth.parts.sim!.coins!.insertCoin(coin);
      await until('the coin credited', () => booth.machine.snapshot().paidCents > paid || booth.machine.snapshot().step !== 'payment');
      paid = booth.machine.snapshot().paidCents;
    }
    await until('served', () => booth.machine.snapshot().step === 'done' || booth.machine.snapshot().step === 'idle', 60_000);
    booth.machine.send({ type: 'FINISH' });
    await step(booth, 'idle');
  });
  const failing = events.find((e) => e.type === 'session.retake');
  t.ok(failing, 'the retake is a fleet event');
  const checks = failing!.data!.checks as string[];
  t.ok(checks.length > 0, `it names the failing checks: ${checks.join(', ')}`);

  const telemetry = await booth.fleet.publishTelemetry();
  t.match(telemetry.counters, { sessions: { started: 1, completed: 1, cancelled: 0 }, revenueCents: 800 });
  for (const check of checks) t.equal(telemetry.counters.retakes[check], 1, `one retake counted for ${check}`);
  t.same(Object.values(telemetry.counters.coins).reduce((a, b) => a + b, 0), coinsFor(800).length, 'every coin counted by value');
  t.ok(events.some((e) => e.type === 'coin.credited' && e.data?.cents !== undefined), 'the desk events reach the fleet');

  // A payment alarm (the acceptor was reset: coins since the last poll may be lost) reaches the operator.
  booth.parts.sim!.coins!.resetAcceptor();
  await until('the payment alarm on the fleet', () => events.some((e) => e.type === 'payment.alarm'));
  t.match(events.find((e) => e.type === 'payment.alarm'), { severity: 'warning', data: { kind: 'reset' } });

  // The counters are totals since commissioning: a restart keeps them.
  await booth.stop();
  booth = await startBooth('EVT-1', dataDir, true);
  t.teardown(async () => {
    await booth.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const after = await booth.fleet.publishTelemetry();
  t.match(after.counters, { sessions: { started: 1, completed: 1 }, revenueCents: 800 });
});

t.test('without a hopper the payment screen says no change is given', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-events-'));
  const booth = await startBooth('EVT-2', dataDir, false);
  t.teardown(async () => {
    await booth.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  await customer(booth, async (booth) => {
    t.equal(booth.screen.current().noChange, true, 'no hopper: no change');
    t.equal(booth.screen.current().coinsLost, undefined, 'no coin incident');
    // 8 acceptor events the booth never read (more than the 5 it holds): the customer is told.
    const coins = booth.parts.sim!.coins!;
    coins.setCounter(((coins.status().acceptor.counter + 8 - 1) % 255) + 1);
    await until('the payment screen tells of the incident', () => booth.screen.current().coinsLost !== undefined);
    t.same(booth.screen.current().coinsLost, { incidentId: 1 }, 'quote incident 1 for a refund');
    t.match(booth.desk.coinIncidents(), [{ id: 1, missedEvents: 3, sessionId: booth.machine.snapshot().sessionId }]);
    booth.machine.send({ type: 'CANCEL' });
    await step(booth, 'idle');
  });
});
