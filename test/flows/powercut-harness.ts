// The power-cut harness (test support, used by test/flows/powercut.test.ts and
// bench/soak-powercut.ts). The whole booth (test/flows/powercut-booth.ts: buildBooth on simulated
// devices, the real ccTalk driver on a pty) runs as a child process and plays customers in a
// loop; the ccTalk simulator runs as a separate process (`cabine sim cctalk --pty`) that
// survives the booth's deaths like a real acceptor, and the harness drops coins into it every
// few hundred ms (the acceptor refuses them while the booth inhibits it: those do not count).
// Each cycle the harness SIGKILLs the booth at a seeded random point (aimed at a step of the
// session, including payment, issuing and printing, plus a random delay inside it, or during
// recovery right after boot), then starts it again on the same data dir. At the end it starts
// the booth once more without killing it, lets recovery serve what was paid, stops it cleanly
// and checks the invariants from the store, through the modules' own APIs (ledger, code
// registry, print queue, journal, outbox; SQL only where no API lists what is needed).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { createCodeRegistry } from '../../src/codes/registry.ts';
import { openJournal } from '../../src/flows/journal.ts';
import { createPrinter } from '../../src/hal/printer/index.ts';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { openLedger } from '../../src/payment/ledger.ts';
import { PrintQueue } from '../../src/print/queue.ts';
import { openStore } from '../../src/store/db.ts';
import { createSqliteOutbox } from '../../src/store/outbox.ts';
import { prng } from '../../src/hal/prng.ts';
import { eventsSince } from '../../src/hal/coin-acceptor/index.ts';

const root = new URL('../../', import.meta.url).pathname;

export interface PowercutOptions {
  cycles: number;
  seed: number;
  /** Price of a session in cents (default 300: a few coins per session). */
  priceCents?: number;
  /** Keep the data dir (default: removed at the end unless a violation was found). */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface PowercutResult {
  dataDir: string;
  cycles: number;
  /** Where the booth was (its last reported step) when it was killed. */
  killedIn: Record<string, number>;
  /** Kills aimed at a step the booth did not reach in time (killed where it was). */
  lateKills: number;
  sessions: { total: number; served: number; unpaid: number; interrupted: number; timeout: number };
  coins: { offered: number; accepted: number; refused: number; acceptedCents: number; ledgerRows: number; ledgerCents: number };
  codes: number;
  prints: number;
  records: number;
  /** Closed payments, each found in the outbox as a payment record. */
  paymentRecords: number;
  storedCreditCents: number;
  /**
   * Money incidents the ledger recorded (acceptor events lost beyond its 5-event buffer, when
   * a loaded booth did not process a read in time): their events, and the coins the acceptor
   * took among them (recorded for a refund, not credited; never silent).
   */
  incidents: { count: number; events: number; coins: number };
  /** What the acceptor took, as the simulator counts it (for re-running `checkInvariants`). */
  acceptor: AcceptorTally;
  /** Cards presented (the reader is a separate process too) and what the reader charged. */
  cards: { taps: number; sessions: number; charged: CardChargeTally[]; voided: number; ledgerCharged: number; ledgerVends: Record<string, number> };
  violations: string[];
}

export interface CardChargeTally {
  item: number;
  cents: number;
}

export interface AcceptorTally {
  counter: number;
  accepted: Record<string, number>;
  acceptedCents: number;
  /** The acceptor's event number of each coin it took, in order. */
  counters: number[];
  /** The coin id of each of those, in the same order. */
  coins: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Line = Record<string, unknown>;

/** A child process speaking JSON lines on stdout, in its own process group. */
class Child {
  readonly lines: Line[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(
    readonly name: string,
    readonly proc: ChildProcessWithoutNullStreams,
  ) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      let parsed: Line;
      try {
        parsed = JSON.parse(line) as Line;
      } catch {
        parsed = { text: line };
      }
      this.lines.push(parsed);
      for (const w of this.waiters.splice(0)) w();
    });
    proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    proc.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        resolve({ code, signal });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The first line from index `from` on that matches; null if `limitMs` passes first. */
  async waitLine(match: (l: Line) => boolean, from: number, limitMs: number): Promise<Line | null> {
    const end = Date.now() + limitMs;
    let seen = from;
    for (;;) {
      for (; seen < this.lines.length; seen++) if (match(this.lines[seen] as Line)) return this.lines[seen] as Line;
      if (!this.alive) throw new Error(`${this.name} exited (${this.proc.exitCode ?? this.proc.signalCode}): ${this.stderr}`);
      const left = end - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.min(left, 200));
      });
    }
  }

  async line(what: string, match: (l: Line) => boolean, from: number, limitMs: number): Promise<Line> {
    const found = await this.waitLine(match, from, limitMs);
    if (!found) throw new Error(`timed out waiting for ${what} from ${this.name}: ${this.stderr}`);
    return found;
  }

  /** Signals the whole process group (the simulator's socat too). */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive && this.proc.pid) {
      try {
        process.kill(-this.proc.pid, signal);
      } catch {
        this.proc.kill(signal);
      }
    }
    return this.exited;
  }
}

