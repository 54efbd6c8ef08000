// Updates for real: two releases built from this tree and signed with an operator key, applied
// with `cabine update apply` to a booth (simulated devices) started and stopped by commands, as
// systemd would. The good release passes the health gate and stays; the bad one (it migrates
// the database, then crashes before it is ready) rolls back by itself, database restored.
// Bundles altered, signed by another key, or whose files would land outside the release are
// refused before anything is unpacked.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { entryProblem } from '../../src/update/bundle.ts';
import { releaseKeyPair } from './release-keys.ts';

// Three booth starts (vision models loaded each time) on a shared machine.
t.setTimeout(1_200_000);

const repo = fileURLToPath(new URL('../../', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'cabine-update-'));
const root = join(work, 'releases-root');
const data = join(work, 'data');
const pidFile = join(work, 'booth.pid');
mkdirSync(data);
t.teardown(() => {
  spawnSync('sh', ['-c', stopCmd]);
  rmSync(work, { recursive: true, force: true });
});

const operator = releaseKeyPair(work, 'release');
const stranger = releaseKeyPair(work, 'stranger');

/** An application tree staged from this checkout (no node_modules: the board's are carried over). */
function stage(name: string): string {
  const dir = join(work, `stage-${name}`);
  for (const entry of ['bin', 'src', 'models', 'package.json', 'package-lock.json']) cpSync(join(repo, entry), join(dir, entry), { recursive: true });
  return dir;
}

function cabine(args: string[]) {
  return spawnSync(process.execPath, [join(repo, 'bin/cabine.js'), ...args], { encoding: 'utf8', timeout: 600_000 });
}

