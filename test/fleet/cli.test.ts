// The operator's `cabine fleet` commands end to end, as an operator runs them: make the PKI,
// start Mosquitto with the generated files, keygen + enrol a booth, ingest its records, look
// at the fleet, steer the booth, export the codes.
import t from 'tap';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createFleet } from '../../src/fleet/fleet.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/db.ts';
import { freePort } from './helpers/broker.ts';
import { recordingHooks, until } from './helpers/booth.ts';
import { testCode } from './helpers/codes.ts';

const bin = join(import.meta.dirname, '../../bin/cabine.js');
const root = mkdtempSync(join(tmpdir(), 'cabine-fleetcli-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

function cabine(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, CABINE_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const pki = join(root, 'pki');
const port = await freePort();
const made = await cabine(['fleet', 'ca', '--dir', pki, '--port', String(port), '--bind', '127.0.0.1']);
if (made.code !== 0) throw new Error(`cabine fleet ca failed: ${made.stderr}`);
appendFileSync(join(pki, 'mosquitto.conf'), `user ${userInfo().username}\n`);
const mosquitto = spawn('mosquitto', ['-c', join(pki, 'mosquitto.conf')], { stdio: 'ignore' });
t.teardown(() => mosquitto.kill('SIGKILL'));
await new Promise((r) => setTimeout(r, 500));

const url = `mqtts://localhost:${port}`;
const link = ['--url', url, '--ca', join(pki, 'ca/ca.crt'), '--cert', join(pki, 'operator/operator.crt'), '--key', join(pki, 'operator/operator.key')];
const boothDir = join(root, 'booth');
const fleetData = join(root, 'fleet-data');
const boothConfigFile = join(root, 'booth.json');
writeFileSync(
  boothConfigFile,
  JSON.stringify({
    booth: { id: 'CLI-1' },
    data: { dir: boothDir },
    fleet: { url, caFile: join(pki, 'ca/ca.crt'), certFile: join(boothDir, 'CLI-1.crt'), keyFile: join(boothDir, 'fleet-client.key'), telemetrySeconds: 1 },
  }),
);

t.test('keygen on the booth, enrol at the operator', async (t) => {
  const keygen = await cabine(['fleet', 'keygen', '-c', boothConfigFile, '--json']);
  t.equal(keygen.code, 0, keygen.stderr);
  const keys = JSON.parse(keygen.stdout) as { csr: string; signingPublicKey: string; keyId: string };
  const wrong = await cabine(['fleet', 'enrol', '--booth', 'CLI-2', '--csr', keys.csr, '--signing-key', keys.signingPublicKey, '--ca-dir', join(pki, 'ca'), '--data', fleetData]);
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, /the CSR is for "CLI-1", not "CLI-2"/);
  const enrol = await cabine(['fleet', 'enrol', '--booth', 'CLI-1', '--csr', keys.csr, '--signing-key', keys.signingPublicKey, '--ca-dir', join(pki, 'ca'), '--out', join(boothDir, 'CLI-1.crt'), '--data', fleetData, '--json']);
  t.equal(enrol.code, 0, enrol.stderr);
  t.match(JSON.parse(enrol.stdout), { booth: 'CLI-1', keyId: keys.keyId });
});

t.test('ingest, status, cmd, config, export', async (t) => {
  const config = loadConfig({ file: boothConfigFile });
  const store = openStore(config.data.dir);
  const { hooks, calls } = recordingHooks();
  const fleet = createFleet(config, { store, logger: silentLogger(), hooks, version: '9.9.9', tuning: { ackTimeoutMs: 1000 } });
  t.teardown(async () => {
    await fleet.stop();
    store.close();
  });
  for (let i = 0; i < 3; i++) {
    fleet.enqueueRecord({ id: `cli-${i}`, type: 'session', data: { code: testCode(i), sessionId: `s${i}`, paidCents: 800, expires: '2027-05-01' }, files: { photo: Buffer.from([0xff, 0xd8, 0xff, i]) } });
  }
  fleet.start();
  const ingest = spawn(process.execPath, [bin, 'fleet', 'ingest', '--data', fleetData, ...link], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, CABINE_LOG_LEVEL: 'warn' } });
  let ingestOut = '';
  ingest.stdout.on('data', (d: Buffer) => (ingestOut += d.toString()));
  const ingestExit = new Promise((r) => ingest.once('exit', r));
  t.teardown(() => ingest.kill('SIGKILL'));
  await fleet.drained();
  ingest.kill('SIGTERM');
  await ingestExit;
  t.match(JSON.parse(ingestOut), { stored: 3, records: 3, codes: 3 });

  await until('telemetry', () => fleet.listening);
  const status = await cabine(['fleet', 'status', '--json', '--wait', '1.5', ...link]);
  t.equal(status.code, 0, status.stderr);
  t.match(JSON.parse(status.stdout), [{ booth: 'CLI-1', status: { state: 'online', version: '9.9.9' }, telemetry: { outbox: { depth: 0 } } }]);
  const human = await cabine(['fleet', 'status', '--wait', '1', ...link]);
  t.match(human.stdout, /CLI-1 {2}online v9\.9\.9 {2}selling/);

  const price = await cabine(['fleet', 'cmd', 'CLI-1', 'set-price', '{"cents":900}', ...link]);
  t.equal(price.code, 0, price.stderr);
  t.same(calls.price, [900]);
  const unknown = await cabine(['fleet', 'cmd', 'CLI-1', 'explode', ...link]);
  t.equal(unknown.code, 1);
  t.match(JSON.parse(unknown.stdout), { ok: false, error: { code: 'unknown-command' } });

  const cfg = await cabine(['fleet', 'config', 'CLI-1', 'payment.priceCents=950', ...link]);
  t.equal(cfg.code, 0, cfg.stderr);
  t.match(JSON.parse(cfg.stdout), { ok: true, applied: { 'payment.priceCents': 950 } });
  const denied = await cabine(['fleet', 'config', 'CLI-1', 'fleet.url=mqtt://elsewhere', ...link]);
  t.equal(denied.code, 1);
  t.match(JSON.parse(denied.stdout), { ok: false, refused: [{ key: 'fleet.url' }] });
  const badKey = await cabine(['fleet', 'config', 'CLI-1', 'no.such=1', ...link]);
  t.equal(badKey.code, 1);
  t.match(badKey.stderr, /unknown config key "no.such"/);

  const files = join(root, 'export-files');
  const csv = await cabine(['fleet', 'export', '--data', fleetData, '--files', files]);
  t.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split('\n');
  t.equal(lines.length, 4);
  t.match(lines[1], new RegExp(`^${testCode(0)},CLI-1,s0,cli-0,2027-05-01,800,`));
  t.same([...readFileSync(join(files, `${testCode(2)}-photo.jpg`))], [0xff, 0xd8, 0xff, 2]);
  const bad = await cabine(['fleet', 'export', '--data', fleetData, '--format', 'xml']);
  t.equal(bad.code, 1);
});

