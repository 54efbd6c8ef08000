// Replay of an outbox after an outage: a booth queues N records while no broker is reachable,
// then the broker and the ingest come up and the booth drains its outbox (TLS, in-flight
// window from config, every record verified, stored and acknowledged by id). Goal: 10,000
// records in <= 60 s.
// Run: node --import tsx bench/fleet-replay.ts [count=10000] [photoBytes=5000] [window=32]
import { randomBytes } from 'node:crypto';
import { startBroker } from '../test/fleet/helpers/broker.ts';
import { makeBooth, startIngest, tempFleetDb } from '../test/fleet/helpers/booth.ts';

const count = Number(process.argv[2] ?? 10_000);
const photoBytes = Number(process.argv[3] ?? 5000);
const window = Number(process.argv[4] ?? 32);
const broker = await startBroker();
await broker.kill(); // the outage
const fdb = tempFleetDb();
const booth = makeBooth(broker, 'BENCH-REPLAY', { ackTimeoutMs: 30_000, fleet: { inflightWindow: window } });
fdb.db.enrol('BENCH-REPLAY', booth.fleet.signingPublicKeyPem);
const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(photoBytes)]);
let t0 = performance.now();
for (let i = 0; i < count; i++) booth.fleet.enqueueRecord({ id: `replay-${i}`, type: 'session', data: { code: `R${i}`, sessionId: `s${i}`, paidCents: 800 }, files: { photo } });
const enqueueS = (performance.now() - t0) / 1000;
console.log(`queued ${count} records of ${Math.round(photoBytes / 1024)} KB offline in ${enqueueS.toFixed(1)} s (${Math.round(count / enqueueS)}/s, one fsync each); outbox ${(booth.fleet.outbox.bytes() / 1e6).toFixed(1)} MB`);

await broker.start(); // the outage ends
const ingest = await startIngest(broker, fdb.db);
t0 = performance.now();
booth.fleet.start(); // the booth's link comes back
await booth.fleet.drained();
const replayS = (performance.now() - t0) / 1000;
const counts = fdb.db.counts();
console.log(`replayed ${count} records in ${replayS.toFixed(1)} s after the link came back: ${Math.round(count / replayS)} records/s, window ${window} (goal <= 60 s)`);
console.log(`  stored ${counts.records} (deliveries ${counts.deliveries}), outbox ${booth.fleet.outbox.depth()}, resent ${booth.fleet.stats().resent}`);
await booth.close();
await ingest.close();
fdb.db.close();
fdb.remove();
await broker.stop();
