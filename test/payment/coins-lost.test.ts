// A coin never vanishes silently when the booth stops counting (a stalled process, a power cut
// at a bad moment). The ccTalk acceptor keeps only its last 5 events; the booth reads them
// every 100 ms. Here the booth's payment path (real driver on a real pty, PaymentDesk, SQLite
// ledger: test/payment/kill9-booth.ts) is frozen with SIGSTOP while a customer keeps dropping
// coins into the simulator (`cabine sim cctalk --pty`, its own process), then resumed.
// - The acceptor as real ones are (credit-poll watchdog, 1 s): once nobody has read its buffer
//   for 1 s it returns every coin, so no more than fits in its buffer is ever taken unseen:
//   every coin taken is in the ledger, none is lost.
// - An acceptor without that watchdog (`--poll-watchdog 0`): 8 coins taken while the booth is
//   frozen, 3 beyond the buffer. The ledger credits the 5 it still holds and records a money
//   incident of 3 lost events naming the open payment, before those credits; the operator
//   gets a payment.coins-lost event, the payment screen tells the customer to ask for a refund
//   quoting the incident; a restart resumes after the gap and reports nothing twice.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Child } from './helpers.ts';

const root = new URL('../../', import.meta.url).pathname;

async function rig(t: Test, watchdogMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-coins-lost-'));
  const children: Child[] = [];
  t.teardown(async () => {
    for (const c of children.reverse()) {
      if (c.proc.pid && c.proc.exitCode === null) c.proc.kill('SIGCONT');
      // The simulator gets its orderly stop (it closes its socat pty pair); a booth is killed.
      await c.kill(c === sim ? 'SIGTERM' : 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const sim = new Child(spawn(process.execPath, [join(root, 'bin/cabine.js'), 'sim', 'cctalk', '--pty', '--poll-watchdog', String(watchdogMs)], { cwd: root }));
  children.push(sim);
  const port = String((await sim.line('simulator ready', (l) => l.ready === true)).port);
  const control = async (command: Record<string, unknown>) => {
    const from = sim.lines.length;
    sim.proc.stdin.write(JSON.stringify(command) + '\n');
    return sim.line(`reply to ${JSON.stringify(command)}`, () => true, from);
  };
  const status = async () => (await control({ status: true })).status as { acceptor: { counter: number; accepted: Record<string, number>; autoInhibited: number; watchdogInhibits: boolean } };
  const startBooth = async () => {
    const booth = new Child(spawn(process.execPath, ['--import', 'tsx', join(root, 'test/payment/kill9-booth.ts'), '--dir', dir, '--port', port, '--session', 'customer-1'], { cwd: root }));
    children.push(booth);
    await booth.line('booth ready', (l) => l.ready === true, 0, 60000);
    return booth;
  };
  const ledger = () => {
    const db = new Database(join(dir, 'booth.db'), { readonly: true });
    try {
      return {
        coins: db.prepare('SELECT coin, counter, session_id AS sessionId FROM payment_coins ORDER BY id').all() as { coin: string; counter: number; sessionId: string }[],
        incidents: db.prepare('SELECT from_counter AS fromCounter, to_counter AS toCounter, missed_events AS missed, session_id AS sessionId FROM payment_incidents ORDER BY id').all() as { fromCounter: number; toCounter: number; missed: number; sessionId: string | null }[],
        counter: (db.prepare('SELECT counter FROM payment_acceptors').get() as { counter: number } | undefined)?.counter,
      };
    } finally {
      db.close();
    }
  };
  /** Waits (positive condition, generous limit for a loaded machine) until `ok` holds. */
  const until = async (what: string, ok: () => boolean | Promise<boolean>, limitMs = 60000) => {
    const end = Date.now() + limitMs;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { sim, control, status, startBooth, ledger, until };
}

t.test('the acceptor with its credit-poll watchdog: a frozen booth never lets a coin go uncounted', async (t) => {
  const r = await rig(t, 1000);
  const booth = await r.startBooth();
  t.equal((await r.control({ coin: 'EU200A' })).result, 'accepted', 'a coin while the booth polls');
  await r.until('the first coin journaled', () => r.ledger().coins.length === 1);
  booth.proc.kill('SIGSTOP');
  // Positive condition: the device itself says nobody has polled it for a second.
  await r.until('the watchdog inhibits the acceptor', async () => (await r.status()).acceptor.watchdogInhibits);
  const results = [];
  for (let i = 0; i < 8; i++) results.push((await r.control({ coin: 'EU100A' })).result);
  t.same(results, Array(8).fill('rejected'), 'every coin returned to the customer while nobody counts');
  t.equal((await r.status()).acceptor.autoInhibited, 8);
  booth.proc.kill('SIGCONT');
  await r.until('polled again', async () => !(await r.status()).acceptor.watchdogInhibits);
  t.equal((await r.control({ coin: 'EU050A' })).result, 'accepted', 'coins taken again once the booth polls');
  const simStatus = await r.status();
  await r.until('the last coin journaled', () => r.ledger().counter === simStatus.acceptor.counter);
  const { coins, incidents } = r.ledger();
  t.same(coins.map((c) => c.coin), ['EU200A', 'EU050A'], 'every coin the acceptor took is in the ledger');
  t.same(simStatus.acceptor.accepted, { EU200A: 1, EU050A: 1 });
  t.same(incidents, [], 'nothing lost, no incident');
});

t.test('an acceptor without watchdog: coins beyond its buffer become a money incident, never silence', async (t) => {
  const r = await rig(t, 0);
  let booth = await r.startBooth();
  t.equal((await r.control({ coin: 'EU200A' })).result, 'accepted');
  await r.until('the first coin journaled', () => r.ledger().coins.length === 1);
  booth.proc.kill('SIGSTOP');
  const inserted = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A', 'EU010A', 'EU020A', 'EU050A'];
  for (const coin of inserted) t.equal((await r.control({ coin })).result, 'accepted', `${coin} taken while the booth is frozen`);
  const simStatus = await r.status();
  t.equal(simStatus.acceptor.counter, 9);
  booth.proc.kill('SIGCONT');
  const lost = await booth.line('payment.coins-lost', (l) => l.coinsLost !== undefined, 0, 60000);
  t.match(lost, { coinsLost: { missedEvents: 3, fromCounter: 1, toCounter: 4, acceptor: '0A0B0C' }, sessionId: 'customer-1' }, 'the operator hears of 3 lost events during the payment of customer-1');
  t.match(lost.screen, { missedEvents: 3, incidentId: Number((lost.coinsLost as { incidentId: number }).incidentId) }, 'the payment screen tells the customer to quote the incident');
  await r.until('the 5 buffered coins journaled', () => r.ledger().counter === 9);
  const after = r.ledger();
  t.same(after.incidents, [{ fromCounter: 1, toCounter: 4, missed: 3, sessionId: 'customer-1' }], 'one incident, journaled with the open payment');
  t.same(after.coins.map((c) => [c.coin, c.counter]), [['EU200A', 1], ['EU100A', 5], ['EU200A', 6], ['EU010A', 7], ['EU020A', 8], ['EU050A', 9]], 'the 5 coins the acceptor still held credited, with their own events');
  const taken = Object.values(simStatus.acceptor.accepted).reduce((a, n) => a + n, 0);
  t.equal(after.coins.length + after.incidents[0]!.missed, taken, 'coins taken = coins credited + events in the incident: nothing vanished unrecorded');

  // A power cut now: the restart resumes after the gap and reports nothing twice.
  await booth.kill('SIGKILL');
  booth = await r.startBooth();
  t.equal((await r.control({ coin: 'EU100A' })).result, 'accepted');
  await r.until('the next coin journaled', () => r.ledger().counter === 10);
  const end = r.ledger();
  t.equal(end.incidents.length, 1, 'the incident is not recorded twice after a restart');
  t.equal(end.coins.length, 7);
  t.notOk(booth.lines.some((l) => l.coinsLost !== undefined), 'no second coins-lost event');
  const stopped = await booth.kill('SIGTERM');
  t.equal(stopped.code, 0);
});
