// The booth's fleet link against a real Mosquitto (TLS, client certificates, ACL): presence
// and last will, telemetry, records through the ingest with acks, commands, remote config.
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectOperator, fleetSnapshot, pushConfig, requestCommand } from '../../src/fleet/operator/client.ts';
import { exportCodes } from '../../src/fleet/operator/export.ts';
import { sqliteFleetStore } from '../../src/fleet/operator/store-sqlite.ts';
import { sessionRecordInput } from '../../src/fleet/records.ts';
import { statusSchema, telemetrySchema } from '../../src/fleet/schemas.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from './helpers/broker.ts';
import { makeBooth, startIngest, tempFleetDb, until } from './helpers/booth.ts';
import { testCode } from './helpers/codes.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());
const op = broker.operator();
const link = { url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile };

async function operator(t: Test) {
  const conn = await connectOperator(link, silentLogger(), 'test');
  t.teardown(() => conn.stop());
  return conn;
}

t.test('status is retained online, and the last will says offline when the link is lost', async (t) => {
  const booth = makeBooth(broker, 'PRES-1');
  t.teardown(() => booth.close());
  booth.fleet.start();
  await until('connected', () => booth.fleet.listening);
  const conn = await operator(t);
  let views = await fleetSnapshot(conn, 800);
  const mine = views.find((v) => v.booth === 'PRES-1');
  t.equal(mine?.status?.state, 'online');
  t.equal(mine?.status?.version, '0.1.0-test');
  t.equal(mine?.status?.status?.priceCents, 800);
  t.ok(statusSchema.safeParse(mine?.status).success);
  t.equal(mine?.telemetry?.counters.revenueCents, 1600, 'telemetry retained with the booth counters');
  t.equal(mine?.telemetry?.outbox.depth, 0);
  t.ok(telemetrySchema.safeParse(mine?.telemetry).success);

  await booth.fleet.kill(); // no DISCONNECT: the broker publishes the will
  await until('will published', () => false === booth.fleet.connected);
  await new Promise((r) => setTimeout(r, 300));
  views = await fleetSnapshot(conn, 800);
  const gone = views.find((v) => v.booth === 'PRES-1');
  t.equal(gone?.status?.state, 'offline');
  t.equal(gone?.status?.reason, 'connection lost');
});

t.test('records with photo and signature reach the ingest once, are acked and leave the outbox', async (t) => {
  const fdb = tempFleetDb();
  t.teardown(() => fdb.remove());
  const booth = makeBooth(broker, 'REC-1');
  fdb.db.enrol('REC-1', booth.fleet.signingPublicKeyPem);
  const ingest = await startIngest(broker, fdb.db);
  t.teardown(async () => {
    await booth.close();
    await ingest.close();
    fdb.db.close();
  });
  const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(150_000)]);
  const signature = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(20_000)]);
  writeFileSync(join(booth.dir, 'photo.jpg'), photo);
  writeFileSync(join(booth.dir, 'signature.png'), signature);
  // Queued before the fleet starts: the booth may be offline for days.
  for (let i = 0; i < 12; i++) {
    const input = sessionRecordInput({
      id: `session-s${i}`,
      type: 'session',
      sessionId: `s${i}`,
      product: 'ephoto',
      code: testCode(i),
      expires: '2027-05-23',
      photoFile: join(booth.dir, 'photo.jpg'),
      signatureFile: join(booth.dir, 'signature.png'),
      paidCents: 800,
      startedAt: '2026-11-23T09:00:00.000Z',
      completedAt: `2026-11-23T09:${String(10 + i)}:00.000Z`,
    });
    t.ok(booth.fleet.enqueueRecord(input).queued);
  }
  t.notOk(booth.fleet.enqueueRecord({ id: 'session-s0', type: 'session', data: {} }).queued, 'same id is not queued twice');
  t.equal(booth.fleet.outbox.depth(), 12);
  booth.fleet.start();
  await booth.fleet.drained();
  t.equal(booth.fleet.outbox.depth(), 0, 'outbox empty once every record is acked');
  const counts = fdb.db.counts();
  t.equal(counts.records, 12);
  t.equal(counts.codes, 12);
  const text = fdb.db.recordText('session-s3')!;
  const record = JSON.parse(text) as { files: { photo: { sha256: string; mime: string; base64: string } } };
  t.equal(record.files.photo.mime, 'image/jpeg');
  t.ok(Buffer.from(record.files.photo.base64, 'base64').equals(photo), 'the photo arrives intact');

  const csv = await exportCodes(sqliteFleetStore(fdb.db), { format: 'csv' });
  t.equal(csv.trim().split('\n').length, 13, 'header + one line per code');
  t.match(csv, `${testCode(3)},REC-1,s3,session-s3,2027-05-23,800`);
  const json = JSON.parse(await exportCodes(sqliteFleetStore(fdb.db), { format: 'json' })) as { code: string; photoSha256: string }[];
  t.equal(json.length, 12);
  t.equal(json[0]!.photoSha256.length, 64);
});