t.test('the ingest purges photos past their time, as the collector does (an operator may run only the ingest)', async (t) => {
  const { openSqliteCollectorStore } = await import('../../src/collector/store-sqlite.ts');
  const before = openSqliteCollectorStore(fleetData);
  const twoDaysAgo = new Date(Date.now() - 48 * 3600_000).toISOString();
  t.ok(await before.use(testCode(0), 'test-client', twoDaysAgo), 'code 0 used two days ago');
  t.ok(await before.use(testCode(1), 'test-client', new Date().toISOString()), 'code 1 used just now');
  await before.close();

  const off = await cabine(['fleet', 'ingest', '--data', fleetData, '--seconds', '0.5', '--purge-every', '0', ...link]);
  t.equal(off.code, 0, off.stderr);
  const bad = await cabine(['fleet', 'ingest', '--data', fleetData, '--seconds', '0.5', '--purge-grace-hours', 'soon', ...link]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /--purge-grace-hours must be a number from 0 to 8784, got "soon"/);
  const notYet = openSqliteCollectorStore(fleetData);
  t.equal((await notYet.lookup(testCode(0)))?.purgedAt, null, '--purge-every 0: nothing purged');
  await notYet.close();

  // --seconds stops the ingest after its first pass (stop waits for a pass under way).
  const run = await cabine(['fleet', 'ingest', '--data', fleetData, '--seconds', '0.5', ...link]);
  t.equal(run.code, 0, run.stderr);
  const after = openSqliteCollectorStore(fleetData);
  t.teardown(() => after.close());
  t.ok((await after.lookup(testCode(0)))?.purgedAt, 'used beyond the 24 h grace: purged');
  t.match(JSON.parse((await after.recordText(testCode(0))) ?? '{}'), { files: { photo: { base64: '' } } }, 'its photo bytes are gone');
  t.equal((await after.lookup(testCode(1)))?.purgedAt, null, 'used within the grace: kept');
  t.equal((await after.lookup(testCode(2)))?.purgedAt, null, 'unused and valid: kept');
  t.match((await after.auditOf(testCode(0))).map((a) => [a.action, a.result, a.detail]), [['pull', 'delivered', null], ['purge', 'purged', 'used']], 'the purge is audited');
});
