// Capacity of one ingest process without the network: verify (envelope, Ed25519 signature,
// file hashes) and store (SQLite, one transaction per batch of 500) pre-built records, with
// verification on the main thread (workers 0) and on worker pools; prints records/s and the
// CPU spent per record (all threads), then the cost of each stage of one record on one thread.
// Tells how many cores (verification workers, or ingest processes in the `$share/ingest`
// group) a fleet needs for a given record rate.
// Run: node --import tsx bench/fleet-ingest.ts [records=20000] [photoBytes=0] [signatureBytes=0] [workers=0,1,2]
import { createHash, verify } from 'node:crypto';
import { FleetConnection } from '../src/fleet/connection.ts';
import { Ingest } from '../src/fleet/operator/ingest.ts';
import { sqliteFleetStore } from '../src/fleet/operator/store-sqlite.ts';
import { sealRecord } from '../src/fleet/records.ts';
import { envelopeSchema, recordSchema } from '../src/fleet/schemas.ts';
import { loadOrCreateSigningKey } from '../src/fleet/signing.ts';
import { silentLogger } from '../src/log.ts';
import { tempFleetDb } from '../test/fleet/helpers/booth.ts';

const count = Number(process.argv[2] ?? 20_000);
const photoBytes = Number(process.argv[3] ?? 0);
const signatureBytes = Number(process.argv[4] ?? 0);
const workerCounts = (process.argv[5] ?? '0,1,2').split(',').map(Number);
const keyDir = tempFleetDb();
keyDir.db.close();
const key = loadOrCreateSigningKey(`${keyDir.dir}/signing.pem`);
const files: Record<string, Buffer> = {};
if (photoBytes > 0) files.photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(photoBytes - 3, 7)]);
if (signatureBytes > 0) files.signature = Buffer.alloc(signatureBytes, 9);
let t0 = performance.now();
const messages = Array.from({ length: count }, (_, i) => ({
  topic: `cabine/v1/B${i % 100}/records`,
  payload: sealRecord({ id: `r${i}`, type: 'session', data: { code: `C${i}`, sessionId: `s${i}`, paidCents: 800, expires: '2027-05-01T00:00:00.000Z' }, files }, `B${i % 100}`, key),
}));
const sealS = (performance.now() - t0) / 1000;
const size = messages[0]!.payload.length;
console.log(`${count} records of ${(size / 1024).toFixed(1)} KB (photo ${photoBytes} B, signature ${signatureBytes} B); booth side: ${Math.round(count / sealS)} records/s signed and sealed on one thread`);

for (const workers of workerCounts) {
  const fdb = tempFleetDb();
  for (let b = 0; b < 100; b++) fdb.db.enrol(`B${b}`, key.publicKeyPem);
  // Not connected: acks fail fast and are only logged; what is measured is verify + store.
  const conn = new FleetConnection({ url: 'mqtt://127.0.0.1:1', clientId: 'bench' }, silentLogger());
  const ingest = new Ingest(sqliteFleetStore(fdb.db), conn, silentLogger(), { batchMax: 1e9, batchMs: 1e6, workers });
  await new Promise((r) => setTimeout(r, workers > 0 ? 1500 : 0)); // workers load their modules
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  // batches of 500: the next batch is verified while the previous one is stored
  let storing: Promise<void> = Promise.resolve();
  for (let i = 0; i < messages.length; i += 500) {
    for (const m of messages.slice(i, i + 500)) ingest.accept(m.topic, m.payload);
    await storing;
    storing = ingest.flush();
  }
  await storing;
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await ingest.stop();
  await conn.stop();
  const stored = fdb.db.counts().records;
  console.log(
    `ingest, ${workers === 0 ? 'verification on the main thread' : `${workers} verification worker(s)`}: ${Math.round(count / s)} records/s verified and stored, ${((cpu.user + cpu.system) / count).toFixed(0)} us CPU per record (all threads), ${(count / s * size / 1e6).toFixed(1)} MB/s${stored === count ? '' : ` — ONLY ${stored} STORED`}`,
  );
  fdb.db.close();
  fdb.remove();
}

// where one record's verification time goes, on one thread
const stage = (name: string, fn: (m: (typeof messages)[number]) => unknown) => {
  const n = Math.min(count, 2000);
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(messages[i]!);
  return `${name} ${(((performance.now() - start) / n) * 1000).toFixed(0)}`;
};
const envelopes = messages.map((m) => envelopeSchema.parse(JSON.parse(m.payload.toString('utf8'))));
const records = envelopes.map((e) => JSON.parse(e.record) as unknown);
const idx = new Map(messages.map((m, i) => [m, i]));
console.log(
  `per record, us: ${[
    stage('envelope JSON.parse', (m) => JSON.parse(m.payload.toString('utf8'))),
    stage('envelope zod', (m) => envelopeSchema.parse(JSON.parse(m.payload.toString('utf8')))),
    stage('Ed25519 verify', (m) => {
      const e = envelopes[idx.get(m)!]!;
      return verify(null, Buffer.from(e.record, 'utf8'), key.publicKey, Buffer.from(e.sig, 'base64'));
    }),
    stage('record JSON.parse', (m) => JSON.parse(envelopes[idx.get(m)!]!.record)),
    stage('record zod', (m) => recordSchema.parse(records[idx.get(m)!])),
    stage('files base64+SHA-256', (m) => {
      const r = recordSchema.parse(records[idx.get(m)!]);
      for (const f of Object.values(r.files)) createHash('sha256').update(Buffer.from(f.base64, 'base64')).digest('hex');
    }),
  ].join(', ')} (envelope zod and the later stages include the parse before them)`,
);
keyDir.remove();
