// The purge's options are one definition (src/collector/purge-options.ts) for both commands
// that purge the fleet store: the same defaults, the same meaning of --purge-every 0 (this
// process does not purge), and the same message for a bad value from `cabine collector` and
// `cabine fleet ingest`.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { purgeSchedule } from '../../src/collector/purge-options.ts';

const bin = new URL('../../bin/cabine.js', import.meta.url).pathname;

t.test('the values: defaults, 0, decimals, and every bad value refused with a message naming the option', async (t) => {
  t.same(purgeSchedule({ purgeGraceHours: '24', purgeEvery: '600' }), { graceMs: 24 * 3600_000, everyMs: 600_000 });
  t.same(purgeSchedule({ purgeGraceHours: '0', purgeEvery: '0' }), { graceMs: 0, everyMs: undefined }, '--purge-every 0: not in this process');
  t.same(purgeSchedule({ purgeGraceHours: '0.5', purgeEvery: '8784' }), { graceMs: 1800_000, everyMs: 8784_000 });
  t.same(purgeSchedule({ purgeGraceHours: '8784', purgeEvery: '86400' }), { graceMs: 8784 * 3600_000, everyMs: 86400_000 }, 'the limits are allowed');
  for (const bad of ['soon', '', '-1', '1e3', ' 5', '8785', 'Infinity', 'NaN', '0x10']) {
    t.throws(() => purgeSchedule({ purgeGraceHours: bad, purgeEvery: '600' }), { message: `--purge-grace-hours must be a number from 0 to 8784, got "${bad}"` }, `grace "${bad}"`);
  }
  for (const bad of ['later', '-5', '86401', '1e2']) {
    t.throws(() => purgeSchedule({ purgeGraceHours: '24', purgeEvery: bad }), { message: `--purge-every must be a number from 0 to 86400, got "${bad}"` }, `every "${bad}"`);
  }
});

const cabine = (args: string[]) =>
  new Promise<{ code: number; stderr: string }>((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, CABINE_LOG_LEVEL: 'warn' } }, (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
  });

t.test('both commands refuse a bad value with the same message, before touching the store', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-purge-options-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'never-made');
  for (const [option, value, message] of [
    ['--purge-grace-hours', 'soon', '--purge-grace-hours must be a number from 0 to 8784, got "soon"'],
    ['--purge-every', '-5', '--purge-every must be a number from 0 to 86400, got "-5"'],
  ] as const) {
    const [collector, ingest] = await Promise.all([
      cabine(['collector', '--data', data, '--insecure-http', '--listen', '127.0.0.1:0', option, value]),
      cabine(['fleet', 'ingest', '--data', data, '--url', 'mqtt://127.0.0.1:1', option, value]),
    ]);
    for (const [name, run] of [['collector', collector], ['fleet ingest', ingest]] as const) {
      t.equal(run.code, 1, `${name} ${option} ${value}: exit 1`);
      t.match(run.stderr, message, `${name}: the one message`);
    }
  }
  t.notOk(existsSync(data), 'no store was made');
});
