// Attack: the PIN hash sat in a world-readable config file, open to an offline guess. The real
// `cabine console --set-pin` now writes it to its own file (console.pinFile, default
// data.dir/console-pin.hash) readable by its owner only, and takes an old hash out of the
// config file.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPin, verifyPin } from '../../src/console/auth.ts';
import { readPinFile } from '../../src/console/gate.ts';

const dir = mkdtempSync(join(tmpdir(), 'cabine-sec-pin-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('set-pin writes a 0600 PIN file and removes the hash from the config file', async (t) => {
  const file = join(dir, 'config.yaml');
  const legacy = await hashPin('111111', { N: 1024, r: 8, p: 1 });
  writeFileSync(file, `# the booth's config\nbooth:\n  id: PIN-1\ndata:\n  dir: ${dir}\nconsole:\n  pinHash: ${legacy}\n`, { mode: 0o644 });
  const bin = join(import.meta.dirname, '../../bin/cabine.js');
  const run = await new Promise<{ code: number; out: string }>((resolve) => {
    const child = execFile(process.execPath, [bin, 'console', '--set-pin', '--config', file], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
    child.stdin?.end('246813\n246813\n');
  });
  t.equal(run.code, 0, run.out);
  const pinFile = join(dir, 'console-pin.hash');
  t.match(run.out, `hash stored in ${pinFile} (mode 0600)`);
  t.equal(statSync(pinFile).mode & 0o777, 0o600, 'the PIN file is readable by its owner only');
  t.equal(await verifyPin('246813', readPinFile(pinFile)!), true, 'it holds the new PIN');
  const config = readFileSync(file, 'utf8');
  t.notMatch(config, /pinHash|scrypt/, 'no hash left in the config file');
  t.match(config, /# the booth's config\nbooth:\n {2}id: PIN-1/, 'the rest of the config is kept');
});

t.test('a PIN file others may read, or that is not a hash, is not used', async (t) => {
  const file = join(dir, 'exposed.hash');
  writeFileSync(file, (await hashPin('246813', { N: 1024, r: 8, p: 1 })) + '\n', { mode: 0o640 });
  t.throws(() => readPinFile(file), /may be read by others \(mode 0640\)/);
  const junk = join(dir, 'junk.hash');
  writeFileSync(junk, '246813\n', { mode: 0o600 });
  t.throws(() => readPinFile(junk), /not a PIN hash/);
  t.equal(readPinFile(join(dir, 'absent.hash')), undefined, 'no file: no PIN set');
});
