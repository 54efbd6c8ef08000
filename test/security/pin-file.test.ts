// Attack: the PIN hash sat in a world-readable config file, open to an offline guess. The real
// `cabine console --set-pin` now leaves the file that holds it readable by its owner only.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'cabine-sec-pin-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('set-pin makes the config file holding the hash 0600', async (t) => {
  const file = join(dir, 'config.yaml');
  writeFileSync(file, `booth:\n  id: PIN-1\ndata:\n  dir: ${dir}\n`, { mode: 0o644 });
  t.equal(statSync(file).mode & 0o777, 0o644, 'world-readable before');
  const bin = join(import.meta.dirname, '../../bin/cabine.js');
  const run = await new Promise<{ code: number; out: string }>((resolve) => {
    const child = execFile(process.execPath, [bin, 'console', '--set-pin', '--config', file], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
    child.stdin?.end('246813\n246813\n');
  });
  t.equal(run.code, 0, run.out);
  t.match(readFileSync(file, 'utf8'), /pinHash: /, 'the hash is stored');
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by its owner only');
});
