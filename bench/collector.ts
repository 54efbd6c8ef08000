// The e-photo service with 1,000,000 codes stored: latency of GET /v1/ephotos/{code} (goal
// p99 <= 20 ms) and GET /status/{code} (goal p99 <= 5 ms), one request at a time over loopback
// HTTP keep-alive (fetch), measured by the client, against the real `cabine collector` process
// (as an operator runs it) on the SQLite fleet store (fleet.db, WAL, synchronous=FULL: each
// pull commits its use and audit row). Then the same process is restarted with a grace of 0,
// so its first purge pass has the pulled codes to purge, and status is measured during it.
// The codes are bulk-inserted straight into the store's tables (records + codes). Every code's
// record has the real shape; the `pulls` codes that are fetched carry a photo and a signature
// of realistic size (60 KB JPEG-sized, 15 KB PNG-sized), the others small ones (the table size
// and index depth are what 1,000,000 codes make; 60 GB of photos would only add disk).
// Status look-ups draw codes at random over the whole million (plus 10 % unknown codes).
// No collector outlives the bench, however the bench ends (finally, 'exit' and signal hooks).
// Run: node --import tsx bench/collector.ts [codes=1000000] [pulls=2000] [statuses=5000] [dir=/tmp/cabine-collector-bench]
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateCode } from '../src/codes/code.ts';
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
// creates the collector's tables (as `cabine collector` would on first start)
await openSqliteCollectorStore(dir).close();
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

/** The collector processes running now: none outlives the bench, however the bench ends. */
const running = new Set<ChildProcess>();
const stopRunning = () => {
  for (const child of running) child.kill('SIGTERM'); // the collector's own orderly stop
};
// process.exit, an uncaught error (the 'finally' below covers a failure in the measurements).
process.once('exit', stopRunning);
// A signal's default action ends the bench with no 'exit' event: stop the collectors, then exit as killed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    stopRunning();
    process.exit(128 + constants.signals[signal]);
  });
}

interface Collector {
  base: string;
  child: ChildProcess;
  /** Resolves with the next purge pass's log line (its counts and duration). */
  nextPass(): Promise<{ used: number; expired: number; ms: number }>;
}