t.test('commands answer on the response topic with the correlation data', async (t) => {
  const booth = makeBooth(broker, 'CMD-1');
  t.teardown(() => booth.close());
  booth.fleet.start();
  await until('connected', () => booth.fleet.listening);
  const conn = await operator(t);
  const ping = await requestCommand(conn, 'CMD-1', 'ping', {});
  t.match(ping, { ok: true, command: 'ping', result: { pong: true, booth: 'CMD-1' } });
  t.match(await requestCommand(conn, 'CMD-1', 'status', undefined), { ok: true, result: { status: { priceCents: 800 }, outbox: { depth: 0 } } });
  t.match(await requestCommand(conn, 'CMD-1', 'set-price', { cents: 950 }), { ok: true, result: { priceCents: 950 } });
  t.same(booth.calls.price, [950]);
  t.match(await requestCommand(conn, 'CMD-1', 'sales', { enabled: false, reason: 'maintenance' }), { ok: true });
  t.same(booth.calls.sales, [{ enabled: false, reason: 'maintenance' }]);
  t.match(await requestCommand(conn, 'CMD-1', 'print-test', {}), { ok: true, result: { jobId: 'job-1' } });
  t.match(await requestCommand(conn, 'CMD-1', 'outbox-flush', {}), { ok: true, result: { depth: 0 } });
  t.match(await requestCommand(conn, 'CMD-1', 'telemetry', {}), { ok: true, result: { counters: { revenueCents: 1600 } } });
  t.match(await requestCommand(conn, 'CMD-1', 'reboot', { reason: 'update' }), { ok: true, result: { rebooting: true } });
  await until('reboot hook', () => booth.calls.reboots.length === 1);
  t.same(booth.calls.reboots, ['update']);

  t.match(await requestCommand(conn, 'CMD-1', 'self-destruct', {}), { ok: false, error: { code: 'unknown-command' } });
  t.match(await requestCommand(conn, 'CMD-1', 'set-price', '{"cents":'), { ok: false, error: { code: 'malformed' } });
  t.match(await requestCommand(conn, 'CMD-1', 'set-price', { cents: 'free' }), { ok: false, error: { code: 'invalid-args', message: /cents/ } });
  t.match(await requestCommand(conn, 'CMD-1', 'set-price', { cents: 5 }), { ok: false, error: { code: 'invalid-args' } });
  t.match(await requestCommand(conn, 'CMD-1', 'ping', { extra: 1 }), { ok: false, error: { code: 'invalid-args' } });
  t.same(booth.calls.price, [950], 'refused commands did nothing');
});

t.test('desired config is validated by the config schema, applied where safe and reported', async (t) => {
  const booth = makeBooth(broker, 'CFG-1');
  t.teardown(() => booth.close());
  booth.fleet.start();
  await until('connected', () => booth.fleet.listening);
  const conn = await operator(t);
  t.teardown(() => conn.publish(topics.configDesired('CFG-1'), '', { qos: 1, retain: true }));
  const report = await pushConfig(conn, 'CFG-1', {
    payment: { priceCents: 900 },
    session: { maxRetakes: 99 },
    ui: { volume: 40 },
    booth: { id: 'OTHER' },
    fleet: { url: 'mqtt://evil' },
    nonsense: { key: 1 },
  });
  t.ok(report, 'a report came back');
  t.equal(report!.ok, false);
  t.same(report!.applied, { 'payment.priceCents': 900 });
  const reasons = Object.fromEntries(report!.refused.map((r) => [r.key, r.reason]));
  t.match(reasons['session.maxRetakes'], /session\.maxRetakes/, 'out of range, named');
  t.match(reasons['ui.volume'], /restart/, 'the booth declined to apply it live');
  t.match(reasons['booth.id'], /remotely/);
  t.match(reasons['fleet.url'], /remotely/);
  t.match(reasons['nonsense'], /unknown key/);
  t.equal(booth.fleet.config().payment.priceCents, 900);
  t.equal(booth.fleet.config().booth.id, 'CFG-1');

  const good = await pushConfig(conn, 'CFG-1', { session: { maxRetakes: 2 } });
  t.match(good, { ok: true, applied: { 'session.maxRetakes': 2 }, refused: [] });
});
