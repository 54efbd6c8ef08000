import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyseBoard, markerPhoto } from './analyse.ts';
import { startEvePrinter } from './ippeveprinter.ts';

const CODE = '9CABG8TN2345679ABCDEFG';
const bin = new URL('../../bin/cabine.js', import.meta.url).pathname;

function cabine(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, CABINE_LOG_LEVEL: 'silent', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('cabine print board renders a board file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-cli-print-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'photo.png'), await markerPhoto());
  const out = join(dir, 'b.png');
  const r = cabine(['print', 'board', '--photo', join(dir, 'photo.png'), '--code', '9CAB G8TN 2345 679A BCDE FG', '--booth', 'CLI-1', '--out', out, '--json']);
  t.equal(r.code, 0, r.stderr);
  t.match(JSON.parse(r.stdout), { file: out, width: 1800, height: 1200, dpi: 300 });
  const a = await analyseBoard(readFileSync(out));
  t.equal(a.qr, CODE);
  const bad = cabine(['print', 'board', '--photo', join(dir, 'nope.jpg'), '--code', CODE, '--out', out]);
  t.equal(bad.code, 1);
  t.match(bad.stderr, /cabine: cannot read --photo .*ENOENT/);
  const badCode = cabine(['print', 'board', '--photo', join(dir, 'photo.png'), '--code', 'HELLO', '--out', out]);
  t.match(badCode.stderr, /not an e-photo code/);
});

t.test('cabine print status and test against ippeveprinter', async (t) => {
  const eve = await startEvePrinter();
  t.teardown(() => eve.stop());
  const status = cabine(['print', 'status', '--printer', eve.uri, '--json']);
  t.equal(status.code, 0, status.stderr);
  t.match(JSON.parse(status.stdout), { printer: eve.uri, ready: true, state: { state: 'idle' } });
  const test = cabine(['print', 'test', '--json'], { CABINE_PRINTER_URI: eve.uri });
  t.equal(test.code, 0, test.stderr);
  t.match(JSON.parse(test.stdout), { state: 'completed', format: 'image/png' });
  await eve.setPaper(0);
  const empty = cabine(['print', 'status', '--printer', eve.uri]);
  t.equal(empty.code, 1);
  t.match(empty.stdout, /ready +no — printer not ready: media-empty/);
  const refused = cabine(['print', 'test', '--printer', eve.uri]);
  t.equal(refused.code, 1);
  t.match(refused.stderr, /cabine: printer not ready: media-empty/);
  await eve.stop();
  const gone = cabine(['print', 'status', '--printer', eve.uri, '--json']);
  t.equal(gone.code, 1);
  t.match(JSON.parse(gone.stdout), { ready: false, reason: /unreachable/ });
  const none = cabine(['print', 'status'], { CABINE_PRINTER_URI: '' });
  t.match(none.stderr, /no printer/);
});
