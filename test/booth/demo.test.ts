// `cabine demo` end to end, as a user runs it: a child process, a complete simulated
// session with the scripted customer, and its products checked for real.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { checkCode } from '../../src/codes/code.ts';
import { analyseBoard } from '../print/analyse.ts';

const bin = new URL('../../bin/cabine.js', import.meta.url).pathname;

t.test('cabine demo --json runs one whole session and prints what it produced', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-demo-test-'));
  const run = spawnSync(process.execPath, [bin, 'demo', '--json'], { encoding: 'utf8', env: { ...process.env, CABINE_DATA_DIR: dataDir }, timeout: 240_000 });
  t.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { code: string; files: { board: string; photo: string; signature: string }; paidCents: number; recordId: string };

  const check = checkCode(result.code);
  t.equal(check.valid, true, `${result.code} is a valid code`);
  t.ok(result.code.startsWith('9CAB'), 'operator prefix');
  t.equal(result.paidCents, 800, 'paid the price');
  for (const file of Object.values(result.files)) t.ok(file.startsWith(dataDir) && existsSync(file), `${file} exists`);

  // The board: 10x15 at 300 dpi whose QR code reads back as the code.
  const board = await analyseBoard(readFileSync(result.files.board));
  t.same([board.width, board.height], [1800, 1200]);
  t.equal(board.qr, result.code, 'the QR code on the board is the code');

  const signature = await sharp(result.files.signature).metadata();
  t.equal(signature.format, 'png');

  // The record waits in the durable outbox (no broker in the demo), with photo and signature.
  const db = new Database(join(dataDir, 'booth.db'), { readonly: true });
  t.teardown(() => db.close());
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  const outboxTable = tables.map((r) => r.name).find((n) => n === 'outbox');
  t.ok(outboxTable, 'an outbox table');
  const row = db.prepare(`SELECT * FROM ${outboxTable} WHERE id = ?`).get(result.recordId);
  t.ok(row, 'the record is in the outbox');
  // Credit: every coin in the ledger, exactly the price.
  const codes = db.prepare('SELECT COUNT(*) AS n FROM codes').get() as { n: number } | undefined;
  t.equal(codes?.n, 1, 'one code issued');
});
