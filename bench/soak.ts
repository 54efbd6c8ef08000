// Soak: a whole simulated booth (real session machine, vision models, print rendering, SQLite
// journal and outbox) serving scripted customers one after the other, for hours. Every
// interval it prints the process's RSS, V8 heap, open file descriptors, the database's size
// and the data folder's size, so a leak shows as a line that keeps climbing.
//   nice -n 10 node --import tsx bench/soak.ts --hours 1 [--interval-min 10] [--offline] [--keep]
// The records go to the durable outbox as on a booth; without a broker nobody would ever
// acknowledge them, so unless --offline the soak acknowledges them as the fleet does once it
// stored them (an offline booth's database grows by design: ~0.3 MB per session).
// One line per interval on stderr; the samples as JSON on stdout at the end.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBooth } from '../src/booth/compose.ts';
import { loadConfig } from '../src/config/load.ts';
import { playCustomer } from '../src/demo/customer.ts';
import { SimCurtainSwitch } from '../src/hal/curtain/index.ts';
import { SimulatedPrinter } from '../src/hal/printer/index.ts';
import { createLogger } from '../src/log.ts';

const { values } = parseArgs({
  options: {
    hours: { type: 'string', default: '1' },
    'interval-min': { type: 'string', default: '10' },
    offline: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const hours = Number(values.hours);
const intervalMin = Number(values['interval-min']);
if (!(hours > 0)) throw new Error(`--hours must be a positive number, got ${values.hours}`);
if (!(intervalMin > 0)) throw new Error(`--interval-min must be a positive number, got ${values['interval-min']}`);

const dataDir = mkdtempSync(join(tmpdir(), 'cabine-soak-'));
const config = loadConfig({ overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'coinAcceptor.port': undefined, 'printer.uri': undefined } });
const booth = await buildBooth(config, createLogger({ level: 'warn' }), { ui: false, control: false });
await booth.start();
const unavailable = booth.unavailable();
if (unavailable) throw new Error(`the booth cannot sell: ${unavailable}`);

function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(path);
    else if (entry.isFile()) total += statSync(path).size;
  }
  return total;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const dbBytes = () => ['booth.db', 'booth.db-wal'].map((f) => join(dataDir, f)).filter(existsSync).reduce((n, f) => n + statSync(f).size, 0);

interface Sample { minute: number; sessions: number; failed: number; rssMb: number; heapMb: number; externalMb: number; openFiles: number; dbMb: number; dataMb: number; outboxDepth: number }
const samples: Sample[] = [];
let sessions = 0;
let failed = 0;
const t0 = Date.now();

function sample(): void {
  const mem = process.memoryUsage();
  const s: Sample = {
    minute: Math.round((Date.now() - t0) / 60000),
    sessions,
    failed,
    rssMb: mb(mem.rss),
    heapMb: mb(mem.heapUsed),
    externalMb: mb(mem.external + mem.arrayBuffers),
    openFiles: readdirSync('/proc/self/fd').length,
    dbMb: mb(dbBytes()),
    dataMb: mb(treeBytes(dataDir)),
    outboxDepth: booth.fleet.outbox.depth(),
  };
  samples.push(s);
  process.stderr.write(`${new Date().toISOString()} t=${s.minute} min sessions=${s.sessions} failed=${s.failed} rss=${s.rssMb} MB heap=${s.heapMb} MB external=${s.externalMb} MB fds=${s.openFiles} db=${s.dbMb} MB data=${s.dataMb} MB outbox=${s.outboxDepth}\n`);
}

const end = t0 + hours * 3600_000;
let nextSample = t0;
while (Date.now() < end) {
  if (Date.now() >= nextSample) {
    sample();
    nextSample += intervalMin * 60_000;
  }
  try {
    await playCustomer(booth.machine, booth.parts, config, { timeoutMs: 180_000 });
    sessions++;
  } catch (err) {
    failed++;
    process.stderr.write(`session failed: ${(err as Error).message}\n`);
  }
  booth.machine.send({ type: 'FINISH' });
  // The customer leaves: the curtain opens, so the next one's draw is an edge again.
  if (booth.parts.sim) await new SimCurtainSwitch(booth.parts.sim.gpio, config.curtain.line, config.curtain.closedLevel).open({ bounces: 3 });
  const idleBy = Date.now() + 30_000;
  while (booth.machine.snapshot().step !== 'idle' && Date.now() < idleBy) await new Promise((r) => setTimeout(r, 100));
  // The technician's round: a new roll and ribbon before the simulated printer runs out (700 each).
  const printer = booth.parts.printer;
  if (printer instanceof SimulatedPrinter) {
    const left = printer.consumableLevels();
    if (left.paper < 20 || left.ribbon < 20) await printer.refill({ paper: 'full', ribbon: 'full' });
  }
  if (!values.offline) {
    const ids = booth.fleet.outbox.list(0, 1000).map((item) => item.id);
    if (ids.length) booth.fleet.outbox.ackMany(ids);
  }
}
sample();
await booth.stop();
if (!values.keep) rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ hours, intervalMin, offline: values.offline, sessions, failed, samples }, null, 1)}\n`);
if (failed > 0) process.exitCode = 1;