function bundle(version: string, dir: string, key = operator.priv): string {
  const out = join(work, `cabine-${version}.bundle`);
  const r = cabine(['update', 'build', '--from', dir, '--release', version, '--key', key, '--out', out]);
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

// The booth as its unit runs it: started from root/current, stopped by SIGTERM.
const startCmd = `cd ${root}/current; CABINE_DATA_DIR=${data} CABINE_CAMERA_SOURCE=${join(repo, "test/fixtures/faces")} CABINE_UI_PORT=0 CABINE_UI_VOICE=false nohup ${process.execPath} bin/cabine.js start --sim >>${work}/booth.log 2>&1 & echo $! > ${pidFile}`;
const stopCmd = `if [ -f ${pidFile} ]; then p=$(cat ${pidFile}); kill $p 2>/dev/null; while kill -0 $p 2>/dev/null; do sleep 0.2; done; rm -f ${pidFile}; fi; true`;
const crashedCmd = `! kill -0 $(cat ${pidFile}) 2>/dev/null`;
const gate = ['--root', root, '--data', data, '--key', operator.pub, '--timeout', '300', '--start-cmd', startCmd, '--stop-cmd', stopCmd, '--crashed-cmd', crashedCmd, '--json'];

function ready(): { release: string; pid: number } | null {
  try {
    return JSON.parse(readFileSync(join(data, 'ready.json'), 'utf8')) as { release: string; pid: number };
  } catch {
    return null;
  }
}

function tables(): string[] {
  const db = new Database(join(data, 'booth.db'), { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

t.test('entries that would leave the release are refused', async (t) => {
  t.equal(entryProblem('-rw-r--r-- 0/0 12 2026-01-01 00:00 src/a.ts'), null);
  t.equal(entryProblem('lrwxrwxrwx 0/0 0 2026-01-01 00:00 node_modules/.bin/tsx -> ../tsx/dist/cli.mjs'), null);
  t.match(entryProblem('-rw-r--r-- 0/0 12 2026-01-01 00:00 ../etc/cron.d/x'), /outside the release/);
  t.match(entryProblem('-rw-r--r-- 0/0 12 2026-01-01 00:00 /etc/passwd'), /outside the release/);
  t.match(entryProblem('-rw-r--r-- 0/0 12 2026-01-01 00:00 src/../../x'), /outside the release/);
  t.match(entryProblem('lrwxrwxrwx 0/0 0 2026-01-01 00:00 src/x -> /etc/shadow'), /link outside/);
  t.match(entryProblem('lrwxrwxrwx 0/0 0 2026-01-01 00:00 src/x -> ../../etc/shadow'), /link outside/);
  t.match(entryProblem('hrw-r--r-- 0/0 0 2026-01-01 00:00 src/x link to /etc/shadow'), /hard link/);
  t.match(entryProblem('crw-r--r-- 0/0 1,3 2026-01-01 00:00 dev/null'), /special file/);
});

t.test('a good release stays, a bad one rolls back by itself with its database', async (t) => {
  // The board as provisioning leaves it: release 1.0.0 current, its node_modules installed.
  const v1 = stage('1.0.0');
  mkdirSync(join(root, 'releases'), { recursive: true });
  cpSync(v1, join(root, 'releases/1.0.0'), { recursive: true });
  writeFileSync(join(root, 'releases/1.0.0/release.json'), '{"version":"1.0.0"}\n');
  symlinkSync(join(repo, 'node_modules'), join(root, 'releases/1.0.0/node_modules'));
  symlinkSync('releases/1.0.0', join(root, 'current'));
  t.equal(spawnSync('sh', ['-c', startCmd]).status, 0);
  const deadline = Date.now() + 300_000; // a shared CI machine can take minutes to load the models
  while (ready()?.release !== '1.0.0' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
  t.equal(ready()?.release, '1.0.0', 'release 1.0.0 running');
  const tablesBefore = tables();
  t.ok(tablesBefore.length > 0, 'the booth made its database');

  // Good release: reaches ready, passes its self-test, stays.
  const good = bundle('2.0.0', stage('2.0.0'));
  const applied = cabine(['update', 'apply', good, ...gate]);
  t.equal(applied.status, 0, applied.stderr);
  t.match(JSON.parse(applied.stdout), { phase: 'done', from: '1.0.0', to: '2.0.0' });
  t.equal(ready()?.release, '2.0.0', 'release 2.0.0 running');

  // Bad release: migrates the database, then dies before it is ready.
  const badDir = stage('3.0.0');
  // (The booth's composition root, imported by `start` only: the release still installs.)
  const compose = join(badDir, 'src/booth/compose.ts');
  writeFileSync(compose, `import BadMigration from 'better-sqlite3';
const db = new BadMigration(process.env.CABINE_DATA_DIR + '/booth.db');
db.exec('CREATE TABLE migrated_by_3 (x INTEGER)');
db.close();
throw new Error('release 3.0.0 cannot start');
${readFileSync(compose, 'utf8')}`);
  const bad = bundle('3.0.0', badDir);
  const failed = cabine(['update', 'apply', bad, ...gate]);
  t.equal(failed.status, 1, 'apply says the update failed');
  const state = JSON.parse(failed.stdout) as { phase: string; from: string; to: string; reason: string };
  t.match(state, { phase: 'rolled-back', from: '2.0.0', to: '3.0.0' });
  t.match(state.reason, /crashed before it was ready/);
  t.equal(ready()?.release, '2.0.0', 'release 2.0.0 running again');
  t.notOk(tables().includes('migrated_by_3'), "the bad release's migration is gone: database restored");
  t.same(tables().sort(), tablesBefore.sort());

  const status = JSON.parse(cabine(['update', 'status', ...gate]).stdout) as { current: string; previous: string; releases: string[]; last: { phase: string } };
  t.equal(status.current, '2.0.0');
  t.equal(status.last.phase, 'rolled-back');
  t.ok(status.releases.length <= 3, 'old releases pruned');

  // Refused before unpacking: altered payload, another key, a file outside the release.
  const releasesBefore = readdirSync(join(root, 'releases')).sort();
  const altered = join(work, 'altered.bundle');
  const bytes = readFileSync(good);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0xff, bytes.length - 100);
  writeFileSync(altered, bytes);
  const a = cabine(['update', 'apply', altered, ...gate]);
  t.equal(a.status, 1);
  t.match(a.stderr, /altered/);
  const foreign = cabine(['update', 'apply', bundle('4.0.0', stage('4.0.0'), stranger.priv), ...gate]);
  t.equal(foreign.status, 1);
  t.match(foreign.stderr, /signature is not the release key's/);
  const evilDir = stage('5.0.0');
  symlinkSync('../../../../../etc/passwd', join(evilDir, 'src/passwd'));
  const evil = cabine(['update', 'apply', bundle('5.0.0', evilDir), ...gate]);
  t.equal(evil.status, 1);
  t.match(evil.stderr, /link outside the release refused/);
  t.same(readdirSync(join(root, 'releases')).sort(), releasesBefore, 'nothing unpacked');
  t.equal(ready()?.release, '2.0.0', 'the booth never stopped');
  t.ok(existsSync(join(root, 'current/bin/cabine.js')));
});