function spawnChild(name: string, args: string[]): Child {
  return new Child(name, spawn(process.execPath, args, { cwd: root, detached: true, stdio: ['pipe', 'pipe', 'pipe'] }));
}

const COIN_CENTS: Record<string, number> = { EU010A: 10, EU020A: 20, EU050A: 50, EU100A: 100, EU200A: 200 };
/** Coins the harness offers, weighted towards the large ones so sessions get paid. */
const COIN_CHOICE = ['EU200A', 'EU200A', 'EU100A', 'EU100A', 'EU100A', 'EU050A', 'EU050A', 'EU020A', 'EU010A'];
/** Kill targets: steps of the session (payment and printing weighted up) and boot recovery. */
const TARGETS = ['recovery', 'capture', 'validating', 'review', 'signature', 'payment', 'payment', 'payment', 'payment', 'issuing', 'printing', 'printing', 'printing', 'printing', 'uploading', 'done', 'idle'];

export async function runPowercut(options: PowercutOptions): Promise<PowercutResult> {
  const rand = prng(options.seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const log = options.log ?? (() => undefined);
  const price = options.priceCents ?? 300;
  const dir = mkdtempSync(join(tmpdir(), 'cabine-powercut-'));
  const dataDir = join(dir, 'data');
  const children: Child[] = [];
  const violations: string[] = [];
  const result: PowercutResult = {
    dataDir,
    cycles: 0,
    killedIn: {},
    lateKills: 0,
    sessions: { total: 0, served: 0, unpaid: 0, interrupted: 0, timeout: 0 },
    coins: { offered: 0, accepted: 0, refused: 0, acceptedCents: 0, ledgerRows: 0, ledgerCents: 0 },
    codes: 0,
    prints: 0,
    records: 0,
    paymentRecords: 0,
    storedCreditCents: 0,
    incidents: { count: 0, events: 0, coins: 0 },
    acceptor: { counter: 0, accepted: {}, acceptedCents: 0, counters: [], coins: [] },
    cards: { taps: 0, sessions: 0, charged: [], voided: 0, ledgerCharged: 0, ledgerVends: {} },
    violations,
  };
  const t0 = Date.now();
  let feeding = true;
  let feeder: Promise<void> = Promise.resolve();

  try {
    const sim = spawnChild('ccTalk simulator', [join(root, 'bin/cabine.js'), 'sim', 'cctalk', '--pty', '--seed', String(options.seed)]);
    children.push(sim);
    const port = String((await sim.line('simulator ready', (l) => l.ready === true, 0, 20000)).port);
    let queue: Promise<unknown> = Promise.resolve();
    /** One command at a time on the simulator's stdin; the next line is its answer. */
    const control = (command: Line): Promise<Line> => {
      const run = queue.then(async () => {
        const from = sim.lines.length;
        sim.proc.stdin.write(JSON.stringify(command) + '\n');
        return sim.line(`answer to ${JSON.stringify(command)}`, () => true, from, 10000);
      });
      queue = run.catch(() => undefined);
      return run;
    };

    // The card reader behind its MDB interface: a separate process as well.
    const cardSim = spawnChild('MDB reader simulator', [join(root, 'bin/cabine.js'), 'sim', 'mdb', '--pty']);
    children.push(cardSim);
    const cardPort = String((await cardSim.line('reader ready', (l) => l.ready === true, 0, 20000)).port);
    let cardQueue: Promise<unknown> = Promise.resolve();
    const cardControl = (command: Line): Promise<Line> => {
      const run = cardQueue.then(async () => {
        const from = cardSim.lines.length;
        cardSim.proc.stdin.write(JSON.stringify(command) + '\n');
        return cardSim.line(`answer to ${JSON.stringify(command)}`, () => true, from, 10000);
      });
      cardQueue = run.catch(() => undefined);
      return run;
    };

    let booth: Child | undefined;
    /** The booth's driver polls the acceptor (between its `up` line and its death). */
    let polled = false;
    let downEvents = 0;
    const taken: Record<string, number> = {};
    const takenCounters: number[] = [];
    const takenCoins: string[] = [];
    // The customer's hand: a coin every 300-500 ms (no faster than a coin goes through a real
    // acceptor), into whatever state the acceptor is in. The simulated acceptor has the credit-
    // poll watchdog of real ones (1 s): while the booth is dead, booting or stalled, it returns
    // the coins after a second, so at most 4 events (5 fit in its buffer) happen unseen. While
    // nobody polls, at most 2 coins are offered anyway, so most cycles still boot to a buffer
    // to catch up with.
    feeder = (async () => {
      while (feeding) {
        await sleep(300 + Math.floor(rand() * 200));
        if (!feeding) break;
        const down = !polled || !booth?.alive;
        if (rand() < 0.25) {
          // A card instead: approved (after 0-400 ms of "bank") or, now and then, refused.
          const reply = await cardControl({ tap: { delayMs: Math.floor(rand() * 400), decision: rand() < 0.2 ? 'deny' : 'approve' } });
          result.cards.taps++;
          if (reply.result === 'session') result.cards.sessions++;
          continue;
        }
        if (down && downEvents >= 2) continue;
        const coin = pick(COIN_CHOICE);
        const reply = await control({ coin });
        result.coins.offered++;
        if (down) downEvents++;
        if (reply.result === 'accepted') {
          taken[coin] = (taken[coin] ?? 0) + 1;
          result.coins.accepted++;
          result.coins.acceptedCents += COIN_CENTS[coin] ?? 0;
          // The acceptor's event number of this coin (commands are serial: nothing came between).
          const status = (await control({ status: true })).status as { acceptor: { counter: number } };
          takenCounters.push(status.acceptor.counter);
          takenCoins.push(coin);
        } else if (reply.result === 'rejected') result.coins.refused++;
        else throw new Error(`simulator: unexpected answer ${JSON.stringify(reply)}`);
      }
    })();
    const feederFailed = feeder.then(
      () => new Promise<never>(() => undefined),
      (err: unknown) => {
        throw err;
      },
    );

    const startBooth = async (extra: string[] = []): Promise<Child> => {
      const child = spawnChild('booth', ['--import', 'tsx', join(root, 'test/flows/powercut-booth.ts'), '--dir', dataDir, '--port', port, '--card', cardPort, '--price', String(price), ...extra]);
      children.push(child);
      booth = child;
      await Promise.race([child.line('booth up', (l) => l.up === true, 0, 60000), feederFailed]);
      polled = true;
      downEvents = 0;
      return child;
    };

    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const child = await startBooth();
      const target = pick(TARGETS);
      const spread = target === 'payment' ? 800 : target === 'printing' ? 400 : 300;
      const delay = Math.floor(rand() * spread);
      const from = child.lines.length;
      let late = false;
      if (target !== 'recovery') {
        // 'idle' means back to idle after a session ended (not the idle of the boot).
        const match = target === 'idle' ? (l: Line) => l.ended !== undefined : (l: Line) => l.step === target;
        const reached = await Promise.race([child.waitLine(match, from, 30000), feederFailed]);
        late = reached === null;
      }
      await sleep(delay);
      const where = [...child.lines].reverse().find((l) => typeof l.step === 'string');
      const step = target === 'recovery' && !child.lines.some((l) => l.recovered === true) ? 'recovery' : String(where?.step ?? 'boot');
      const exit = await child.kill('SIGKILL');
      polled = false;
      if (exit.signal !== 'SIGKILL') violations.push(`cycle ${cycle}: the booth was not killed by SIGKILL but exited ${JSON.stringify(exit)}: ${child.stderr}`);
      result.killedIn[step] = (result.killedIn[step] ?? 0) + 1;
      if (late) result.lateKills++;
      result.cycles++;
      log(`cycle ${cycle} (${((Date.now() - t0) / 1000).toFixed(1)} s): aimed at ${target}+${delay}ms, killed in ${step}${late ? ' (target not reached)' : ''}`);
      // The power comes back after a moment (coins may go in meanwhile).
      await sleep(Math.floor(rand() * 300));
    }

    // Last boot: no customer, no more coins; recovery serves what was paid, then a clean stop.
    feeding = false;
    await feeder;
    polled = false;
    const last = await startBooth(['--customers', '0']);
    await last.line('recovery done', (l) => l.recovered === true, 0, 60000);
    await last.line('idle with nothing open', (l) => l.idle === true && l.open === 0, 0, 60000);
    const status = (await control({ status: true })).status as { acceptor: { counter: number; accepted: Record<string, number>; acceptedCents: number } };
    // The driver catches up with the acceptor's event counter (coins taken while it was down).
    const counterNow = () => {
      const db = new Database(join(dataDir, 'booth.db'), { readonly: true });
      try {
        return (db.prepare('SELECT counter FROM payment_acceptors').get() as { counter: number } | undefined)?.counter ?? 0;
      } finally {
        db.close();
      }
    };
    // A loaded machine can take long to boot and poll: wait, and say so if it never catches up
    // (a run once lost 2 coins with this wait cut short at 15 s and no word of it).
    const end = Date.now() + 120000;
    while (counterNow() !== status.acceptor.counter && Date.now() < end) await sleep(100);
    if (counterNow() !== status.acceptor.counter) violations.push(`the last boot did not catch up with the acceptor in 120 s: ledger counter ${counterNow()}, acceptor ${status.acceptor.counter}`);
    last.proc.kill('SIGTERM');
    const stopped = await last.exited;
    if (stopped.code !== 0) violations.push(`the last boot did not stop cleanly: ${JSON.stringify(stopped)}: ${last.stderr}`);
    await queue;
    const cardStatus = (await cardControl({ status: true })).result as { charged: CardChargeTally[]; voided: unknown[] };
    result.cards.charged = cardStatus.charged.map((c) => ({ item: c.item, cents: c.cents }));
    result.cards.voided = cardStatus.voided.length;
    cardSim.proc.stdin.write(JSON.stringify({ quit: true }) + '\n');
    sim.proc.stdin.write(JSON.stringify({ quit: true }) + '\n');
    const simExit = await sim.exited;
    if (simExit.code !== 0) violations.push(`the simulator did not quit cleanly: ${JSON.stringify(simExit)}`);

    const sameCounts = JSON.stringify(sortKeys(taken)) === JSON.stringify(sortKeys(status.acceptor.accepted));
    if (!sameCounts) violations.push(`the simulator's accepted coins ${JSON.stringify(status.acceptor.accepted)} differ from what the harness saw accepted ${JSON.stringify(taken)}`);
    result.acceptor = { ...status.acceptor, counters: takenCounters, coins: takenCoins };
    checkInvariants(dataDir, price, result.acceptor, result);
  } finally {
    feeding = false;
    await feeder.catch(() => undefined);
    for (const c of children.reverse()) await c.kill('SIGKILL');
    if (!options.keep && violations.length === 0) rmSync(dir, { recursive: true, force: true });
  }
  return result;
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/** The invariants, read from the store the booth left (it is stopped). */
export function checkInvariants(
  dataDir: string,
  price: number,
  acceptor: AcceptorTally,
  result: PowercutResult,
): void {
  const v = result.violations;
  const store = openStore(dataDir);
  try {
    const ledger = openLedger(store);
    const journal = openJournal(store);
    const codes = createCodeRegistry(store, { prefix: configSchema.parse({}).booth.operatorPrefix });
    const config = configSchema.parse({ hal: { simulated: true }, data: { dir: dataDir } });
    const printer = createPrinter(config.printer, { simulated: true, logger: silentLogger(), dataDir });
    const prints = new PrintQueue({ store, printer, boardsDir: join(dataDir, 'boards'), boothId: config.booth.id, jobTimeoutMs: 1000, logger: silentLogger() });
    const outbox = createSqliteOutbox(store);

    // 1. Every coin the acceptor took is in the ledger exactly once, or (events lost beyond the
    // acceptor's buffer on a loaded machine) inside a money incident the ledger recorded. The
    // ledger has no API listing its coin rows: SQL on payment_coins (docs/payment.md).
    const rows = store.db.prepare('SELECT coin, cents, counter FROM payment_coins ORDER BY id').all() as { coin: string; cents: number; counter: number }[];
    const incidents = ledger.openCoinIncidents();
    const inIncident = (counter: number) => incidents.some((i) => {
      const at = eventsSince(i.fromCounter, counter);
      return at >= 1 && at <= eventsSince(i.fromCounter, i.toCounter);
    });
    result.incidents = { count: incidents.length, events: incidents.reduce((a, i) => a + i.missedEvents, 0), coins: 0 };
    // The coins the ledger must hold: those taken, in order, less those an incident covers.
    const owed: AcceptorTally = { counter: acceptor.counter, accepted: {}, acceptedCents: 0, counters: [], coins: [] };
    let next = 0;
    acceptor.counters.forEach((counter, i) => {
      const coin = acceptor.coins[i] ?? '?';
      if (rows[next]?.counter === counter) next++;
      else if (inIncident(counter)) {
        result.incidents.coins++;
        return;
      }
      owed.counters.push(counter);
      owed.coins.push(coin);
      owed.accepted[coin] = (owed.accepted[coin] ?? 0) + 1;
      owed.acceptedCents += COIN_CENTS[coin] ?? 0;
    });
    acceptor = owed;
    result.coins.ledgerRows = rows.length;
    result.coins.ledgerCents = rows.reduce((a, r) => a + r.cents, 0);
    const byCoin: Record<string, number> = {};
    for (const r of rows) byCoin[r.coin] = (byCoin[r.coin] ?? 0) + 1;
    if (JSON.stringify(sortKeys(byCoin)) !== JSON.stringify(sortKeys(acceptor.accepted)))
      v.push(`ledger coins ${JSON.stringify(sortKeys(byCoin))} differ from the coins the acceptor took ${JSON.stringify(sortKeys(acceptor.accepted))}`);
    if (result.coins.ledgerCents !== acceptor.acceptedCents) v.push(`ledger holds ${result.coins.ledgerCents} cents, the acceptor took ${acceptor.acceptedCents}`);
    // Every acceptor event that was a coin, in order: none skipped, none counted twice (the
    // counter also counts refused coins, so it is compared with the events the harness saw).
    const got = rows.map((r) => r.counter);
    const firstDiff = got.findIndex((c, i) => c !== acceptor.counters[i]);
    if (got.length !== acceptor.counters.length || firstDiff >= 0)
      v.push(`ledger coin events [${got.join(',')}] differ from the acceptor's coin events [${acceptor.counters.join(',')}] (first difference at #${firstDiff >= 0 ? firstDiff + 1 : Math.min(got.length, acceptor.counters.length) + 1})`);
    const cashbox = ledger.cashbox();
    const cashboxCoins = Object.fromEntries(cashbox.map((l) => [l.coin, l.count]));
    if (JSON.stringify(sortKeys(cashboxCoins)) !== JSON.stringify(sortKeys(acceptor.accepted))) v.push(`cash-box counters ${JSON.stringify(cashboxCoins)} differ from the acceptor ${JSON.stringify(acceptor.accepted)}`);

    // 2. Sessions: none left open; a paid one has one code, one completed print, one record.
    if (journal.openSessions().length > 0) v.push(`sessions still open in the journal after recovery: ${journal.openSessions().join(', ')}`);
    const spool = existsSync(join(dataDir, 'printer')) ? readdirSync(join(dataDir, 'printer')).filter((f) => /^job-\d+-.*\.(png|jpg|pdf)$/.test(f)) : [];
    const seenCodes = new Map<string, string>();
    let settledSpent = 0;
    // Card vends: the ledger's states (SQL: the ledger lists vends per session only).
    const vends = store.db.prepare('SELECT session_id AS sessionId, state, credited_cents AS credited FROM payment_card_vends ORDER BY id').all() as { sessionId: string; state: string; credited: number }[];
    result.cards.ledgerVends = {};
    for (const vend of vends) result.cards.ledgerVends[vend.state] = (result.cards.ledgerVends[vend.state] ?? 0) + 1;
    const charged = vends.filter((x) => x.state === 'charged');
    result.cards.ledgerCharged = charged.length;
    const chargedCents = charged.reduce((a, x) => a + x.credited, 0);
    const readerCents = result.cards.charged.reduce((a, c) => a + c.cents, 0);
    if (charged.length !== result.cards.charged.length || chargedCents !== readerCents)
      v.push(`the reader charged ${result.cards.charged.length} vends (${readerCents} cents), the ledger says ${charged.length} charged (${chargedCents} cents)`);
    const open = vends.filter((x) => x.state === 'requested' || x.state === 'approved');
    if (open.length > 0) v.push(`${open.length} card vends left ${open.map((x) => x.state).join(', ')} after the clean stop`);
    let cardCreditOfServed = 0;
    for (const sessionId of journal.sessions()) {
      result.sessions.total++;
      const facts = journal.entries(sessionId).map((e) => e.fact);
      const paid = facts.filter((f) => f.type === 'PAID').length;
      const ended = facts.filter((f) => f.type === 'SESSION_ENDED');
      const outcome = ended[0]?.type === 'SESSION_ENDED' ? ended[0].outcome : undefined;
      const payment = ledger.session(sessionId);
      const code = codes.forSession(sessionId);
      const attempts = prints.attempts(sessionId);
      const completed = attempts.filter((a) => a.state === 'completed');
      const jobs = spool.filter((f) => f.includes(`-cabine-${sessionId}-`));
      const issued = facts.flatMap((f) => (f.type === 'CODE_ISSUED' ? [f.code] : []));
      if (ended.length !== 1) v.push(`session ${sessionId}: ${ended.length} SESSION_ENDED entries`);
      if (paid > 1) v.push(`session ${sessionId}: PAID journaled ${paid} times`);
      if (paid === 1) {
        result.sessions.served++;
        if (outcome !== 'completed') v.push(`session ${sessionId}: paid but ended ${outcome}`);
        if (payment?.state !== 'settled') v.push(`session ${sessionId}: paid in the journal, ledger says ${payment?.state ?? 'no payment'}`);
        else if (payment.spentCents !== price) v.push(`session ${sessionId}: charged ${payment.spentCents} cents, price ${price}`);
        else settledSpent += payment.spentCents;
        cardCreditOfServed += payment?.cardCents ?? 0;
        // A card is charged only after the board printed, and once.
        const cardCharges = charged.filter((x) => x.sessionId === sessionId).length;
        if (cardCharges > 0 && completed.length === 0) v.push(`session ${sessionId}: card charged, no board printed`);
        if (cardCharges > 1) v.push(`session ${sessionId}: card charged ${cardCharges} times`);
        if (!code) v.push(`session ${sessionId}: paid, no code`);
        else {
          const other = seenCodes.get(code.code);
          if (other) v.push(`code ${code.code} issued to ${other} and ${sessionId}`);
          seenCodes.set(code.code, sessionId);
          if (issued.some((c) => c !== code.code)) v.push(`session ${sessionId}: journal shows codes ${issued.join(', ')}, registry ${code.code}`);
        }
        if (completed.length !== 1) v.push(`session ${sessionId}: ${completed.length} completed print attempts`);
        if (jobs.length !== 1) v.push(`session ${sessionId}: ${jobs.length} boards printed (${jobs.join(', ')})`);
        if (!outbox.get(`session-${sessionId}`)) v.push(`session ${sessionId}: no record in the outbox`);
        else result.records++;
      } else {
        if (outcome === 'completed') v.push(`session ${sessionId}: completed without PAID`);
        if (outcome === 'interrupted') result.sessions.interrupted++;
        if (outcome === 'timeout') result.sessions.timeout++;
        result.sessions.unpaid++;
        if (payment?.state === 'settled' || payment?.state === 'open') v.push(`session ${sessionId}: not paid in the journal, ledger says ${payment.state}`);
        if (code) v.push(`session ${sessionId}: unpaid, yet code ${code.code}`);
        if (attempts.length > 0 || jobs.length > 0) v.push(`session ${sessionId}: unpaid, yet ${attempts.length} print attempts and ${jobs.length} boards`);
        if (issued.length > 0) v.push(`session ${sessionId}: unpaid, yet CODE_ISSUED journaled`);
        if (charged.some((x) => x.sessionId === sessionId)) v.push(`session ${sessionId}: unserved, yet its card was charged`);
      }
      if (code) result.codes++;
      result.prints += jobs.length;
    }
    // 3. Every closed payment (paid, or left as stored credit) is in the outbox as a payment
    // record, once (the outbox is keyed by record id), with the ledger's amounts.
    const closed = store.db.prepare("SELECT session_id FROM payment_sessions WHERE state != 'open'").all() as { session_id: string }[];
    for (const { session_id: sessionId } of closed) {
      const item = outbox.get(`payment-${sessionId}`);
      if (!item) {
        v.push(`payment of session ${sessionId}: closed in the ledger, no payment record in the outbox`);
        continue;
      }
      const record = JSON.parse((JSON.parse(item.payload.toString('utf8')) as { record: string }).record) as { data: { coinCents: number; outcome: string } };
      const payment = ledger.session(sessionId);
      if (record.data.coinCents !== payment?.coinCents || record.data.outcome !== payment.state)
        v.push(`payment record of session ${sessionId} says ${JSON.stringify(record.data)}, the ledger ${JSON.stringify(payment)}`);
    }
    result.paymentRecords = closed.length;
    // Boards nobody paid for (a job name of an unknown session).
    for (const f of spool) if (!journal.sessions().some((s) => f.includes(`-cabine-${s}-`))) v.push(`board ${f} belongs to no session`);

    // 3. Unpaid credit is kept: each unserved payment's credit became stored credit (no API lists
    // credit rows whatever their state, so SQL on payment_credit), and money adds up:
    // every cent taken is either spent on a served session or still stored credit.
    const credits = store.db.prepare("SELECT origin, session_id AS sessionId, cents, left_cents AS left, state FROM payment_credit").all() as { origin: string; sessionId: string | null; cents: number; left: number; state: string }[];
    for (const sessionId of journal.sessions()) {
      const payment = ledger.session(sessionId);
      if (!payment || payment.state !== 'kept') continue;
      const cash = payment.creditCents - payment.cardCents;
      if (cash === 0) continue;
      const kept = credits.filter((c) => c.origin === 'walk-away' && c.sessionId === sessionId).reduce((a, c) => a + c.cents, 0);
      if (kept !== cash) v.push(`session ${sessionId}: ${cash} cents of cash unserved, ${kept} kept as stored credit`);
    }
    const expired = credits.filter((c) => c.state === 'expired');
    if (expired.length > 0) v.push(`${expired.length} stored credits expired during the run (storedCreditMinutes too short for the check)`);
    result.storedCreditCents = credits.reduce((a, c) => a + c.left, 0);
    // Card approvals of served sessions paid part of what they spent (no card money is ever stored credit).
    if (result.coins.ledgerCents !== settledSpent - cardCreditOfServed + result.storedCreditCents)
      v.push(`money does not add up: ${result.coins.ledgerCents} cents taken, ${settledSpent} spent on served sessions (${cardCreditOfServed} of it by card) + ${result.storedCreditCents} stored credit`);
  } finally {
    store.close();
  }
}
