// The `cabine` command as a user runs it: a real child process.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = new URL('../../bin/cabine.js', import.meta.url).pathname;

function cabine(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
}

t.test('--version and --help', async (t) => {
  const version = cabine(['--version']);
  t.equal(version.status, 0);
  t.match(version.stdout, /^\d+\.\d+\.\d+/);
  const help = cabine(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /start/);
  t.match(help.stdout, /devices/);
  t.match(help.stdout, /config/);
});

t.test('config check: ok, then a clear error and exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-cli-'));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'booth:\n  id: LYON-3\n');
  const ok = cabine(['config', 'check', good]);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /ok \(booth LYON-3/);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'ui:\n  port: 99999\n');
  const failed = cabine(['config', 'check', bad]);
  t.equal(failed.status, 1);
  t.match(failed.stderr, /ui\.port.*got 99999/);
  t.notMatch(failed.stderr, /at .*\.ts:\d+/, 'no stack trace for bad input');
});

t.test('start refuses an invalid configuration', async (t) => {
  const result = cabine(['start', '--sim'], { CABINE_PAYMENT_PRICE_CENTS: '-5', CABINE_DATA_DIR: mkdtempSync(join(tmpdir(), 'cabine-cli-')) });
  t.equal(result.status, 1);
  t.match(result.stderr, /payment\.priceCents.*got -5/);
});

t.test('start --sim logs ready, then stops cleanly on SIGTERM', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-start-'));
  const child = spawn(process.execPath, [bin, 'start', '--sim'], {
    env: { ...process.env, CABINE_DATA_DIR: dataDir, CABINE_UI_PORT: '0', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/"msg":"ready"/.test(stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });
  const ready = JSON.parse(stderr.split('\n').find((l) => l.includes('"msg":"ready"')) ?? '{}') as Record<string, unknown>;
  t.equal(ready.simulated, true);
  t.equal(ready.dataDir, dataDir);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
  t.equal(exitCode, 0, stderr);
  t.match(stderr, /"msg":"stopped"/);
});

t.test('devices --sim lists the seven devices (the card reader simulated beside the coin acceptor), each simulated and ok', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-devices-'));
  const result = cabine(['devices', '--sim', '--json'], { CABINE_DATA_DIR: dataDir });
  t.equal(result.status, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as { name: string; driver: string; simulated: boolean; health: string }[];
  t.same(rows.map((r) => r.name), ['lighting', 'curtain', 'touch', 'camera', 'coinAcceptor', 'cardReader', 'printer']);
  for (const row of rows) {
    t.equal(row.simulated, true, `${row.name} simulated`);
    t.equal(row.health, 'ok', `${row.name} ok`);
  }
});

t.test('devices without --sim on a machine without the hardware: each says why, no crash', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-devices-'));
  const result = cabine(['devices', '--json'], { CABINE_DATA_DIR: dataDir, CABINE_HAL_SYSFS_ROOT: dataDir });
  t.equal(result.status, 0, result.stderr);
  const rows = JSON.parse(result.stdout) as { name: string; simulated: boolean; health: string; detail?: string }[];
  t.same(rows.map((r) => r.name).sort(), ['camera', 'cardReader', 'coinAcceptor', 'curtain', 'lighting', 'printer', 'touch'], 'every device, the ones the booth does not have absent');
  for (const row of rows) {
    t.equal(row.simulated, false);
    t.not(row.health, 'ok', `${row.name}: ${row.health}`);
    t.ok(row.detail, `${row.name} says why: ${row.detail}`);
  }
});
