// Attack: a booth publishes, on its own topic, records with ids another booth uses (before the
// victim, so that the victim's record would look like a duplicate), and then another text under
// an id of its own already stored. Real Mosquitto with the fleet ACL, the real ingest and store.
// Refused: the victim's record is stored under the victim and acknowledged to it; the
// attacker's rewrite is never acknowledged; nothing of the victim is lost.
import t from 'tap';
import { loadOrCreateSigningKey } from '../../src/fleet/signing.ts';
import { sealRecord } from '../../src/fleet/records.ts';
import { topics } from '../../src/fleet/topics.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { makeBooth, startIngest, tempFleetDb, until } from '../fleet/helpers/booth.ts';
import { ackedIds, certClient } from './helpers.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());

t.test('a record id squatted by another booth: the victim is stored and acked, the rewrite refused', async (t) => {
  const fdb = tempFleetDb();
  const victim = makeBooth(broker, 'VICTIM-1');
  const ingest = await startIngest(broker, fdb.db);
  const attacker = await certClient(broker, 'EVIL-1');
  t.teardown(async () => {
    await attacker.endAsync();
    await victim.close();
    await ingest.close();
    fdb.db.close();
    fdb.remove();
  });
  const evilKey = loadOrCreateSigningKey(`${victim.dir}/evil-signing.pem`);
  fdb.db.enrol('EVIL-1', evilKey.publicKeyPem);
  fdb.db.enrol('VICTIM-1', victim.fleet.signingPublicKeyPem);
  const acksToEvil = await ackedIds(attacker, topics.recordsAck('EVIL-1'));

  // The attacker guesses the victim's next ids and gets there first.
  for (const id of ['VICTIM-1-s1', 'VICTIM-1-p1']) {
    await attacker.publishAsync(topics.records('EVIL-1'), sealRecord({ id, type: 'payment', data: { cents: 1 } }, 'EVIL-1', evilKey), { qos: 1 });
  }
  await until('the attacker\'s records acked to it', () => acksToEvil.length === 2);

  victim.fleet.enqueueRecord({ id: 'VICTIM-1-s1', type: 'session', data: { cents: 800 } });
  victim.fleet.enqueueRecord({ id: 'VICTIM-1-p1', type: 'payment', data: { cents: 800 } });
  victim.fleet.start();
  await victim.fleet.drained();
  for (const id of ['VICTIM-1-s1', 'VICTIM-1-p1']) {
    t.match(JSON.parse(fdb.db.recordText(id, 'VICTIM-1')!), { booth: 'VICTIM-1', data: { cents: 800 } }, `${id}: the victim's record is stored under the victim`);
  }

  // The attacker rewrites one of its own stored records, then sends an honest one (positive control).
  await attacker.publishAsync(topics.records('EVIL-1'), sealRecord({ id: 'VICTIM-1-s1', type: 'payment', data: { cents: 999 } }, 'EVIL-1', evilKey), { qos: 1 });
  await attacker.publishAsync(topics.records('EVIL-1'), sealRecord({ id: 'EVIL-1-control', type: 'payment', data: { cents: 1 } }, 'EVIL-1', evilKey), { qos: 1 });
  await until('the control record acked', () => acksToEvil.includes('EVIL-1-control'));
  t.same(acksToEvil.filter((id) => id === 'VICTIM-1-s1'), ['VICTIM-1-s1'], 'the rewrite was never acknowledged (only the first text was)');
  t.match(JSON.parse(fdb.db.recordText('VICTIM-1-s1', 'EVIL-1')!), { data: { cents: 1 } }, 'the first text stays');
  t.ok(fdb.db.rejects().some((r) => r.booth === 'EVIL-1' && r.record_id === 'VICTIM-1-s1' && /conflict/.test(r.reason)), 'the conflict is on record');
  t.same(fdb.db.counts().records, 5, 'two of the attacker, two of the victim, the control');
});
