// Redeliveries are not verified again: a record already stored for the topic's booth is acked
// at once (one more delivery counted) without a signature check; anything else is verified.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { connectOperator } from '../../src/fleet/operator/client.ts';
import { claimedRecordId, Ingest } from '../../src/fleet/operator/ingest.ts';
import { sqliteFleetStore } from '../../src/fleet/operator/store-sqlite.ts';
import { inlineVerifier, type RecordVerifier } from '../../src/fleet/operator/verify-pool.ts';
import { sealRecord } from '../../src/fleet/records.ts';
import { loadOrCreateSigningKey } from '../../src/fleet/signing.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from './helpers/broker.ts';
import { tempFleetDb, until } from './helpers/booth.ts';
import { testCode } from './helpers/codes.ts';

const keyDir = mkdtempSync(join(tmpdir(), 'cabine-dedupe-'));
t.teardown(() => rmSync(keyDir, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(join(keyDir, 'key.pem'));

t.test('claimedRecordId reads the id only from the prefix sealRecord writes, for the topic booth', async (t) => {
  const sealed = sealRecord({ id: 'DD-1:r.1_x', type: 'payment', data: { cents: 1 } }, 'DD-1', key);
  t.equal(claimedRecordId('DD-1', sealed), 'DD-1:r.1_x');
  t.equal(claimedRecordId('DD-2', sealed), undefined, 'another booth named than the topic');
  t.equal(claimedRecordId('DD-1', Buffer.from('garbage{')), undefined);
  t.equal(claimedRecordId('DD-1', Buffer.alloc(0)), undefined);
  const env = JSON.parse(sealed.toString()) as Record<string, unknown>;
  const reordered = Buffer.from(JSON.stringify({ booth: env.booth, v: 1, keyId: env.keyId, record: env.record, sig: env.sig }));
  t.equal(claimedRecordId('DD-1', reordered), undefined, 'other key order: not claimed (verified as usual)');
  const spaced = Buffer.from(JSON.stringify(env, null, 1));
  t.equal(claimedRecordId('DD-1', spaced), undefined, 'whitespace: not claimed');
});

t.test('a resent duplicate is acked without a verify call; new and foreign ones are verified', async (t) => {
  const broker = await startBroker({ tls: false, acl: false });
  t.teardown(() => broker.stop());
  const fdb = tempFleetDb();
  const store = sqliteFleetStore(fdb.db);
  await store.enrol('DD-1', key.publicKeyPem);
  await store.enrol('DD-2', key.publicKeyPem);
  const inline = inlineVerifier();
  const verified: string[] = [];
  const verifier: RecordVerifier = {
    workers: 0,
    verify: (booth, payload, k) => {
      verified.push(booth);
      return inline.verify(booth, payload, k);
    },
    close: () => inline.close(),
  };
  const conn = await connectOperator({ url: broker.url }, silentLogger(), 'ingest');
  const ingest = new Ingest(store, conn, silentLogger(), { verifier });
  ingest.start();
  await conn.publish('cabine/v1/_probe/none', '', { qos: 1 });
  const raw = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  t.teardown(async () => {
    await raw.endAsync();
    await ingest.stop();
    await conn.stop();
    fdb.db.close();
    fdb.remove();
  });
  const acks: string[] = [];
  raw.on('message', (topic, payload) => acks.push(`${topic.split('/')[2]}:${(JSON.parse(payload.toString()) as { ids: string[] }).ids.join(',')}`));
  await raw.subscribeAsync(topics.recordsAck('+'), { qos: 1 });

  const r1 = sealRecord({ id: 'dd-r1', type: 'session', data: { code: testCode(1), paidCents: 800 } }, 'DD-1', key);
  await raw.publishAsync(topics.records('DD-1'), r1, { qos: 1 });
  await until('first delivery acked', () => acks.length === 1);
  t.same(verified, ['DD-1'], 'the first delivery is verified');
  t.same(acks, ['DD-1:dd-r1']);

  await raw.publishAsync(topics.records('DD-1'), r1, { qos: 1 });
  await until('resent duplicate acked', () => acks.length === 2);
  t.same(verified, ['DD-1'], 'the resent duplicate is acked without a verify call');
  t.same(acks[1], 'DD-1:dd-r1');
  await until('acks delivered', () => ingest.getStats().acksSent === 2);
  t.same(ingest.getStats(), { received: 2, stored: 1, duplicates: 1, rejected: 0, acksSent: 2 }, 'counted as a duplicate');
  t.same(fdb.db.counts(), { records: 1, codes: 1, rejects: 0, deliveries: 2 }, 'stored once, both deliveries counted');

  // the same id on another booth's topic is not that booth's record: verified (and refused)
  await raw.publishAsync(topics.records('DD-2'), r1, { qos: 1 });
  await until('foreign copy rejected', () => ingest.getStats().rejected === 1);
  t.same(verified, ['DD-1', 'DD-2'], 'verified: not a redelivery of DD-2');

  // a new record is verified, then stored and acked
  const r2 = sealRecord({ id: 'dd-r2', type: 'payment', data: { cents: 200 } }, 'DD-1', key);
  await raw.publishAsync(topics.records('DD-1'), r2, { qos: 1 });
  await until('second record acked', () => acks.includes('DD-1:dd-r2'));
  t.equal(verified.length, 3, 'a new record is verified');
  t.same(fdb.db.recordIds(), ['dd-r1', 'dd-r2']);
  t.equal(fdb.db.recordText('dd-r1'), (JSON.parse(r1.toString()) as { record: string }).record, 'the stored record is unchanged');
});
