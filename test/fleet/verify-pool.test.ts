// The ingest's verification on worker threads (verify-pool.ts): the same verdict as on the main
// thread for every kind of delivery, and through the whole ingest against Mosquitto a record
// whose signature does not verify in a worker is rejected, not stored and not acknowledged.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { connectAsync } from 'mqtt';
import { connectOperator } from '../../src/fleet/operator/client.ts';
import { Ingest } from '../../src/fleet/operator/ingest.ts';
import { sqliteFleetStore } from '../../src/fleet/operator/store-sqlite.ts';
import { createVerifyPool, inlineVerifier } from '../../src/fleet/operator/verify-pool.ts';
import { sealRecord } from '../../src/fleet/records.ts';
import { keyIdOf, loadOrCreateSigningKey, parsePublicKey, signBytes } from '../../src/fleet/signing.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from './helpers/broker.ts';
import { makeBooth, tempFleetDb, until } from './helpers/booth.ts';
import { testCode } from './helpers/codes.ts';

t.test('a worker gives the verdict the main thread gives, for good and bad deliveries alike', async (t) => {
  const fdb = tempFleetDb();
  t.teardown(() => fdb.remove());
  fdb.db.close();
  const key = loadOrCreateSigningKey(`${fdb.dir}/k.pem`);
  const other = parsePublicKey(generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const photo = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 5000 }, (_, i) => i % 251)]);
  const good = sealRecord({ id: 'v-1', type: 'session', data: { code: testCode(1), paidCents: 800 }, files: { photo } }, 'VB-1', key);
  const envelope = JSON.parse(good.toString()) as { record: string; booth: string };
  const tamperedData = Buffer.from(JSON.stringify({ ...envelope, record: envelope.record.replace('"paidCents":800', '"paidCents":8') }));
  const tamperedFile = (() => {
    // signed by the booth, but the embedded file does not match the SHA-256 it claims
    const rec = JSON.parse(envelope.record) as { id: string; files: { photo: { base64: string } } };
    rec.id = 'v-2';
    rec.files.photo.base64 = Buffer.from('not the photo').toString('base64');
    const text = JSON.stringify(rec);
    return JSON.stringify({ ...envelope, record: text, sig: signBytes(key, Buffer.from(text)) });
  })();
  const cases: { name: string; booth: string; payload: Buffer; key: typeof key.publicKey | undefined; ok: boolean; reason?: RegExp }[] = [
    { name: 'genuine record', booth: 'VB-1', payload: good, key: key.publicKey, ok: true },
    { name: 'signed with another key', booth: 'VB-1', payload: good, key: other, ok: false, reason: /signature does not verify/ },
    { name: 'signed content changed', booth: 'VB-1', payload: tamperedData, key: key.publicKey, ok: false, reason: /signature does not verify/ },
    { name: 'file swapped after signing', booth: 'VB-1', payload: Buffer.from(tamperedFile), key: key.publicKey, ok: false, reason: /file "photo" does not match/ },
    { name: 'another booth\'s topic', booth: 'VB-2', payload: good, key: key.publicKey, ok: false, reason: /names booth VB-1/ },
    { name: 'not enrolled', booth: 'VB-1', payload: good, key: undefined, ok: false, reason: /not enrolled/ },
    { name: 'garbage bytes', booth: 'VB-1', payload: Buffer.from([0x00, 0xff, 0x7b, 0x22]), key: key.publicKey, ok: false, reason: /not JSON/ },
    { name: 'JSON but no envelope', booth: 'VB-1', payload: Buffer.from('{"v":2}'), key: key.publicKey, ok: false, reason: /not a record envelope/ },
    { name: 'empty', booth: 'VB-1', payload: Buffer.alloc(0), key: key.publicKey, ok: false, reason: /not JSON/ },
  ];
  const pool = createVerifyPool(2, silentLogger());
  t.teardown(() => pool.close());
  const inline = inlineVerifier();
  t.equal(pool.workers, 2);
  // all at once, so they are spread over both workers in chunks and answered out of order
  const many = await Promise.all(Array.from({ length: 300 }, (_, i) => cases[i % cases.length]!).map((c) => pool.verify(c.booth, c.payload, c.key)));
  for (const [i, c] of cases.entries()) {
    const expected = await inline.verify(c.booth, c.payload, c.key);
    const inWorker = many[i]!;
    t.same(inWorker, expected, `${c.name}: same verdict in a worker`);
    t.equal(inWorker.ok, c.ok, `${c.name}: ${c.ok ? 'accepted' : 'rejected'}`);
    if (!inWorker.ok && c.reason) t.match(inWorker.reason, c.reason, `${c.name}: ${inWorker.reason}`);
  }
  for (const [i, verdict] of many.entries()) if (verdict.ok !== cases[i % cases.length]!.ok) t.fail(`delivery ${i} got the verdict of another`);
  const accepted = many[0]!;
  t.ok(accepted.ok && accepted.stored.record.id === 'v-1' && accepted.stored.recordText === envelope.record, 'the stored text is the signed text');
});

