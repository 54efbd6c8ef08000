// Attack: one enrolled booth sends validly signed records built to hurt the ingest — nested
// 200,000 levels deep (it crashed the verification workers), one whose verification needs more
// memory than a worker may use, and a 12 MB publish (over the broker's packet limit) — with five
// honest records of its own and an honest booth's records beside them. Real Mosquitto with the
// fleet's config, the real ingest with two verification workers. Refused: each poison alone;
// every honest record is stored and acknowledged; the ingest keeps running.
import t from 'tap';
import { loadOrCreateSigningKey, signBytes } from '../../src/fleet/signing.ts';
import { sealRecord } from '../../src/fleet/records.ts';
import { topics } from '../../src/fleet/topics.ts';
import { connectOperator } from '../../src/fleet/operator/client.ts';
import { Ingest } from '../../src/fleet/operator/ingest.ts';
import { sqliteFleetStore } from '../../src/fleet/operator/store-sqlite.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { makeBooth, tempFleetDb, until } from '../fleet/helpers/booth.ts';
import { ackedIds, certClient } from './helpers.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());

t.test('poison records are rejected alone; honest ones beside them are stored', async (t) => {
  const fdb = tempFleetDb();
  const store = sqliteFleetStore(fdb.db);
  const honestBooth = makeBooth(broker, 'HONEST-1');
  const op = broker.operator();
  const conn = await connectOperator({ url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile }, silentLogger(), 'ingest');
  // 2 workers, each bounded to 64 MB of heap: the memory bomb below needs more.
  const ingest = new Ingest(store, conn, silentLogger(), { workers: 2, workerHeapMb: 64 });
  ingest.start();
  await conn.publish('cabine/v1/_probe/none', '', { qos: 1 });
  const evil = await certClient(broker, 'EVIL-2');
  t.teardown(async () => {
    evil.end(true);
    await honestBooth.close();
    await ingest.stop();
    await conn.stop();
    fdb.db.close();
    fdb.remove();
  });
  const key = loadOrCreateSigningKey(`${honestBooth.dir}/evil-signing.pem`);
  await store.enrol('EVIL-2', key.publicKeyPem);
  await store.enrol('HONEST-1', honestBooth.fleet.signingPublicKeyPem);
  const acks = await ackedIds(evil, topics.recordsAck('EVIL-2'));

  // Nested 200,000 levels deep, validly signed (sealRecord cannot make it: the text is built by hand).
  const depth = 200_000;
  const deepText = `{"id":"deep-1","booth":"EVIL-2","type":"session","at":"2026-01-01T00:00:00.000Z","data":{"x":${'['.repeat(depth)}${']'.repeat(depth)}},"files":{}}`;
  const deep = JSON.stringify({ v: 1, booth: 'EVIL-2', keyId: key.keyId, record: deepText, sig: signBytes(key, Buffer.from(deepText)) });
  // 2.4 million empty objects in 7.2 MB of text (under the 8 MiB record limit): parsed, they take
  // far more heap than a worker may use.
  const bomb = sealRecord({ id: 'bomb-1', type: 'payment', data: { k: Array.from({ length: 2_400_000 }, () => ({})) } }, 'EVIL-2', key);
  const honest = Array.from({ length: 5 }, (_, i) => sealRecord({ id: `evil-honest-${i}`, type: 'payment', data: { cents: i } }, 'EVIL-2', key));

  honestBooth.fleet.enqueueRecord({ id: 'h1-s1', type: 'session', data: { cents: 800 } });
  honestBooth.fleet.start();
  for (const payload of [honest[0]!, honest[1]!, deep, bomb, honest[2]!, honest[3]!, honest[4]!]) {
    await evil.publishAsync(topics.records('EVIL-2'), payload, { qos: 1 });
  }
  await until('the honest records acked', () => honest.every((_, i) => acks.includes(`evil-honest-${i}`)), 120_000);
  await honestBooth.fleet.drained();
  await until('both poisons rejected', () => ingest.getStats().rejected >= 2, 120_000);
  const reasons = fdb.db.rejects().map((r) => `${r.record_id ?? ''}: ${r.reason}`);
  t.ok(reasons.some((r) => /deeper than 32/.test(r)), `the deep record is refused before it is parsed (${reasons.join('; ')})`);
  t.ok(reasons.some((r) => /crashes the verification worker/.test(r)), 'the memory bomb is refused alone');
  t.same(fdb.db.recordIds().sort(), ['evil-honest-0', 'evil-honest-1', 'evil-honest-2', 'evil-honest-3', 'evil-honest-4', 'h1-s1'], 'every honest record stored, no poison');
  t.notOk(acks.includes('deep-1') || acks.includes('bomb-1'), 'no poison acknowledged');

  // Over the broker's packet limit: the broker cuts the sender off; nothing reaches the ingest.
  const before = ingest.getStats().received;
  const closed = new Promise<string>((resolve) => evil.once('close', () => resolve('disconnected by the broker')));
  const big = await Promise.race([
    evil.publishAsync(topics.records('EVIL-2'), Buffer.alloc(12 * 1024 * 1024, 0x20), { qos: 1 }).then(
      () => 'accepted',
      (err: Error) => err.message,
    ),
    closed,
  ]);
  t.equal(big, 'disconnected by the broker', 'a 12 MB publish is refused: the broker cuts the sender off');
  honestBooth.fleet.enqueueRecord({ id: 'h1-s2', type: 'session', data: { cents: 800 } });
  await honestBooth.fleet.drained();
  t.ok(fdb.db.recordIds().includes('h1-s2'), 'the honest booth goes on being served');
  t.equal(ingest.getStats().received - before, 1, 'the ingest saw only the honest record, not the 12 MB');
});