/** Starts `cabine collector` on the bench's store, as an operator would (plain HTTP on loopback). */
async function startCollector(graceHours: number): Promise<Collector> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('../bin/cabine.js', import.meta.url)), 'collector', '--data', dir, '--listen', '127.0.0.1:0', '--insecure-http', '--pull-per-minute', '1000000000', '--status-per-minute', '1000000000', '--purge-every', '86400', '--purge-grace-hours', String(graceHours)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: 'true' } },
  );
  running.add(child);
  const waiting: { resolve: (pass: { used: number; expired: number; ms: number }) => void; reject: (err: Error) => void }[] = [];
  // A collector that dies fails the bench (a start, a pass waited for) instead of hanging it.
  const died = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      const err = new Error(`cabine collector exited (${signal ?? code})`);
      for (const w of waiting.splice(0)) w.reject(err);
      reject(err);
    }),
  );
  died.catch(() => undefined); // a collector stopped on purpose is not a failure
  const passes: { used: number; expired: number; ms: number }[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    let entry: { module?: string; ms?: number; used?: number; expired?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      process.stderr.write(`collector: ${line}\n`);
      return;
    }
    if (entry.module !== 'collector.purge' || typeof entry.ms !== 'number') return;
    const pass = { used: entry.used ?? 0, expired: entry.expired ?? 0, ms: entry.ms };
    const next = waiting.shift();
    if (next) next.resolve(pass);
    else passes.push(pass);
  });
  const [first] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), died])) as [string];
  const base = (JSON.parse(first) as { listening: string }).listening;
  return {
    base,
    child,
    nextPass: () => {
      const ready = passes.shift();
      if (ready) return Promise.resolve(ready);
      if (!running.has(child)) return Promise.reject(new Error('cabine collector is not running'));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

async function stopCollector(child: ChildProcess): Promise<void> {
  if (!running.has(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function timed(url: string, headers: Record<string, string> = {}): Promise<[number, number]> {
  const t0 = performance.now();
  const r = await fetch(url, { headers });
  await r.arrayBuffer();
  return [performance.now() - t0, r.status];
}
const summary = (name: string, ms: number[], statusCounts: Map<number, number>, goal: number, none = 'no request') => {
  if (ms.length === 0) return void process.stdout.write(`${name}: ${none}\n`);
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  process.stdout.write(
    `${name}: n=${ms.length} p50 ${q(0.5).toFixed(2)} ms  p90 ${q(0.9).toFixed(2)} ms  p99 ${q(0.99).toFixed(2)} ms  max ${q(1).toFixed(2)} ms  (goal p99 <= ${goal} ms: ${q(0.99) <= goal ? 'met' : 'NOT met'})  answers ${JSON.stringify(Object.fromEntries(statusCounts))}\n`,
  );
};

const sampler = openFleetDb(dir).store;
const byRow = sampler.db.prepare<[number], { code: string }>('SELECT code FROM codes WHERE rowid = ?');
/** A stored code drawn at random over the whole table, or (one time in ten) an unknown one. */
const someCode = (unknownShare: number) => (Math.random() >= unknownShare ? byRow.get(1 + Math.floor(Math.random() * maxRow))?.code : undefined) ?? generateCode('9PMT');

try {
  const collector = await startCollector(24);
  // The pass the collector runs at start (nothing due yet) walks every code: measure after it.
  const startPass = await collector.nextPass();
  process.stdout.write(`collector started; its first purge pass over ${maxRow} codes (nothing due): ${(startPass.ms / 1000).toFixed(1)} s\n`);
  const base = collector.base;

  // warm-up (JIT, connection) on unknown codes
  for (let i = 0; i < 200; i++) await timed(`${base}/status/${generateCode('9PMT')}`, { accept: 'application/json' });

  const statusMs: number[] = [];
  const statusCodes = new Map<number, number>();
  for (let i = 0; i < statuses; i++) {
    const [ms, status] = await timed(`${base}/status/${someCode(0.1)}`, { accept: 'application/json' });
    statusMs.push(ms);
    statusCodes.set(status, (statusCodes.get(status) ?? 0) + 1);
  }
  summary('GET /status/{code}', statusMs, statusCodes, 5);

  const pullMs: number[] = [];
  const pullCodes = new Map<number, number>();
  for (const code of codes.slice(0, pulls)) {
    const [ms, status] = await timed(`${base}/v1/ephotos/${code}`);
    pullMs.push(ms);
    pullCodes.set(status, (pullCodes.get(status) ?? 0) + 1);
  }
  summary('GET /v1/ephotos/{code} (75 KB of files each)', pullMs, pullCodes, 20, 'no unused code with files left (remove the directory to pull again)');
  await stopCollector(collector.child);

  // The collector restarted with a grace of 0: its first pass purges the codes just pulled while
  // customers keep asking for their status. The pass walks the million codes in bounded steps
  // and its commits skip the fsync, so the status answers stay fast.
  const purging = await startCollector(0);
  let passDone: { used: number; expired: number; ms: number } | undefined;
  const pass = purging.nextPass().then((p) => (passDone = p));
  pass.catch(() => undefined); // awaited below; a collector dying meanwhile fails the loop first
  for (let i = 0; i < 20; i++) await timed(`${purging.base}/status/${generateCode('9PMT')}`, { accept: 'application/json' });
  const duringMs: number[] = [];
  const duringCodes = new Map<number, number>();
  while (!passDone) {
    const [ms, status] = await timed(`${purging.base}/status/${someCode(0)}`, { accept: 'application/json' });
    duringMs.push(ms);
    duringCodes.set(status, (duringCodes.get(status) ?? 0) + 1);
  }
  const purged = await pass;
  process.stdout.write(`purge pass over ${maxRow} codes: ${(purged.ms / 1000).toFixed(1)} s, ${purged.used} used and ${purged.expired} expired purged\n`);
  summary('GET /status/{code} during the purge pass', duringMs, duringCodes, 5, 'no request (the pass ended first: use more codes)');
  process.stdout.write(`(run again with a fresh dir to pull again: pulled codes are used)\n`);
} finally {
  // Every exit path of the measurements stops the collectors it started, then the sampler.
  for (const child of running) await stopCollector(child);
  sampler.close();
}
