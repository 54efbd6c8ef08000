// Updates from the fleet, on a real Mosquitto (TLS, ACL): the `update` command (validated,
// refused during a customer session), the booth's download, hash and signature checks and the
// staging for the updater, the outcome in telemetry, and the operator's staged roll-out
// (`cabine fleet rollout`): a fraction of the booths, stopping after a number of failures.
// The root side (cabine-update.service running `cabine update apply-request`, health gate,
// rollback) is test/deploy/update.test.ts's; here a stand-in plays it over the same files:
// it takes the request, verifies and unpacks the bundle, and the release's own marker says
// whether it passes the gate (a bad release fails it on every booth, as in life); a passing
// release restarts the booth on the new version.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOperator, fleetSnapshot, requestCommand } from '../../src/fleet/operator/client.ts';
import { chooseBooths, rollout } from '../../src/fleet/operator/rollout.ts';
import type { UpdateReport } from '../../src/fleet/schemas.ts';
import { silentLogger } from '../../src/log.ts';
import { UpdateAgent } from '../../src/update/agent.ts';
import { buildBundle, loadPublicKey, unpackBundle, verifyBundle } from '../../src/update/bundle.ts';
import { incomingDir, pendingRequest, requestFile, takeRequest } from '../../src/update/request.ts';
import type { UpdateState } from '../../src/update/updater.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { makeBooth, until, type TestBooth } from '../fleet/helpers/booth.ts';
import { releaseKeyPair } from './release-keys.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());
const op = broker.operator();
const link = { url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile };
const work = mkdtempSync(join(tmpdir(), 'cabine-fleet-update-'));
t.teardown(() => rmSync(work, { recursive: true, force: true }));

const releaseKey = releaseKeyPair(work, 'release');
const stranger = releaseKeyPair(work, 'stranger');

/** A small release tree whose marker says how it fares at the health gate. */
function bundle(version: string, gate: 'passes' | 'crashes', key = releaseKey.priv): { file: string; sha256: string; url: string; version: string } {
  const tree = join(work, `tree-${version}`);
  mkdirSync(join(tree, 'bin'), { recursive: true });
  mkdirSync(join(tree, 'src'), { recursive: true });
  writeFileSync(join(tree, 'bin/cabine.js'), '// release entry\n');
  writeFileSync(join(tree, 'src/gate.txt'), gate);
  writeFileSync(join(tree, 'package.json'), JSON.stringify({ name: 'cabine', version }));
  const name = `cabine-${version}${key === releaseKey.priv ? '' : '-stranger'}.bundle`;
  const file = join(work, name);
  buildBundle({ fromDir: tree, version, keyFile: key, out: file });
  return { file, sha256: createHash('sha256').update(readFileSync(file)).digest('hex'), url: `${server.url}/${name}`, version };
}