t.test('a worker that dies is replaced and its records are verified by the new one', async (t) => {
  const fdb = tempFleetDb();
  t.teardown(() => fdb.remove());
  fdb.db.close();
  const key = loadOrCreateSigningKey(`${fdb.dir}/k.pem`);
  const records = Array.from({ length: 40 }, (_, i) => sealRecord({ id: `rs-${i}`, type: 'payment', data: { n: i } }, 'RS-1', key));
  const spawned: { index: number; worker: Worker }[] = [];
  const pool = createVerifyPool(1, silentLogger(), { gatherMs: 50, onSpawn: (index, worker) => spawned.push({ index, worker }) });
  t.teardown(() => pool.close());
  // Let the first worker start and answer once, so its death below is a crash, not a failed start.
  t.ok((await pool.verify('RS-1', records[0]!, key.publicKey)).ok, 'the first worker answers');
  const pending = records.map((r) => pool.verify('RS-1', r, key.publicKey));
  await spawned[0]!.worker.terminate(); // dies while the records wait for it (gatherMs 50)
  const verdicts = await Promise.all(pending);
  t.equal(spawned.length, 2, 'a second worker was started in its place');
  t.equal(spawned[1]!.index, 0, 'in the same slot');
  t.same(verdicts.map((v) => v.ok), records.map(() => true), 'every record verified, none lost');
  t.same(verdicts.map((v) => (v.ok ? v.stored.record.id : v.reason)), records.map((_, i) => `rs-${i}`), 'each with its own verdict');
});

t.test('the pool refuses a bad size and work after close', async (t) => {
  t.throws(() => createVerifyPool(0, silentLogger()), /1 to 256/);
  const pool = createVerifyPool(1, silentLogger());
  await pool.close();
  await t.rejects(pool.verify('VB-1', Buffer.from('{}'), undefined), /closed/);
});

t.test('ingest with verification workers: a bad signature is rejected and not acked, a good record stored once', async (t) => {
  const broker = await startBroker({ tls: false, acl: false });
  t.teardown(() => broker.stop());
  const fdb = tempFleetDb();
  const store = sqliteFleetStore(fdb.db);
  const booth = makeBooth(broker, 'WRK-1');
  // enrolled with another key: whatever the booth sends fails verification in the workers
  const wrongPair = generateKeyPairSync('ed25519');
  const wrong = wrongPair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  await store.enrol('WRK-1', wrong);
  const conn = await connectOperator({ url: broker.url }, silentLogger(), 'ingest');
  const ingest = new Ingest(store, conn, silentLogger(), { workers: 2 });
  t.equal(ingest.workers, 2);
  ingest.start();
  await conn.publish('cabine/v1/_probe/none', '', { qos: 1 });
  const raw = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  t.teardown(async () => {
    await raw.endAsync();
    await booth.close();
    await ingest.stop();
    await conn.stop();
    fdb.db.close();
    fdb.remove();
  });
  const acks: string[] = [];
  raw.on('message', (_topic, payload) => acks.push(...(JSON.parse(payload.toString()) as { ids: string[] }).ids));
  await raw.subscribeAsync(topics.recordsAck('WRK-1'), { qos: 1 });

  booth.fleet.enqueueRecord({ id: 'wrk-r1', type: 'session', data: { code: testCode(2), paidCents: 800 }, files: { photo: Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]) } });
  booth.fleet.start();
  await until('rejected in a worker', () => ingest.getStats().rejected >= 1);
  // Positive control before looking for an absence: a record signed with the enrolled key,
  // sent after the rejected one, is stored and acked; its ack follows any (wrong) ack of the
  // rejected record on the booth's ack topic.
  const control = sealRecord({ id: 'wrk-control', type: 'payment', data: { cents: 1 } }, 'WRK-1', { ...wrongPair, publicKeyPem: wrong, keyId: keyIdOf(wrongPair.publicKey) });
  await raw.publishAsync(topics.records('WRK-1'), control, { qos: 1 });
  await until('the control record acked', () => acks.includes('wrk-control'));
  t.same(fdb.db.recordIds(), ['wrk-control'], 'only the control record stored');
  t.notOk(acks.includes('wrk-r1'), 'the rejected record was never acked');
  t.equal(booth.fleet.outbox.depth(), 1, 'not acked: the record waits at the booth');

  // the right key now; the booth resends on its ack timeout; a tampered copy and garbage are refused
  const key = loadOrCreateSigningKey(`${booth.dir}/fleet-signing-key.pem`);
  const sealed = JSON.parse(sealRecord({ id: 'wrk-r2', type: 'payment', data: { cents: 200 } }, 'WRK-1', key).toString()) as { record: string };
  sealed.record = sealed.record.replace('"cents":200', '"cents":20000');
  await store.enrol('WRK-1', booth.fleet.signingPublicKeyPem);
  await raw.publishAsync(topics.records('WRK-1'), JSON.stringify(sealed), { qos: 1 });
  await raw.publishAsync(topics.records('WRK-1'), 'garbage{', { qos: 1 });
  await until('stored after enrolment', () => fdb.db.counts().records === 2);
  await booth.fleet.drained();
  await until('the tampered and garbage deliveries rejected', () => ingest.getStats().rejected >= 3);
  t.same(fdb.db.recordIds().sort(), ['wrk-control', 'wrk-r1'], 'the genuine record is stored; the tampered one is not');
  t.same(fdb.db.codes().map((c) => c.code), [testCode(2)]);
  await until('the genuine record acked', () => acks.includes('wrk-r1'));
  t.notOk(acks.includes('wrk-r2'), 'the tampered record was never acknowledged');
  const reasons = fdb.db.store.db.prepare<[], { reason: string }>('SELECT reason FROM rejects').all().map((r) => r.reason);
  t.ok(reasons.some((r) => /signature does not verify/.test(r)), 'bad signature recorded as a reject');
  t.ok(reasons.some((r) => /not JSON/.test(r)), 'garbage recorded as a reject');
});
