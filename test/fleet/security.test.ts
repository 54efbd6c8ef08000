// TLS identities and the ACL: a booth is confined to its own topics by the broker, and the
// ingest trusts nothing it cannot verify with the booth's enrolled key.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connectAsync, type MqttClient } from 'mqtt';
import { connectOperator } from '../../src/fleet/operator/client.ts';
import { sealRecord } from '../../src/fleet/records.ts';
import { keyIdOf, loadOrCreateSigningKey } from '../../src/fleet/signing.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from './helpers/broker.ts';
import { makeBooth, startIngest, tempFleetDb, until } from './helpers/booth.ts';
import { certClient } from '../security/helpers.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());

const rawClient = (cn: string): Promise<MqttClient> => certClient(broker, cn);

t.test('booth A cannot publish or listen as booth B', async (t) => {
  const op = broker.operator();
  const watcher = await connectOperator({ url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile }, silentLogger(), 'watch');
  t.teardown(() => watcher.stop());
  const seen: string[] = [];
  watcher.subscribe('watch', 'cabine/v1/BOOTH-B/#', 1, (topic) => seen.push(topic));
  watcher.subscribe('watch', 'cabine/v1/BOOTH-A/#', 1, (topic) => seen.push(topic));
  await watcher.publish('cabine/v1/_sync', '', { qos: 1 });

  const a = await rawClient('BOOTH-A');
  t.teardown(() => a.endAsync());
  const keyA = loadOrCreateSigningKey(`${broker.dir}/a-signing.pem`);
  const forged = sealRecord({ id: 'forged-1', type: 'session', data: { code: 'X' } }, 'BOOTH-B', keyA);
  for (const topic of [topics.records('BOOTH-B'), topics.status('BOOTH-B'), topics.configReported('BOOTH-B'), topics.recordsAck('BOOTH-B')]) {
    const result = await a.publishAsync(topic, forged, { qos: 1 }).then(
      (packet) => (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0,
      (err: { code?: number }) => err.code ?? -1,
    );
    t.not(result, 0, `publishing on ${topic} is refused (reason ${result})`);
  }
  // Mosquitto grants the SUBSCRIBE but its ACL filters every delivery: A hears nothing of B.
  const heardByA: string[] = [];
  a.on('message', (topic) => heardByA.push(topic));
  await a.subscribeAsync([topics.cmdFilter('BOOTH-B'), topics.recordsAck('BOOTH-B'), topics.configDesired('BOOTH-B'), 'cabine/v1/#'], { qos: 1 });
  await a.subscribeAsync(topics.cmdFilter('BOOTH-A'), { qos: 1 });
  await watcher.publish(topics.cmd('BOOTH-B', 'ping'), '{}', { qos: 1 });
  await watcher.publish(topics.recordsAck('BOOTH-B'), '{"ids":["x"]}', { qos: 1 });
  await watcher.publish(topics.configDesired('BOOTH-B'), '{"rev":"1","config":{}}', { qos: 1 });
  await watcher.publish(topics.cmd('BOOTH-A', 'ping'), '{}', { qos: 1 });
  // Its own topics are fine.
  const ownPublish = await a.publishAsync(topics.events('BOOTH-A'), '{}', { qos: 1 });
  t.equal((ownPublish as { reasonCode?: number } | undefined)?.reasonCode ?? 0, 0, 'A may publish its own events');
  await until('A hears its own command', () => heardByA.includes(topics.cmd('BOOTH-A', 'ping')));
  t.same([...new Set(heardByA)], [topics.cmd('BOOTH-A', 'ping')], 'A heard nothing addressed to B');

  // A's own event, published after its refused attempts on the same connection, reaches the
  // watcher after anything those attempts could have delivered: wait for it, not for a delay.
  await until('A\'s own event seen by the watcher', () => seen.includes(topics.events('BOOTH-A')));
  const attempted = [topics.records('BOOTH-B'), topics.status('BOOTH-B'), topics.configReported('BOOTH-B'), topics.events('BOOTH-A')];
  t.same(seen.filter((s) => attempted.includes(s)), ['cabine/v1/BOOTH-A/events'], 'nothing A published reached B\'s topics');
});

t.test('a client without a certificate from the fleet CA is refused', async (t) => {
  const err = await connectAsync(broker.url, { protocolVersion: 5, ca: readFileSync(broker.ca!.certFile), reconnectPeriod: 0, connectTimeout: 3000 }).then(
    async (c) => {
      await c.endAsync();
      return undefined;
    },
    (e: Error) => e,
  );
  t.ok(err, `refused: ${err?.message}`);
});

t.test('the ingest rejects records whose signature does not verify, and keeps them at the booth', async (t) => {
  const fdb = tempFleetDb();
  t.teardown(() => fdb.remove());
  const booth = makeBooth(broker, 'SIG-1');
  // Enrolled with another key: every record of this booth fails verification.
  const wrongPair = generateKeyPairSync('ed25519');
  const wrong = wrongPair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  fdb.db.enrol('SIG-1', wrong);
  const ingest = await startIngest(broker, fdb.db);
  t.teardown(async () => {
    await booth.close();
    await ingest.close();
    fdb.db.close();
  });
  booth.fleet.enqueueRecord({ id: 'sig-r1', type: 'payment', data: { cents: 200 } });
  booth.fleet.start();
  await until('rejected', () => ingest.ingest.getStats().rejected >= 1);
  // Positive control before looking for an absence: a record signed with the enrolled key,
  // published on the booth's topic after the rejected one, is stored and acked; its ack comes
  // after any (wrong) ack of the rejected record.
  const raw = await rawClient('SIG-1');
  t.teardown(() => raw.endAsync());
  const acks: string[] = [];
  raw.on('message', (_topic, payload) => acks.push(...(JSON.parse(payload.toString()) as { ids: string[] }).ids));
  await raw.subscribeAsync(topics.recordsAck('SIG-1'), { qos: 1 });
  await raw.publishAsync(topics.records('SIG-1'), sealRecord({ id: 'sig-control', type: 'payment', data: { cents: 1 } }, 'SIG-1', { ...wrongPair, publicKeyPem: wrong, keyId: keyIdOf(wrongPair.publicKey) }), { qos: 1 });
  await until('the control record acked', () => acks.includes('sig-control'));
  t.notOk(acks.includes('sig-r1'), 'the rejected record was never acked');
  t.same(fdb.db.recordIds(), ['sig-control'], 'only the control record stored');
  t.equal(booth.fleet.outbox.depth(), 1, 'not acked: the record waits at the booth');

  // A tampered record published on the booth's own (legitimate) topic.
  const key = loadOrCreateSigningKey(`${booth.dir}/fleet-signing-key.pem`);
  const sealed = JSON.parse(sealRecord({ id: 'sig-r2', type: 'payment', data: { cents: 200 } }, 'SIG-1', key).toString()) as { record: string };
  sealed.record = sealed.record.replace('"cents":200', '"cents":20000');
  fdb.db.enrol('SIG-1', booth.fleet.signingPublicKeyPem); // now the right key
  await raw.publishAsync(topics.records('SIG-1'), JSON.stringify(sealed), { qos: 1 });
  await raw.publishAsync(topics.records('SIG-1'), 'garbage{', { qos: 1 });
  await until('stored after enrolment', () => fdb.db.counts().records === 2);
  await booth.fleet.drained();
  await until('the tampered and garbage deliveries rejected', () => ingest.ingest.getStats().rejected >= 3);
  t.same(fdb.db.recordIds().sort(), ['sig-control', 'sig-r1'], 'the genuine record is in once enrolled; the tampered one is not');
  t.notOk(acks.includes('sig-r2'), 'the tampered record was never acked');
  const reasons = fdb.db.store.db.prepare<[], { reason: string }>('SELECT reason FROM rejects').all().map((r) => r.reason);
  t.ok(reasons.some((r) => /signature does not verify/.test(r)));
  t.ok(reasons.some((r) => /not JSON/.test(r)));
});
