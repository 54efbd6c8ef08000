// `cabine code check` and `cabine code generate` as an operator runs them.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/db.ts';
import { checkCode, formatCode, generateCode } from '../../src/codes/code.ts';
import { createCodeRegistry } from '../../src/codes/registry.ts';

const bin = new URL('../../bin/cabine.js', import.meta.url).pathname;
const cabine = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

t.test('code check --json: valid, corrected, malformed', async (t) => {
  const code = generateCode('9CAB');
  const ok = cabine(['code', 'check', formatCode(code).replace(/ /g, '-').toLowerCase(), '--json']);
  t.equal(ok.status, 0, ok.stderr);
  const parsed = JSON.parse(ok.stdout) as Record<string, unknown>;
  t.same(Object.keys(parsed), ['input', 'normalised', 'valid', 'reason', 'suggestion']);
  t.equal(parsed.valid, true);
  t.equal(parsed.normalised, code);

  const typo = code.slice(0, 10) + (code[10] === 'A' ? 'B' : 'A') + code.slice(11);
  const bad = cabine(['code', 'check', typo, '--json']);
  t.equal(bad.status, 1);
  t.same(JSON.parse(bad.stdout), checkCode(typo));
  t.equal((JSON.parse(bad.stdout) as { suggestion: string }).suggestion, code);

  const human = cabine(['code', 'check', ...formatCode(typo).split(' ')]);
  t.equal(human.status, 1);
  t.match(human.stdout, `did you mean ${formatCode(code)}?`);
  const short = cabine(['code', 'check', 'ABC']);
  t.equal(short.status, 1);
  t.match(short.stdout, /22 characters/);
});

t.test('code generate --json: registered test codes with the operator prefix', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-code-cli-'));
  const env = { CABINE_DATA_DIR: dir, CABINE_BOOTH_OPERATOR_PREFIX: 'ZZ01' };
  const run = cabine(['code', 'generate', '--count', '5', '--json'], env);
  t.equal(run.status, 0, run.stderr);
  const codes = JSON.parse(run.stdout) as { code: string; expires: string }[];
  t.equal(codes.length, 5);
  const store = openStore(dir);
  t.teardown(() => store.close());
  const registry = createCodeRegistry(store, { prefix: 'ZZ01' });
  for (const c of codes) {
    t.same(Object.keys(c), ['code', 'expires']);
    t.ok(checkCode(c.code).valid);
    t.equal(c.code.slice(0, 4), 'ZZ01');
    t.ok(Date.parse(c.expires) > Date.now() + 150 * 86400_000, 'expires in about 6 months');
    t.equal(registry.state(c.code), 'test', 'marked as not issued');
  }
  const bad = cabine(['code', 'generate', '--count', '0'], env);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /--count must be/);
});
