// A record leaves the booth's outbox on the ingest's ack naming its id, never on the broker's
// PUBACK (which only says the broker has it). No ingest runs here: the test plays the operator
// and acks only the second of two records. The broker answers the first PUBLISH with its
// PUBACK before it handles the second, and the test's ack of the second travels the same
// connection to the booth after that PUBACK: once the second record is gone from the outbox,
// the first one's PUBACK has been processed, so its presence is checked with nothing left to
// arrive (no sleep, no timeout).
import t from 'tap';
import { connectAsync } from 'mqtt';
import { topics } from '../../src/fleet/topics.ts';
import { startBroker } from './helpers/broker.ts';
import { makeBooth, until } from './helpers/booth.ts';

t.test('a PUBACK does not remove a record from the outbox; the ingest\'s ack does', async (t) => {
  const broker = await startBroker({ tls: false, acl: false });
  t.teardown(() => broker.stop());
  // A long ack timeout: no resend during the test.
  const booth = makeBooth(broker, 'PUB-1', { ackTimeoutMs: 60_000 });
  const operator = await connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  t.teardown(async () => {
    await operator.endAsync();
    await booth.close();
  });
  const received: string[] = [];
  operator.on('message', (_topic, payload) => {
    const envelope = JSON.parse(payload.toString()) as { record: string };
    received.push((JSON.parse(envelope.record) as { id: string }).id);
  });
  await operator.subscribeAsync(topics.records('PUB-1'), { qos: 1 });

  booth.fleet.enqueueRecord({ id: 'pub-r1', type: 'payment', data: { cents: 200 } });
  booth.fleet.enqueueRecord({ id: 'pub-r2', type: 'payment', data: { cents: 100 } });
  booth.fleet.start();
  await until('both records at the broker', () => received.includes('pub-r1') && received.includes('pub-r2'));
  t.equal(booth.fleet.outbox.depth(), 2);

  await operator.publishAsync(topics.recordsAck('PUB-1'), JSON.stringify({ ids: ['pub-r2'] }), { qos: 1 });
  await until('the acked record removed', () => booth.fleet.outbox.get('pub-r2') === undefined);
  t.ok(booth.fleet.outbox.get('pub-r1'), 'the record only PUBACKed is still in the outbox');
  t.equal(booth.fleet.outbox.depth(), 1);

  await operator.publishAsync(topics.recordsAck('PUB-1'), JSON.stringify({ ids: ['pub-r1'] }), { qos: 1 });
  await booth.fleet.drained();
  t.equal(booth.fleet.outbox.depth(), 0, 'acked: gone');
});