// The operator's bundle server; it counts the downloads of each file.
const downloads = new Map<string, number>();
const http = createServer((req, res) => {
  const name = (req.url ?? '/').slice(1);
  downloads.set(name, (downloads.get(name) ?? 0) + 1);
  const file = join(work, name);
  if (!/^[\w.+-]+\.bundle$/.test(name) || !existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
t.teardown(() => new Promise<void>((resolve) => http.close(() => resolve())));
const address = http.address();
const server = { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` };
const downloaded = (b: { url: string }) => downloads.get(b.url.slice(server.url.length + 1)) ?? 0;

const good = bundle('2.0.0', 'passes');
const bad = bundle('2.0.1-bad', 'crashes');
const foreign = bundle('2.0.2', 'passes', stranger.priv);

/** A booth of the fleet with the real update agent, and the updater's side played over its files. */
interface FleetBooth {
  id: string;
  dir: string;
  root: string;
  booth: TestBooth;
  agent: UpdateAgent;
  version: string;
  applied: string[];
}

async function startBooth(t: Test, id: string, options: { step?: string; updater?: boolean } = {}): Promise<FleetBooth> {
  const dir = mkdtempSync(join(work, `${id}-`));
  const fb = { id, dir, root: join(dir, 'releases-root'), version: '1.0.0', applied: [] } as unknown as FleetBooth;
  mkdirSync(fb.root);
  const boot = (version: string) => {
    fb.version = version;
    fb.agent = new UpdateAgent({ dataDir: dir, releaseKeyFile: releaseKey.pub, releasesRoot: fb.root, currentVersion: version, logger: silentLogger(), pollMs: 100, onChange: () => void fb.booth.fleet.publishTelemetry() });
    fb.booth = makeBooth(broker, id, {
      dir,
      version,
      hooks: {
        update: (request) => fb.agent.request(request),
        updateReport: () => fb.agent.report(),
        status: () => ({ sales: { enabled: true }, step: options.step ?? 'idle' }),
      },
    });
    fb.booth.fleet.start();
    fb.agent.start();
  };
  boot('1.0.0');
  let stopped = false;
  // cabine-update.path + cabine-update.service, played: request taken, bundle verified and unpacked, gate.
  const updater = async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 100));
      if (!pendingRequest(dir)) continue;
      const request = takeRequest(dir);
      const verified = await verifyBundle(request.bundlePath, loadPublicKey(releaseKey.pub));
      const tree = join(fb.root, 'releases', request.version);
      rmSync(tree, { recursive: true, force: true });
      mkdirSync(join(fb.root, 'releases'), { recursive: true });
      unpackBundle(verified, tree);
      rmSync(request.bundlePath);
      fb.applied.push(request.version);
      const passes = readFileSync(join(tree, 'src/gate.txt'), 'utf8') === 'passes';
      const now = new Date(Date.now() + 1).toISOString();
      const state: UpdateState = passes
        ? { phase: 'done', from: fb.version, to: request.version, snapshot: null, startedAt: now, endedAt: now }
        : { phase: 'rolled-back', from: fb.version, to: request.version, snapshot: null, startedAt: now, endedAt: now, reason: 'the booth crashed before it was ready' };
      // The booth is stopped for the switch, and started on the release that stays.
      fb.agent.stop();
      await fb.booth.close();
      writeFileSync(join(fb.root, 'state.json'), JSON.stringify(state));
      boot(passes ? request.version : fb.version);
    }
  };
  const loop = options.updater === false ? Promise.resolve() : updater();
  t.teardown(async () => {
    stopped = true;
    await loop;
    fb.agent.stop();
    await fb.booth.close();
  });
  await until(`${id} connected`, () => fb.booth.fleet.listening);
  return fb;
}

async function operator(t: Test) {
  const conn = await connectOperator(link, silentLogger(), 'test');
  t.teardown(() => conn.stop());
  return conn;
}

async function lastReport(conn: Awaited<ReturnType<typeof operator>>, booth: string, until: (r: UpdateReport | undefined) => boolean): Promise<UpdateReport | undefined> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const view = (await fleetSnapshot(conn, 300)).find((v) => v.booth === booth);
    if (until(view?.telemetry?.update) || Date.now() > deadline) return view?.telemetry?.update;
  }
}

t.test('the update command is checked at the edge and refused during a customer session', async (t) => {
  const idle = await startBooth(t, 'UPD-IDLE', { updater: false });
  const busy = await startBooth(t, 'UPD-BUSY', { step: 'capture', updater: false });
  const plain = makeBooth(broker, 'UPD-PLAIN');
  t.teardown(() => plain.close());
  plain.fleet.start();
  await until('plain booth connected', () => plain.fleet.listening);
  const conn = await operator(t);
  const ok = { url: good.url, sha256: good.sha256, version: good.version };
  for (const [args, why] of [
    [{ ...ok, url: 'ftp://127.0.0.1/x.bundle' }, 'http(s) only'],
    [{ ...ok, url: 'http://user:pw@127.0.0.1/x.bundle' }, 'no credentials'],
    [{ ...ok, sha256: 'abc' }, 'a sha256 of 64 hex digits'],
    [{ ...ok, version: '../../etc' }, 'a release version, not a path'],
    [{ ...ok, extra: true }, 'no unknown keys'],
  ] as const) {
    const answer = await requestCommand(conn, idle.id, 'update', args);
    t.equal(answer.ok ? 'ok' : answer.error.code, 'invalid-args', why);
  }
  const refused = await requestCommand(conn, busy.id, 'update', ok);
  t.equal(refused.ok ? 'ok' : refused.error.code, 'busy', 'refused while a customer is in the booth');
  t.match(refused.ok ? '' : refused.error.message, /session is under way/);
  const forced = await requestCommand(conn, busy.id, 'update', { ...ok, force: true });
  t.equal(forced.ok ? 'ok' : forced.error.code, 'invalid-args', 'no force for an update');
  const unset = await requestCommand(conn, plain.id, 'update', ok);
  t.match(unset.ok ? '' : unset.error.message, /not set up/, 'a booth without a release key or releases root says so');
  t.equal(downloaded(good), 0, 'nothing was downloaded');
  t.equal(existsSync(incomingDir(busy.dir)), false, 'nothing staged on the busy booth');
});

t.test('a bundle whose hash or signature is wrong is never staged; telemetry says why', async (t) => {
  const b = await startBooth(t, 'UPD-CHECK', { updater: false });
  const conn = await operator(t);

  const wrongHash = await requestCommand(conn, b.id, 'update', { url: good.url, sha256: 'f'.repeat(64), version: good.version });
  t.same(wrongHash, { ok: true, command: 'update', result: { version: good.version, state: 'downloading' } }, 'accepted at once, checked in the background');
  let report = await lastReport(conn, b.id, (r) => r?.state === 'failed');
  t.equal(report?.state, 'failed');
  t.match(report?.reason, /sha256 is [0-9a-f]{64}, the operator gave f{64}: refused/);
  t.equal(pendingRequest(b.dir), false, 'no request for the updater');
  t.same(readdirSync(incomingDir(b.dir)), [], 'the download was deleted');

  const other = await requestCommand(conn, b.id, 'update', { url: foreign.url, sha256: foreign.sha256, version: foreign.version });
  t.equal(other.ok, true);
  report = await lastReport(conn, b.id, (r) => r?.state === 'failed' && r.version === foreign.version);
  t.match(report?.reason, /signature is not the release key's/, "another key's bundle is refused");
  t.equal(pendingRequest(b.dir), false);

  const missing = await requestCommand(conn, b.id, 'update', { url: `${server.url}/nothing.bundle`, sha256: good.sha256, version: '2.0.9' });
  t.equal(missing.ok, true);
  report = await lastReport(conn, b.id, (r) => r?.state === 'failed' && r.version === '2.0.9');
  t.match(report?.reason, /HTTP 404/);

  const mislabelled = await requestCommand(conn, b.id, 'update', { url: good.url, sha256: good.sha256, version: '2.0.8' });
  t.equal(mislabelled.ok, true);
  report = await lastReport(conn, b.id, (r) => r?.state === 'failed' && r.version === '2.0.8');
  t.match(report?.reason, /is release 2\.0\.0, 2\.0\.8 was asked for/, 'the signed version must be the one asked for');

  // The good one is staged for the updater; a second request meanwhile is refused.
  const staged = await requestCommand(conn, b.id, 'update', { url: good.url, sha256: good.sha256, version: good.version });
  t.equal(staged.ok, true);
  report = await lastReport(conn, b.id, (r) => r?.state === 'staged');
  t.equal(report?.version, good.version);
  t.ok(existsSync(requestFile(b.dir)), 'request.json written for cabine-update.path');
  t.same(readdirSync(incomingDir(b.dir)), ['2.0.0.bundle']);
  const again = await requestCommand(conn, b.id, 'update', { url: bad.url, sha256: bad.sha256, version: bad.version });
  t.match(again.ok ? '' : again.error.message, /already under way/);
  const same = await requestCommand(conn, b.id, 'update', { url: good.url, sha256: good.sha256, version: '1.0.0' });
  t.match(same.ok ? '' : same.error.message, /already running/);
});

t.test('a staged roll-out: a fraction gets the good release; a bad release stops after N failures', async (t) => {
  const ids = ['ROLL-1', 'ROLL-2', 'ROLL-3', 'ROLL-4', 'ROLL-5'];
  const booths = await Promise.all(ids.map((id) => startBooth(t, id)));
  const conn = await operator(t);
  const expected = chooseBooths(ids, good.version, 0.4).chosen;
  t.equal(expected.length, 2, '40% of 5 booths');

  const goodBefore = downloaded(good);
  // The operator's command, as run by hand.
  const cli = spawn(process.execPath, [join(import.meta.dirname, '../../bin/cabine.js'), 'fleet', 'rollout', '--url', link.url, '--ca', link.caFile, '--cert', link.certFile, '--key', link.keyFile,
    '--bundle-url', good.url, '--bundle', good.file, '--release', good.version, '--fraction', '0.4', '--prefix', 'ROLL-', '--timeout', '60', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  cli.stdout.on('data', (d: Buffer) => (out += d.toString()));
  cli.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
  t.equal(code, 0, err);
  const first = JSON.parse(out) as { updated: string[]; failed: unknown[]; chosen: string[]; left: string[] };
  t.same([...first.chosen].sort(), [...expected].sort(), 'the sample of this release');
  t.same([...first.updated].sort(), [...expected].sort(), 'both updated');
  t.same(first.failed, []);
  t.equal(first.left.length, 3);
  t.equal(downloaded(good) - goodBefore, 2, 'only the chosen booths downloaded it');
  const views = await fleetSnapshot(conn, 500);
  for (const b of booths) {
    const v = views.find((x) => x.booth === b.id);
    const chosen = expected.includes(b.id);
    t.equal(v?.status?.version, chosen ? '2.0.0' : '1.0.0', `${b.id} runs ${chosen ? 'the new' : 'its'} release`);
    if (chosen) t.equal(v?.telemetry?.update?.state, 'done', `${b.id} reports the update done`);
  }

  // The bad release to every booth, at most 2 failures: the roll-out stops.
  const badBefore = downloaded(bad);
  const lines: string[] = [];
  const second = await rollout(conn, { release: { url: bad.url, sha256: bad.sha256, version: bad.version }, fraction: 1, prefix: 'ROLL-', maxFailures: 2, parallel: 1, timeoutMs: 60_000, snapshotMs: 500, log: (l) => lines.push(l) });
  t.equal(second.chosen.length, 5);
  t.equal(second.failed.length, 2, 'two failures');
  for (const f of second.failed) t.match(f.reason, /rolled-back: the booth crashed before it was ready/);
  t.same(second.updated, []);
  t.equal(second.notAsked.length, 3, 'the other three were never asked');
  t.equal(second.stopped, true);
  t.equal(downloaded(bad) - badBefore, 2, 'the bad bundle went to two booths only');
  for (const b of booths) {
    t.equal(b.version, expected.includes(b.id) ? '2.0.0' : '1.0.0', `${b.id} kept its release`);
    t.equal(b.applied.includes(bad.version), second.failed.some((f) => f.booth === b.id), `${b.id}: the updater ran the bad release only where the roll-out sent it`);
  }
  t.match(lines.join('\n'), /stopped after 2 failures: 3 booths not asked/);
});
