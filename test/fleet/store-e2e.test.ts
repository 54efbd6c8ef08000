// End to end with PostgreSQL: booths → Mosquitto (TLS, per-booth certificates, ACL) → ingest
// storing in PostgreSQL → ack → outbox empty, each record exactly once; two ingests sharing
// the subscription and the database; then the operator's commands with `--db postgres://...`
// (and CABINE_FLEET_DB): enrol, ingest, export.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr } from '../../src/fleet/operator/pki.ts';
import { openFleetStore } from '../../src/fleet/operator/store-open.ts';
import { sessionRecordInput } from '../../src/fleet/records.ts';
import { topics } from '../../src/fleet/topics.ts';
import { startBroker } from './helpers/broker.ts';
import { makeBooth, startIngest, until } from './helpers/booth.ts';
import { startPostgres } from './helpers/postgres.ts';
import { testCode } from './helpers/codes.ts';

const bin = join(import.meta.dirname, '../../bin/cabine.js');
const root = mkdtempSync(join(tmpdir(), 'cabine-pg-e2e-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
const server = await startPostgres();
t.teardown(() => server.stop());
const broker = await startBroker();
t.teardown(() => broker.stop());

function cabine(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, CABINE_LOG_LEVEL: 'warn', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(40_000, 5)]);
const signature = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(5_000, 6)]);

