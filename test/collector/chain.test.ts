// The whole chain on one machine, as an operator runs it: `cabine demo` with fleet.url (a
// real simulated session, its signed records sent over TLS) → Mosquitto (per-booth
// certificates, ACL) → the ingest (verifies, stores, acks) → the collector → GET
// /v1/ephotos/{code} returns the very photo and signature the demo wrote; then the code is
// used. Once on SQLite, once on PostgreSQL.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCollectorServer } from '../../src/collector/server.ts';
import { openPostgresCollectorStore } from '../../src/collector/store-postgres.ts';
import { openSqliteCollectorStore } from '../../src/collector/store-sqlite.ts';
import type { CollectorStore } from '../../src/collector/store.ts';
import { loadOrCreateSigningKey } from '../../src/fleet/signing.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { startIngest } from '../fleet/helpers/booth.ts';
import { startPostgres } from '../fleet/helpers/postgres.ts';
import { bin } from './helpers/process.ts';

const root = mkdtempSync(join(tmpdir(), 'cabine-chain-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const broker = await startBroker();
t.teardown(() => broker.stop());
const pgServer = await startPostgres();
t.teardown(() => pgServer.stop());

interface DemoResult {
  code: string;
  files: { photo: string; signature: string };
  paidCents: number;
  recordId: string;
}

function demo(booth: string, dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const id = broker.identity(booth);
  const env = {
    ...process.env,
    CABINE_LOG_LEVEL: 'warn',
    CABINE_DATA_DIR: dataDir,
    CABINE_BOOTH_ID: booth,
    CABINE_FLEET_URL: broker.url,
    CABINE_FLEET_CA_FILE: broker.ca?.certFile ?? '',
    CABINE_FLEET_CERT_FILE: id.certFile,
    CABINE_FLEET_KEY_FILE: id.keyFile,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'demo', '--json', '--fleet-wait', '120'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function chain(t: Test, name: string, store: CollectorStore): Promise<void> {
  const booth = `DEMO-${name}`;
  const dataDir = join(root, `booth-${name}`);
  // The booth's signing key, made as `cabine fleet keygen` makes it, enrolled by the operator.
  const key = loadOrCreateSigningKey(join(dataDir, 'fleet-signing-key.pem'));
  await store.fleet.enrol(booth, key.publicKeyPem);
  const ingest = await startIngest(broker, store.fleet);
  const collector = await buildCollectorServer({ store, insecureHttp: true });
  const url = await collector.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(async () => {
    await collector.close();
    await ingest.close();
    await store.close();
  });

  const run = await demo(booth, dataDir);
  t.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as DemoResult;

  const status = await fetch(`${url}/status/${result.code}`, { headers: { accept: 'application/json' } });
  t.same(await status.json(), { status: 'active' }, 'the code works as soon as the demo ends');
  const response = await fetch(`${url}/v1/ephotos/${result.code}`);
  t.equal(response.status, 200);
  const body = (await response.json()) as { code: string; booth: string; photo: { mime: string; sha256: string; data: string }; signature: { mime: string; sha256: string; data: string } };
  t.equal(body.code, result.code);
  t.equal(body.booth, booth);
  const photo = readFileSync(result.files.photo);
  const signature = readFileSync(result.files.signature);
  t.ok(Buffer.from(body.photo.data, 'base64').equals(photo), 'the photo the booth took');
  t.equal(body.photo.sha256, createHash('sha256').update(photo).digest('hex'));
  t.equal(body.photo.mime, 'image/jpeg');
  t.ok(Buffer.from(body.signature.data, 'base64').equals(signature), 'the signature the customer drew');
  const again = await fetch(`${url}/v1/ephotos/${result.code}`);
  t.same([again.status, await again.json()], [410, { status: 'used' }]);
  const state = await store.lookup(result.code);
  t.equal(state?.paidCents, result.paidCents, 'the amount paid reached the operator');
  t.ok(state?.sessionId && (await store.paymentRecordText(booth, state.sessionId)), "the booth's payment record reached the operator too");
}

t.test('demo → Mosquitto → ingest → collector on SQLite', async (t) => {
  await chain(t, 'SQLITE', openSqliteCollectorStore(join(root, 'fleet-sqlite')));
});

t.test('demo → Mosquitto → ingest → collector on PostgreSQL', async (t) => {
  await chain(t, 'PG', await openPostgresCollectorStore(await pgServer.createDatabase('chain')));
});
