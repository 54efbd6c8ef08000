// kill -9 of the booth between coin and flow loses nothing and credits nothing twice.
//
// The ccTalk simulator runs as its own process (`cabine sim cctalk --pty`, on a socat pty
// pair), driven through its stdin JSON lines. The booth's payment path (the real acceptor driver
// on the pty + PaymentDesk + SQLite ledger, test/payment/kill9-booth.ts) runs as a child
// process. Each cycle starts the booth on the same data directory, inserts 1-3 coins, and
// SIGKILLs the booth aimed at one of three windows in turn: right after the insert (before the
// driver polled the coin or while the ledger writes it), when the booth says the coins are
// journaled (the flow works 20-40 ms on each before it has taken it in), or once the flow has
// taken in every coin. Each kill is then classified from the ledger on disk and the flow's
// lines, and every window must have been hit. Sometimes a coin goes in while the booth is down
// (the acceptor was left enabled). At the end every coin the simulator accepted is in the ledger exactly once,
// the session's credit is exactly their value, and no credit appears that no coin paid for.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { prng } from '../../src/hal/prng.ts';
import { Child } from './helpers.ts';

const CYCLES = Number(process.env.CABINE_KILL9_CYCLES ?? 10);
const SEED = Number(process.env.CABINE_KILL9_SEED ?? 20240611);
const COINS = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'];
const CENTS: Record<string, number> = { EU010A: 10, EU020A: 20, EU050A: 50, EU100A: 100, EU200A: 200 };
const root = new URL('../../', import.meta.url).pathname;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test(`kill -9 of the booth at random points between coin and flow, ${CYCLES} cycles: nothing lost, nothing twice`, async (t) => {
  const rand = prng(SEED);
  const dir = mkdtempSync(join(tmpdir(), 'cabine-kill9-'));
  const dbPath = join(dir, 'booth.db');
  const children: Child[] = [];
  t.teardown(async () => {
    // The simulator gets its orderly stop (it closes its socat pty pair); a booth is killed.
    for (const c of children.reverse()) await c.kill(c === sim ? 'SIGTERM' : 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  // The simulator process, and its control channel.
  const sim = new Child(spawn(process.execPath, [join(root, 'bin/cabine.js'), 'sim', 'cctalk', '--pty', '--seed', String(SEED), '--poll-watchdog', '0'], { cwd: root }));
  children.push(sim);
  const ready = await sim.line('simulator ready', (l) => l.ready === true);
  const port = String(ready.port);
  const control = async (command: Record<string, unknown>) => {
    const from = sim.lines.length;
    sim.proc.stdin.write(JSON.stringify(command) + '\n');
    return sim.line(`reply to ${JSON.stringify(command)}`, () => true, from);
  };

  const startBooth = async () => {
    const booth = new Child(spawn(process.execPath, ['--import', 'tsx', join(root, 'test/payment/kill9-booth.ts'), '--dir', dir, '--port', port], { cwd: root }));
    children.push(booth);
    const up = await booth.line('booth ready', (l) => l.ready === true);
    return { booth, up, sessionCredit: Number(up.sessionCredit) };
  };

  /** The ledger as it is on disk (the booth is dead or between transactions: WAL readers are safe). */
  const ledger = () => {
    const db = new Database(dbPath, { readonly: true });
    try {
      const coins = db.prepare("SELECT 'coin-' || id AS coinId, coin, cents, counter, acceptor_serial AS serial, session_id AS session FROM payment_coins ORDER BY id").all() as {
        coinId: string;
        coin: string;
        cents: number;
        counter: number;
        serial: string;
        session: string | null;
      }[];
      const counter = (db.prepare('SELECT counter FROM payment_acceptors').get() as { counter: number } | undefined)?.counter;
      return { coins, counter };
    } finally {
      db.close();
    }
  };

  const taken: string[] = []; // coins the simulator accepted, in order
  const insert = async (coin: string) => {
    const reply = await control({ coin });
    if (reply.result === 'accepted') taken.push(coin);
    return reply.result;
  };
  const WINDOWS = ['beforeJournal', 'journaledNotInFlow', 'inFlow'] as const;
  const phases = { beforeJournal: 0, journaledNotInFlow: 0, inFlow: 0 };
  const aimed = { beforeJournal: 0, journaledNotInFlow: 0, inFlow: 0 };
  let lastCredit = 0;

  for (let cycle = 0; cycle < CYCLES; cycle++) {
    const { booth, up, sessionCredit } = await startBooth();
    const atStart = ledger().coins;
    const ledgerCents = atStart.reduce((a, c) => a + c.cents, 0);
    t.equal(sessionCredit, ledgerCents, `cycle ${cycle}: after the restart the session holds the ledger's credit`);
    t.ok(sessionCredit >= lastCredit, `cycle ${cycle}: no credit went away`);
    lastCredit = sessionCredit;
    t.ok(Array.isArray(up.accepting) && up.accepting.length > 0, `cycle ${cycle}: coins accepted while due`, { ready: up });

    const target = WINDOWS[cycle % WINDOWS.length]!;
    aimed[target]++;
    const n = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < n; i++) {
      t.equal(await insert(COINS[Math.floor(rand() * COINS.length)] as string), 'accepted');
      if (i < n - 1 && target !== 'beforeJournal') await sleep(Math.floor(rand() * 120));
    }
    // This run's coins (a restart also credits, before it is ready, the coins taken while down).
    const known = new Set(atStart.map((c) => c.coinId));
    const flowIds = () => booth.lines.map((l) => (l.flow as { coinId?: string } | undefined)?.coinId).filter((id): id is string => id !== undefined && !known.has(id));
    const journaledIds = () => booth.lines.map((l) => l.journaled).filter((id): id is string => typeof id === 'string' && !known.has(id));
    // Aim: at once (the poll is 100 ms away); on the last `journaled` line (the flow still has
    // 20-40 ms of work); or after the last `flow` line.
    if (target === 'journaledNotInFlow') await booth.line('the coins journaled', () => journaledIds().length >= n);
    if (target === 'inFlow') await booth.line('the flow told of every coin', () => flowIds().length >= n);
    const exit = await booth.kill('SIGKILL');
    t.equal(exit.signal, 'SIGKILL', `cycle ${cycle}: booth killed`);
    // Where the kill landed: the ledger on disk against the coins taken, and against what the
    // flow had taken in (the ledger's credit when it started, and each coin it was told of since).
    const atKill = ledger().coins;
    const told = new Set(flowIds());
    const notTold = atKill.filter((c) => !known.has(c.coinId) && !told.has(c.coinId)).length;
    t.comment(`cycle ${cycle}: aimed ${target}, ${n} coins; taken ${taken.length}, journaled ${atKill.length}, journaled but not taken in by the flow ${notTold}`);
    if (atKill.length < taken.length) phases.beforeJournal++;
    else if (notTold > 0) phases.journaledNotInFlow++;
    else phases.inFlow++;

    // A customer drops a coin while the booth reboots: the acceptor still takes it.
    if (rand() < 0.4) await insert(COINS[Math.floor(rand() * COINS.length)] as string);
  }

  // Last start: the booth catches up with whatever the acceptor holds, then stops properly.
  const { booth } = await startBooth();
  const status = await control({ status: true });
  const simAcceptor = (status.status as { acceptor: { counter: number; accepted: Record<string, number>; acceptedCents: number } }).acceptor;
  const end = Date.now() + 10000;
  while (ledger().counter !== simAcceptor.counter && Date.now() < end) await sleep(50);
  const stopped = await booth.kill('SIGTERM');
  t.equal(stopped.code, 0, 'orderly stop');

  const { coins, counter } = ledger();
  t.equal(counter, simAcceptor.counter, 'the ledger counted up to the acceptor event counter');
  const byCoin: Record<string, number> = {};
  for (const c of coins) byCoin[c.coin] = (byCoin[c.coin] ?? 0) + 1;
  const takenByCoin: Record<string, number> = {};
  for (const c of taken) takenByCoin[c] = (takenByCoin[c] ?? 0) + 1;
  t.same(byCoin, simAcceptor.accepted, 'every coin the acceptor took is in the ledger, once');
  t.same(takenByCoin, simAcceptor.accepted, '(the simulator took every coin the test inserted)');
  t.same(
    coins.map((c) => c.coin),
    taken,
    'in the order they were inserted',
  );
  t.same(
    coins.map((c) => c.counter),
    taken.map((_, i) => i + 1),
    'one ledger row per acceptor event, none repeated, none skipped',
  );
  const total = coins.reduce((a, c) => a + c.cents, 0);
  t.equal(total, simAcceptor.acceptedCents, 'no phantom credit: the ledger holds exactly the cents taken');
  t.equal(
    total,
    taken.reduce((a, c) => a + (CENTS[c] ?? 0), 0),
  );
  t.ok(
    coins.every((c) => c.session === 'kill9'),
    'every coin went to the open payment',
  );
  const db = new Database(dbPath, { readonly: true });
  const cashbox = db.prepare('SELECT SUM(count) AS n, SUM(cents) AS c FROM payment_cashbox').get() as { n: number; c: number };
  db.close();
  t.same(cashbox, { n: taken.length, c: total }, 'the cash-box counters agree');
  t.comment(`kills aimed: ${JSON.stringify(aimed)}, landed: ${JSON.stringify(phases)}; ${taken.length} coins, ${total} cents`);
  t.ok(phases.beforeJournal > 0, 'some kills hit a coin the acceptor took but the ledger had not yet written');
  t.ok(phases.journaledNotInFlow > 0, 'some kills hit a coin journaled that the flow had not yet taken in');
  t.ok(phases.inFlow > 0, 'some kills came after the flow had taken in every coin');
  sim.proc.stdin.write(JSON.stringify({ quit: true }) + '\n');
  t.equal((await sim.exited).code, 0, 'the simulator quits cleanly');
});