function queueSessions(booth: ReturnType<typeof makeBooth>, prefix: string, count: number): string[] {
  writeFileSync(join(booth.dir, 'photo.jpg'), photo);
  writeFileSync(join(booth.dir, 'signature.png'), signature);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}-${String(i).padStart(3, '0')}`;
    booth.fleet.enqueueRecord(
      sessionRecordInput({
        id,
        type: 'session',
        sessionId: `s${i}`,
        code: testCode(i + 1000 * ['pga', 'pgb', 'cli'].indexOf(prefix)),
        expires: '2027-06-01',
        paidCents: 800,
        completedAt: `2026-11-23T10:${String(i % 60).padStart(2, '0')}:00.000Z`,
        photoFile: join(booth.dir, 'photo.jpg'),
        signatureFile: join(booth.dir, 'signature.png'),
      }),
    );
    ids.push(id);
  }
  return ids;
}

t.test('booths → Mosquitto → two ingests on one PostgreSQL → acks: each record once, outboxes empty', async (t) => {
  const url = await server.createDatabase('e2e_ingest');
  const storeA = await openFleetStore({ db: url, dataDir: root });
  const storeB = await openFleetStore({ db: url, dataDir: root });
  t.equal(storeA.kind, 'postgres');
  const a = makeBooth(broker, 'PG-A');
  const b = makeBooth(broker, 'PG-B');
  await storeA.enrol('PG-A', a.fleet.signingPublicKeyPem);
  await storeB.enrol('PG-B', b.fleet.signingPublicKeyPem);
  const ingestA = await startIngest(broker, storeA);
  const ingestB = await startIngest(broker, storeB);
  t.teardown(async () => {
    await a.close();
    await b.close();
    await ingestA.close();
    await ingestB.close();
    await storeA.close();
    await storeB.close();
  });
  const expected = [...queueSessions(a, 'pga', 60), ...queueSessions(b, 'pgb', 60)].sort();
  a.fleet.start();
  b.fleet.start();
  await Promise.all([a.fleet.drained(), b.fleet.drained()]);
  t.equal(a.fleet.outbox.depth() + b.fleet.outbox.depth(), 0, 'both outboxes empty: every record acknowledged');
  t.same(await storeA.recordIds(), expected, 'each record exactly once');
  const counts = await storeB.counts();
  t.match(counts, { records: 120, codes: 120, rejects: 0 });
  const statsA = ingestA.ingest.getStats();
  const statsB = ingestB.ingest.getStats();
  t.equal(statsA.stored + statsB.stored, 120, 'stored once across both ingests');
  t.ok(statsA.received > 0 && statsB.received > 0, `the shared subscription split the load (${statsA.received} / ${statsB.received})`);
  const text = (await storeA.recordText('pga-007'))!;
  const record = JSON.parse(text) as { files: { photo: { base64: string } } };
  t.ok(Buffer.from(record.files.photo.base64, 'base64').equals(photo), 'the photo arrives intact');

  // The same signed bytes again (a resend after a lost ack): stored once, counted, acked.
  const id = broker.identity('PG-A');
  const raw = await connectAsync(broker.url, { protocolVersion: 5, ca: readFileSync(broker.ca!.certFile), cert: readFileSync(id.certFile), key: readFileSync(id.keyFile), reconnectPeriod: 0 });
  t.teardown(() => raw.endAsync());
  const acks: string[] = [];
  raw.on('message', (_topic, body) => acks.push(...(JSON.parse(body.toString()) as { ids: string[] }).ids));
  await raw.subscribeAsync(topics.recordsAck('PG-A'), { qos: 1 });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  const row = await client.query<{ record: string; sig: string; key_id: string }>("SELECT record, sig, key_id FROM records WHERE id = 'pga-000'");
  const stored = row.rows[0]!;
  const resend = JSON.stringify({ v: 1, booth: 'PG-A', keyId: stored.key_id, record: stored.record, sig: stored.sig });
  for (let i = 0; i < 3; i++) await raw.publishAsync(topics.records('PG-A'), resend, { qos: 1 });
  // (deliveries in one batch share one ack message: at least one ack, not necessarily three)
  await until('the duplicate acknowledged again', () => acks.includes('pga-000'));
  let deliveries = 0;
  const deadline = Date.now() + 30_000;
  while (deliveries < 4 && Date.now() < deadline) {
    deliveries = (await client.query<{ deliveries: number }>("SELECT deliveries FROM records WHERE id = 'pga-000'")).rows[0]?.deliveries ?? 0;
    if (deliveries < 4) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(deliveries, 4, 'each delivery counted on the one row');
  t.equal((await storeA.counts()).records, 120, 'still 120 records');
});

t.test('cabine fleet enrol / ingest / export with --db postgres://... and CABINE_FLEET_DB', async (t) => {
  const url = await server.createDatabase('e2e_cli');
  const booth = makeBooth(broker, 'PG-CLI');
  t.teardown(() => booth.close());
  const ids = queueSessions(booth, 'cli', 5);

  // enrol: sign a CSR with the broker's CA and register the signing key in PostgreSQL
  const csr = join(root, 'PG-CLI.csr');
  createCsr(join(root, 'PG-CLI.key'), csr, 'PG-CLI');
  const pub = join(root, 'PG-CLI.pub.pem');
  writeFileSync(pub, booth.fleet.signingPublicKeyPem);
  const enrol = await cabine(['fleet', 'enrol', '--booth', 'PG-CLI', '--csr', csr, '--signing-key', pub, '--ca-dir', join(broker.dir, 'ca'), '--out', join(root, 'PG-CLI.crt'), '--db', url, '--json']);
  t.equal(enrol.code, 0, enrol.stderr);
  t.match(JSON.parse(enrol.stdout), { booth: 'PG-CLI', keyId: booth.fleet.signingKeyId });

  // ingest as a process, database from the environment
  const op = broker.operator();
  const link = ['--url', broker.url, '--ca', broker.ca!.certFile, '--cert', op.certFile, '--key', op.keyFile];
  const ingest = spawn(process.execPath, [bin, 'fleet', 'ingest', ...link], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CABINE_LOG_LEVEL: 'warn', CABINE_FLEET_DB: url } });
  let out = '';
  let err = '';
  ingest.stdout.on('data', (d: Buffer) => (out += d.toString()));
  ingest.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise((r) => ingest.once('exit', r));
  t.teardown(() => ingest.kill('SIGKILL'));
  booth.fleet.start();
  await booth.fleet.drained();
  t.equal(booth.fleet.outbox.depth(), 0, 'acknowledged by the ingest process');
  ingest.kill('SIGTERM');
  await exited;
  t.match(JSON.parse(out), { stored: 5, records: 5, codes: 5 }, err);

  const json = await cabine(['fleet', 'export', '--db', url, '--format', 'json']);
  t.equal(json.code, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { code: string; recordId: string; booth: string; paidCents: number }[];
  t.same(rows.map((r) => r.recordId), ids, 'every code, once, oldest first');
  t.match(rows[0], { code: testCode(2000), booth: 'PG-CLI', paidCents: 800 });

  const files = join(root, 'export-files');
  const csv = await cabine(['fleet', 'export', '--since', '2026-11-23T10:03', '--files', files], { CABINE_FLEET_DB: url });
  t.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  t.equal(lines.length, 3, 'header + the two codes since 10:03');
  t.match(lines[1], new RegExp(`^${testCode(2003)},PG-CLI,s3,cli-003,2027-06-01,800,2026-11-23T10:03:00.000Z,`));
  t.ok(readFileSync(join(files, `${testCode(2004)}-photo.jpg`)).equals(photo), 'the photo file');

  const status = await cabine(['fleet', 'status', '--json', '--wait', '1.5', '--db', url, ...link]);
  t.equal(status.code, 0, status.stderr);
  const views = JSON.parse(status.stdout) as { booth: string; status?: { state: string }; store?: unknown }[];
  t.match(
    views.find((v) => v.booth === 'PG-CLI'),
    { status: { state: 'online' }, store: { enrolled: true, keyId: booth.fleet.signingKeyId, records: 5, codes: 5, lastRecordAt: '2026-11-23T10:04:00.000Z' } },
    'presence beside what the database holds',
  );
  t.match(views.find((v) => v.booth === 'PG-A'), { store: { enrolled: false, records: 0 } }, 'a booth the broker knows but this database does not');
  const human = await cabine(['fleet', 'status', '--wait', '1'].concat(link), { CABINE_FLEET_DB: url });
  t.match(human.stdout, /PG-CLI {2}online[^\n]*\n[^\n]*\n {4}enrolled \(key [0-9a-f]{16}\), 5 records, 5 codes, last record 2026-11-23T10:04:00.000Z/);

  const wrong = await cabine(['fleet', 'export', '--db', 'mysql://u:pw@h/db']);
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /--db must be a PostgreSQL URL/);
  t.notMatch(wrong.stderr, /:pw@/, 'no password echoed');
  const down = await cabine(['fleet', 'export', '--db', server.url('missing_db')]);
  t.equal(down.code, 1);
  t.match(down.stderr, /cabine: cannot open the fleet database postgres:\/\/postgres@127\.0\.0\.1:\d+\/missing_db: .*does not exist/);
});
