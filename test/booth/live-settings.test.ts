// Live settings end to end: the whole booth (simulated devices) on a real Mosquitto. A price
// set by the fleet is the one the next customer is charged, is shown on the screen and in the
// status, and survives a restart; a key that needs a restart is saved and reported as such,
// not refused again at every connection.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Booth } from '../../src/booth/compose.ts';
import { connectOperator, pushConfig, requestCommand } from '../../src/fleet/operator/client.ts';
import { configReportedSchema, type ConfigReported } from '../../src/fleet/schemas.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { until } from '../fleet/helpers/booth.ts';
import { startFleetBooth } from './fleet-booth.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());
const op = broker.operator();
const link = { url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile };
const BOOTH = 'LIVE-1';

const dataDir = mkdtempSync(join(tmpdir(), 'cabine-live-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
const startBooth = () => startFleetBooth(broker, BOOTH, dataDir);

/** A customer draws the curtain: what is the session asked to pay? */
async function nextCustomerDue(booth: Booth, product?: string): Promise<number> {
  booth.machine.send({ type: 'START', ...(product ? { product } : {}) });
  await until('a session', () => booth.machine.snapshot().step !== 'idle');
  const due = booth.machine.snapshot().dueCents;
  booth.machine.send({ type: 'CANCEL' });
  await until('back to idle', () => booth.machine.snapshot().step === 'idle');
  return due;
}

t.test('a price set over MQTT is charged to the next customer and survives a restart', async (t) => {
  const conn = await connectOperator(link, silentLogger(), 'test');
  t.teardown(() => conn.stop());
  t.teardown(() => conn.publish(topics.configDesired(BOOTH), '', { qos: 1, retain: true }));

  let booth = await startBooth();
  t.equal(await nextCustomerDue(booth), 800, 'the configured price at first');

  t.match(await requestCommand(conn, BOOTH, 'set-price', { cents: 950 }), { ok: true, result: { priceCents: 950 } });
  t.equal(await nextCustomerDue(booth), 950, 'the next customer is charged the new price');
  t.equal(booth.screen.current().priceCents, 950, 'the screen shows it');
  t.match(await requestCommand(conn, BOOTH, 'status', undefined), { ok: true, result: { status: { priceCents: 950 } } });

  // A price below the schema's minimum is refused and changes nothing.
  t.match(await requestCommand(conn, BOOTH, 'set-price', { cents: 5 }), { ok: false });
  t.equal(booth.settings.current().payment.priceCents, 950);

  // Each product has its price: set-price names it; the catalogue is one live setting.
  t.equal(await nextCustomerDue(booth, 'photo'), 600, 'the prints-only product has its own price');
  t.match(await requestCommand(conn, BOOTH, 'set-price', { cents: 550, product: 'photo' }), { ok: true, result: { priceCents: 550, product: 'photo' } });
  t.equal(await nextCustomerDue(booth, 'photo'), 550, 'the next prints-only customer pays the new price');
  t.equal(await nextCustomerDue(booth, 'ephoto'), 950, 'the e-photo keeps payment.priceCents');
  t.match(await requestCommand(conn, BOOTH, 'set-price', { cents: 550, product: 'nope' }), { ok: false, error: { message: /no product "nope"/ } });
  t.match(await requestCommand(conn, BOOTH, 'status', undefined), { ok: true, result: { status: { products: [{ id: 'ephoto', priceCents: 950 }, { id: 'photo', priceCents: 550 }] } } });

  // config/desired: the price (live), a key read at build time (saved, at restart), a denied key.
  const report = await pushConfig(conn, BOOTH, { payment: { priceCents: 1000 }, ui: { volume: 40 }, booth: { id: 'OTHER' } });
  t.match(report, { ok: false, applied: { 'payment.priceCents': 1000 }, atRestart: { 'ui.volume': 40 } });
  t.same(report!.refused.map((r) => r.key), ['booth.id']);
  t.equal(await nextCustomerDue(booth), 1000, 'config/desired prices the next customer too');
  t.equal(booth.config.ui.volume, 70, 'ui.volume waits for the restart');
  const overlay = JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { settings: Record<string, unknown> };
  t.same(Object.keys(overlay.settings).sort(), ['payment.priceCents', 'products', 'ui.volume'], 'all saved under data.dir');

  await booth.stop();
  // At the new connection the retained desired config comes again: what does the booth report?
  const restartedAt = new Date().toISOString();
  const reports: ConfigReported[] = [];
  conn.subscribe('test-reports', topics.configReported(BOOTH), 1, (_topic, body) => {
    const r = configReportedSchema.parse(JSON.parse(body.toString('utf8')));
    if (r.rev === report!.rev && r.at >= restartedAt) reports.push(r);
  });
  booth = await startBooth();
  t.teardown(() => booth.stop());
  t.equal(booth.config.ui.volume, 40, 'the saved key is in force after the restart');
  t.equal(await nextCustomerDue(booth), 1000, 'the price survived the restart');
  t.equal(await nextCustomerDue(booth, 'photo'), 550, 'the product price too');
  await until('the report of the retained desired config', () => reports.length > 0);
  t.match(reports[0], { applied: { 'payment.priceCents': 1000, 'ui.volume': 40 } }, 'now all in force');
  t.notOk(reports[0]!.atRestart, 'nothing waits for a restart any more');
  t.same(reports[0]!.refused.map((r) => r.key), ['booth.id'], 'only the denied key is refused');
});
