// Issue-to-ingest latency on loopback, through a real Mosquitto with TLS and client
// certificates: a booth issues records one at a time (a session record with a photo and a
// signature of realistic size), and the time from `enqueueRecord` (sign + durable outbox
// write) to the ingest's ack arriving back at the booth (verified + stored + acked) is
// measured. Goal: p99 <= 1 s.
// Run: node --import tsx bench/fleet-latency.ts [count=200] [photoBytes=150000]
import { randomBytes } from 'node:crypto';
import { startBroker } from '../test/fleet/helpers/broker.ts';
import { makeBooth, startIngest, tempFleetDb } from '../test/fleet/helpers/booth.ts';

const count = Number(process.argv[2] ?? 200);
const photoBytes = Number(process.argv[3] ?? 150_000);
const broker = await startBroker();
const fdb = tempFleetDb();
const booth = makeBooth(broker, 'BENCH-LAT', { ackTimeoutMs: 15_000 });
fdb.db.enrol('BENCH-LAT', booth.fleet.signingPublicKeyPem);
const ingest = await startIngest(broker, fdb.db);
booth.fleet.start();
await new Promise((r) => setTimeout(r, 300));
const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(photoBytes)]);
const signature = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(20_000)]);
const ms: number[] = [];
for (let i = 0; i < count; i++) {
  const t0 = performance.now();
  booth.fleet.enqueueRecord({ id: `lat-${i}`, type: 'session', data: { code: `LAT${i}`, sessionId: `s${i}`, paidCents: 800 }, files: { photo, signature } });
  await booth.fleet.drained();
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(1);
console.log(`issue-to-ingest (acknowledged) latency over ${count} records of ${Math.round((photoBytes + 20_000) / 1024)} KB, TLS loopback:`);
console.log(`  p50 ${q(0.5)} ms, p90 ${q(0.9)} ms, p99 ${q(0.99)} ms, max ${ms[ms.length - 1]!.toFixed(1)} ms (goal p99 <= 1000 ms)`);
console.log(`  stored ${fdb.db.counts().records}, outbox ${booth.fleet.outbox.depth()}`);
await booth.close();
await ingest.close();
fdb.db.close();
fdb.remove();
await broker.stop();
