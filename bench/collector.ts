// The e-photo service with 1,000,000 codes stored: latency of GET /v1/ephotos/{code} (goal
// p99 <= 20 ms) and GET /status/{code} (goal p99 <= 5 ms), one request at a time over loopback
// HTTP keep-alive (fetch), measured by the client, through the real server and the SQLite
// fleet store (fleet.db, WAL, synchronous=FULL: each pull commits its use and audit row).
// The codes are bulk-inserted straight into the store's tables (records + codes). Every code's
// record has the real shape; the `pulls` codes that are fetched carry a photo and a signature
// of realistic size (60 KB JPEG-sized, 15 KB PNG-sized), the others small ones (the table size
// and index depth are what 1,000,000 codes make; 60 GB of photos would only add disk).
// Status look-ups draw codes at random over the whole million (plus 10 % unknown codes).
// Run: node --import tsx bench/collector.ts [codes=1000000] [pulls=2000] [statuses=5000] [dir=/tmp/cabine-collector-bench]
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { generateCode } from '../src/codes/code.ts';
import { purgeDue } from '../src/collector/purge.ts';
import { buildCollectorServer } from '../src/collector/server.ts';
import { openSqliteCollectorStore } from '../src/collector/store-sqlite.ts';
import { openFleetDb } from '../src/fleet/operator/db.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const pulls = Number(process.argv[3] ?? 2000);
const statuses = Number(process.argv[4] ?? 5000);
const dir = process.argv[5] ?? '/tmp/cabine-collector-bench';

