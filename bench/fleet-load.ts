// Load run: N simulated booths (full fleet links: presence, telemetry every few seconds,
// records with the outbox, commands and config subscriptions) against one Mosquitto and one
// ingest process (`cabine fleet ingest`). Prints the connections reached, the time to connect
// them and the end-to-end record rate (queued at the booths → verified, stored and
// acknowledged). Goal: 10,000 booths, >= 5,000 records/s. Plain TCP on loopback (TLS cost is
// in bench/fleet-latency.ts); booths are spread over worker processes.
// Run: node --import tsx bench/fleet-load.ts [booths=1000] [recordsPerBooth=5] [workers=2] [telemetrySeconds=10]
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { openFleetDb } from '../src/fleet/operator/db.ts';
import { loadOrCreateSigningKey } from '../src/fleet/signing.ts';
import { startBroker } from '../test/fleet/helpers/broker.ts';
import { tempFleetDb } from '../test/fleet/helpers/booth.ts';

const booths = Number(process.argv[2] ?? 1000);
const perBooth = Number(process.argv[3] ?? 5);
const workers = Number(process.argv[4] ?? 2);
const telemetrySeconds = Number(process.argv[5] ?? 10);
const here = import.meta.dirname;

const broker = await startBroker({ tls: false, acl: false });
const fdb = tempFleetDb();
const keyFile = join(fdb.dir, 'shared-signing.pem');
const key = loadOrCreateSigningKey(keyFile);
fdb.db.store.transaction(() => {
  for (let i = 0; i < booths; i++) fdb.db.enrol(`LOAD-${String(i).padStart(5, '0')}`, key.publicKeyPem);
});
fdb.db.close();

const ingest = spawn(process.execPath, [join(here, '../bin/cabine.js'), 'fleet', 'ingest', '--data', fdb.dir, '--url', broker.url], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, CABINE_LOG_LEVEL: 'error' },
});
let ingestOut = '';
ingest.stdout?.on('data', (d: Buffer) => (ingestOut += d.toString()));
await new Promise((r) => setTimeout(r, 4000)); // CLI start-up + subscription

const t0 = performance.now();
const children: { proc: ChildProcess; next: () => Promise<Record<string, number>> }[] = [];
const per = Math.ceil(booths / workers);
for (let w = 0; w < workers; w++) {
  const first = w * per;
  const count = Math.min(per, booths - first);
  if (count <= 0) break;
  const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'fleet-load-worker.ts'), broker.url, String(first), String(count), String(perBooth), keyFile, String(telemetrySeconds)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  children.push({ proc, next: async () => JSON.parse(String((await lines.next()).value)) as Record<string, number> });
}
const connected = (await Promise.all(children.map((c) => c.next()))).reduce((n, m) => n + (m.connected ?? 0), 0);
const connectS = (performance.now() - t0) / 1000;
console.log(`${connected} booths connected in ${connectS.toFixed(1)} s (${Math.round(connected / connectS)} connections/s), telemetry every ${telemetrySeconds} s (${Math.round(connected / telemetrySeconds)} messages/s)`);

const t1 = performance.now();
for (const c of children) c.proc.stdin!.write('go\n');
const results = await Promise.all(children.map((c) => c.next()));
const seconds = (performance.now() - t1) / 1000;
const total = connected * perBooth;
console.log(`${total} records (${perBooth} per booth, ~3 KB each) queued, verified, stored and acknowledged in ${seconds.toFixed(1)} s: ${Math.round(total / seconds)} records/s end to end (goal >= 5000/s at 10,000 booths)`);
console.log(`  slowest worker queued its records in ${(Math.max(...results.map((r) => r.queuedMs ?? 0)) / 1000).toFixed(1)} s`);
await Promise.all(children.map((c) => new Promise((r) => c.proc.once('exit', r))));
ingest.kill('SIGTERM');
await new Promise((r) => ingest.once('exit', r));
const db = openFleetDb(fdb.dir);
const counts = db.counts();
console.log(`  ingest: ${ingestOut.trim()}`);
console.log(`  stored ${counts.records} of ${total}, deliveries ${counts.deliveries}, rejected ${counts.rejects}`);
db.close();
fdb.remove();
await broker.stop();
