// Capacity of one ingest process without the network: verify (envelope, Ed25519 signature,
// file hashes) and store (SQLite, one transaction per batch of 500) pre-built records.
// Tells how many ingest processes (shared subscription `$share/ingest/...`, one per core) a
// fleet needs for a given record rate.
// Run: node --import tsx bench/fleet-ingest.ts [records=20000] [photoBytes=2000]
import { verify } from 'node:crypto';
import { FleetConnection } from '../src/fleet/connection.ts';
import { Ingest } from '../src/fleet/operator/ingest.ts';
import { sealRecord } from '../src/fleet/records.ts';
import { loadOrCreateSigningKey } from '../src/fleet/signing.ts';
import { silentLogger } from '../src/log.ts';
import { tempFleetDb } from '../test/fleet/helpers/booth.ts';

const count = Number(process.argv[2] ?? 20_000);
const photoBytes = Number(process.argv[3] ?? 2000);
const fdb = tempFleetDb();
const key = loadOrCreateSigningKey(`${fdb.dir}/signing.pem`);
for (let b = 0; b < 100; b++) fdb.db.enrol(`B${b}`, key.publicKeyPem);
const photo = Buffer.alloc(photoBytes, 1);
let t0 = performance.now();
const messages = Array.from({ length: count }, (_, i) => ({
  topic: `cabine/v1/B${i % 100}/records`,
  payload: sealRecord({ id: `r${i}`, type: 'session', data: { code: `C${i}`, paidCents: 800 }, files: { photo } }, `B${i % 100}`, key),
}));
const sealS = (performance.now() - t0) / 1000;
console.log(`booth side: ${Math.round(count / sealS)} records/s signed and sealed (${photoBytes} B photo)`);

const data = Buffer.from('x'.repeat(3000));
const sig = Buffer.alloc(64);
t0 = performance.now();
for (let i = 0; i < 5000; i++) verify(null, data, key.publicKey, sig);
console.log(`Ed25519 verify alone: ${(((performance.now() - t0) / 5000) * 1000).toFixed(0)} us each`);

// Not connected: acks fail fast and are only logged; what is measured is verify + store.
const conn = new FleetConnection({ url: 'mqtt://127.0.0.1:1', clientId: 'bench' }, silentLogger());
const ingest = new Ingest(fdb.db, conn, silentLogger(), { batchMax: 500 });
t0 = performance.now();
for (let i = 0; i < messages.length; i += 500) {
  for (const m of messages.slice(i, i + 500)) ingest.accept(m.topic, m.payload);
  await ingest.flush();
}
const s = (performance.now() - t0) / 1000;
await ingest.stop();
console.log(`one ingest process: ${Math.round(count / s)} records/s verified and stored (${fdb.db.counts().records} stored)`);
fdb.db.close();
fdb.remove();