const file = (bytes: number, magic: number[]) => {
  const data = Buffer.concat([Buffer.from(magic), randomBytes(bytes)]);
  return { mime: magic[0] === 0xff ? 'image/jpeg' : 'image/png', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), base64: data.toString('base64') };
};
const JPEG = [0xff, 0xd8, 0xff, 0xe0];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const fresh = !existsSync(`${dir}/fleet.db`);
mkdirSync(dir, { recursive: true });
const codes: string[] = [];
const store = openSqliteCollectorStore(dir);
const db = openFleetDb(dir).store;
if (fresh) {
  const t0 = performance.now();
  const heavy = { photo: file(60_000, JPEG), signature: file(15_000, PNG) };
  const light = { photo: file(200, JPEG), signature: file(100, PNG) };
  const now = new Date();
  const insertRecord = db.db.prepare('INSERT INTO records (id, booth, type, at, received_at, key_id, record, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const insertCode = db.db.prepare('INSERT INTO codes (code, record_id, booth, session_id, expires, paid_cents, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const batch = 20_000;
  for (let start = 0; start < total; start += batch) {
    db.transaction(() => {
      for (let i = start; i < Math.min(total, start + batch); i++) {
        const code = generateCode('9PMT');
        const booth = `BOOTH-${String(i % 500).padStart(3, '0')}`;
        const id = `s-${i}`;
        // spread over the last five months: every code still valid
        const at = new Date(now.getTime() - (i % 150) * 86400_000 - (i % 86400) * 1000).toISOString();
        const record = JSON.stringify({ id, booth, type: 'session', at, data: { code, sessionId: `sess-${i}`, paidCents: 800 }, files: i < pulls ? heavy : light });
        insertRecord.run(id, booth, 'session', at, at, '0123456789abcdef', record, 'bench');
        insertCode.run(code, id, booth, `sess-${i}`, null, 800, at);
        if (i < pulls) codes.push(code);
      }
    });
  }
  process.stdout.write(`inserted ${total} codes in ${((performance.now() - t0) / 1000).toFixed(1)} s into ${dir}/fleet.db\n`);
} else {
  process.stdout.write(`a store exists in ${dir}: remove it to rebuild; reading its unused heavy codes\n`);
  for (const row of db.db.prepare<[number], { code: string }>("SELECT c.code FROM codes c LEFT JOIN ephoto_uses u ON u.code = c.code WHERE u.code IS NULL AND CAST(substr(c.record_id, 3) AS INTEGER) < ?").all(pulls)) codes.push(row.code);
}
const maxRow = db.db.prepare<[], { m: number }>('SELECT MAX(rowid) AS m FROM codes').get()?.m ?? 1;
db.close();

const app = await buildCollectorServer({ store, insecureHttp: true, pullPerMinute: 1e9, statusPerMinute: 1e9 });
const base = await app.listen({ host: '127.0.0.1', port: 0 });

async function timed(url: string, headers: Record<string, string> = {}): Promise<[number, number]> {
  const t0 = performance.now();
  const r = await fetch(url, { headers });
  await r.arrayBuffer();
  return [performance.now() - t0, r.status];
}
const summary = (name: string, ms: number[], statusCounts: Map<number, number>, goal: number) => {
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  process.stdout.write(
    `${name}: n=${ms.length} p50 ${q(0.5).toFixed(2)} ms  p90 ${q(0.9).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms  max ${q(1).toFixed(2)} ms  (goal p99 <= ${goal} ms: ${q(0.99) <= goal ? 'met' : 'NOT met'})  answers ${JSON.stringify(Object.fromEntries(statusCounts))}\n`,
  );
};

// warm-up (JIT, connection) on unknown codes
for (let i = 0; i < 200; i++) await timed(`${base}/status/${generateCode('9PMT')}`, { accept: 'application/json' });

const statusMs: number[] = [];
const statusCodes = new Map<number, number>();
const sampler = openFleetDb(dir).store;
const byRow = sampler.db.prepare<[number], { code: string }>('SELECT code FROM codes WHERE rowid = ?');
for (let i = 0; i < statuses; i++) {
  const known = Math.random() >= 0.1 ? byRow.get(1 + Math.floor(Math.random() * maxRow))?.code : undefined;
  const [ms, status] = await timed(`${base}/status/${known ?? generateCode('9PMT')}`, { accept: 'application/json' });
  statusMs.push(ms);
  statusCodes.set(status, (statusCodes.get(status) ?? 0) + 1);
}
sampler.close();
summary('GET /status/{code}', statusMs, statusCodes, 5);

const pullMs: number[] = [];
const pullCodes = new Map<number, number>();
for (const code of codes.slice(0, pulls)) {
  const [ms, status] = await timed(`${base}/v1/ephotos/${code}`);
  pullMs.push(ms);
  pullCodes.set(status, (pullCodes.get(status) ?? 0) + 1);
}
summary('GET /v1/ephotos/{code} (75 KB of files each)', pullMs, pullCodes, 20);

// A purge pass over every code (the codes just pulled are due: grace 0) while customers keep
// asking for their status: the pass walks the million codes in bounded steps, so the status
// answers stay fast and the event loop never stalls for long.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const duringMs: number[] = [];
const duringCodes = new Map<number, number>();
const sampler2 = openFleetDb(dir).store;
const byRow2 = sampler2.db.prepare<[number], { code: string }>('SELECT code FROM codes WHERE rowid = ?');
loopDelay.enable();
const purgeStart = performance.now();
let purging = true;
const purge = purgeDue(store, { graceMs: 0 }).finally(() => (purging = false));
while (purging) {
  const [ms, status] = await timed(`${base}/status/${byRow2.get(1 + Math.floor(Math.random() * maxRow))?.code ?? generateCode('9PMT')}`, { accept: 'application/json' });
  duringMs.push(ms);
  duringCodes.set(status, (duringCodes.get(status) ?? 0) + 1);
}
const purged = await purge;
loopDelay.disable();
sampler2.close();
process.stdout.write(
  `purge pass over ${maxRow} codes: ${((performance.now() - purgeStart) / 1000).toFixed(1)} s, ${purged.used} used and ${purged.expired} expired purged; longest event-loop stall ${(loopDelay.max / 1e6).toFixed(1)} ms\n`,
);
summary('GET /status/{code} during the purge pass', duringMs, duringCodes, 5);
process.stdout.write(`(run again with a fresh dir to pull again: pulled codes are used)\n`);
await app.close();
await store.close();
