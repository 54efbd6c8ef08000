// Figures for the coin path: latency from the simulator's coin event to the credit journaled,
// at a 100 ms poll (goal <= 250 ms), and the CPU the polling costs the booth.
//
// Setup as on a booth: the ccTalk simulator is its own process (`cabine sim cctalk --pty`, a
// socat pty pair) driven through its stdin; this process is the booth side: the real acceptor
// driver (serialport on the pty) + PaymentDesk + the SQLite ledger on a real file (WAL,
// synchronous=FULL: each coin is one fsync). A payment stays open so every coin is enabled.
// - latency: a coin command is written to the simulator at a random phase of the poll cycle;
//   "journaled" is the driver's `credit` event, emitted once the ledger's transaction has
//   committed. The time counts from the write of the command (so it includes the simulator's
//   stdin pipe, well under 1 ms): an upper bound of the coin-to-journal latency.
// - CPU: process.cpuUsage() of this process over a window of idle polling (no coin), as a
//   share of one core and of the whole machine.
// Run: node --import tsx bench/payment-latency.ts [coins=60] [cpuSeconds=10]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { configSchema } from '../src/config/schema.ts';
import { createCoinAcceptor } from '../src/hal/coin-acceptor/index.ts';
import { silentLogger } from '../src/log.ts';
import { PaymentDesk } from '../src/payment/index.ts';
import { openStore } from '../src/store/db.ts';

const COINS = Number(process.argv[2] ?? 60);
const CPU_SECONDS = Number(process.argv[3] ?? 10);
const POLL_MS = 100;
const root = new URL('../', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Seeded phase of each coin relative to the poll (mulberry32).
let seed = 12345;
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let x = seed;
  x = Math.imul(x ^ (x >>> 15), x | 1);
  x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};

const sim = spawn(process.execPath, [join(root, 'bin/cabine.js'), 'sim', 'cctalk', '--pty'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
const replies: Record<string, unknown>[] = [];
let wake: (() => void) | undefined;
createInterface({ input: sim.stdout }).on('line', (line) => {
  replies.push(JSON.parse(line) as Record<string, unknown>);
  wake?.();
});
const nextReply = async () => {
  while (replies.length === 0) await new Promise<void>((r) => (wake = r));
  return replies.shift() as Record<string, unknown>;
};
const ready = await nextReply();
if (ready.ready !== true) throw new Error(`simulator did not start: ${JSON.stringify(ready)}`);

const dir = mkdtempSync(join(tmpdir(), 'cabine-bench-pay-'));
const store = openStore(dir);
const config = configSchema.parse({ coinAcceptor: { port: String(ready.port), pollMs: POLL_MS } });
const acceptor = createCoinAcceptor(config.coinAcceptor, { simulated: false, logger: silentLogger() });
const desk = new PaymentDesk({ store, acceptor, canDeliver: () => ({ ok: true }), storedCreditMinutes: 30, logger: silentLogger() });
desk.start();
await acceptor.start();
await desk.open('bench', 10_000_000);
if (desk.state().accepting.length === 0) throw new Error(`acceptor not accepting: ${desk.state().inhibitedBecause}`);

let journaledAt: number | undefined;
acceptor.on('credit', () => (journaledAt = performance.now()));
const latencies: number[] = [];
const coins = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'];
for (let i = 0; i < COINS; i++) {
  await sleep(POLL_MS + Math.floor(rand() * 2 * POLL_MS)); // a random phase of the poll cycle
  journaledAt = undefined;
  const sent = performance.now();
  sim.stdin.write(JSON.stringify({ coin: coins[i % coins.length] }) + '\n');
  const reply = await nextReply();
  if (reply.result !== 'accepted') throw new Error(`coin not accepted: ${JSON.stringify(reply)}`);
  const limit = sent + 5000;
  while (journaledAt === undefined && performance.now() < limit) await sleep(1);
  if (journaledAt === undefined) throw new Error('coin not journaled within 5 s');
  latencies.push(journaledAt - sent);
}
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const journaled = desk.ledger.session('bench')?.coinCents;
console.log(
  `coin event -> credit journaled, ${COINS} coins at ${POLL_MS} ms poll: p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms (goal <= 250 ms); ${journaled} cents in the ledger`,
);

// CPU of idle polling (nothing but the 100 ms read-buffered-credit transaction).
await sleep(500);
const polls0 = Number(acceptor.status().readings?.polls ?? 0);
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
await sleep(CPU_SECONDS * 1000);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - wall0;
const polls = Number(acceptor.status().readings?.polls ?? 0) - polls0;
const oneCore = ((cpu.user + cpu.system) / 1000 / wall) * 100;
const cores = availableParallelism();
console.log(
  `polling CPU over ${(wall / 1000).toFixed(1)} s (${polls} polls, ${((cpu.user + cpu.system) / 1000 / Math.max(1, polls)).toFixed(3)} ms CPU each): ` +
    `${oneCore.toFixed(2)} % of one core, ${(oneCore / cores).toFixed(2)} % of the ${cores}-core machine`,
);

await desk.stop();
await acceptor.stop();
store.close();
sim.stdin.write('{"quit":true}\n');
await new Promise((r) => sim.once('exit', r));
rmSync(dir, { recursive: true, force: true });
