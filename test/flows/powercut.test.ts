// The power-cut test (issue 5): the whole booth as a child process, SIGKILLed at seeded random
// points (in every step, including payment, issuing and printing, and during boot recovery),
// restarted on the same data dir, with the ccTalk simulator as a separate process taking coins
// all along. Then the invariants (test/flows/powercut-harness.ts): every coin the acceptor took
// is in the ledger once, every paid session has one code, one print and one record, no code
// twice, no session charged twice, unpaid credit kept. CABINE_POWERCUT_CYCLES (default 20)
// and CABINE_POWERCUT_SEED change the run; `bench/soak-powercut.ts` runs 200.
import t from 'tap';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openStore } from '../../src/store/db.ts';
import { checkInvariants, runPowercut, type PowercutResult } from './powercut-harness.ts';

const CYCLES = Number(process.env.CABINE_POWERCUT_CYCLES ?? 20);
const SEED = Number(process.env.CABINE_POWERCUT_SEED ?? 5052024);

t.test(`power cut at random points, ${CYCLES} cycles (seed ${SEED}): nothing lost, nothing twice`, async (t) => {
  const result = await runPowercut({ cycles: CYCLES, seed: SEED, keep: true, log: (line) => t.comment(line) });
  t.teardown(() => rmSync(dirname(result.dataDir), { recursive: true, force: true }));
  t.same(result.violations, [], 'no invariant broken', { dataDir: result.dataDir });
  t.equal(result.cycles, CYCLES, 'every cycle ran and was killed');
  t.ok(result.sessions.served > 0, `sessions were paid and served (${result.sessions.served})`);
  t.ok(result.coins.accepted > 0 && result.coins.refused > 0, 'the acceptor took coins and refused some while inhibited');
  // A loaded machine may miss reads long enough for the acceptor's 5-event buffer to overflow:
  // the ledger then records a money incident, and a coin inside it is owed, not credited.
  t.equal(result.coins.ledgerRows + result.incidents.coins, result.coins.accepted, `every coin the acceptor took is a ledger row or inside a recorded money incident (${JSON.stringify(result.incidents)})`);
  t.equal(result.codes, result.sessions.served, 'one code per served session');
  t.equal(result.prints, result.sessions.served, 'one board per served session');
  t.ok(result.paymentRecords >= result.sessions.served, `every closed payment has its payment record (${result.paymentRecords})`);
  // The kills must really land inside the steps that matter, or the test proves little.
  t.ok((result.killedIn.payment ?? 0) > 0, 'some kills in the payment step');
  t.ok((result.killedIn.printing ?? 0) + (result.killedIn.issuing ?? 0) > 0, 'some kills while issuing or printing');
  const cardPaid = (result.cards.ledgerVends.charged ?? 0) + (result.cards.ledgerVends.voided ?? 0);
  t.ok(cardPaid > 0, `cards paid some sessions (${JSON.stringify(result.cards.ledgerVends)}: voided = approval dropped by a kill, never charged)`);
  t.equal(result.cards.ledgerCharged, result.cards.charged.length, 'the reader charged exactly the vends the ledger says');
  t.comment(JSON.stringify({ killedIn: result.killedIn, lateKills: result.lateKills, sessions: result.sessions, coins: result.coins, codes: result.codes, prints: result.prints, records: result.records, paymentRecords: result.paymentRecords, incidents: result.incidents, storedCreditCents: result.storedCreditCents, cards: result.cards }));

  // The checks themselves can fail: break the store the run left, one invariant at a time.
  const recheck = () => {
    const fresh: PowercutResult = { ...result, cards: { ...result.cards }, violations: [], sessions: { total: 0, served: 0, unpaid: 0, interrupted: 0, timeout: 0 }, coins: { ...result.coins }, codes: 0, prints: 0, records: 0, paymentRecords: 0 };
    checkInvariants(result.dataDir, 300, result.acceptor, fresh);
    return fresh.violations.join('\n');
  };
  t.equal(recheck(), '', 'the untouched store passes again');
  const spool = join(result.dataDir, 'printer');
  const job = readdirSync(spool).find((f) => f.startsWith('job-'));
  if (!job) throw new Error('no printed board to duplicate');
  copyFileSync(join(spool, job), join(spool, job.replace(/^job-(\d+)/, 'job-999999')));
  t.match(recheck(), /2 boards printed/, 'a board printed twice is caught');
  rmSync(join(spool, job.replace(/^job-(\d+)/, 'job-999999')));
  const store = openStore(result.dataDir);
  try {
    store.db.prepare('INSERT INTO payment_coins (session_id, coin, cents, channel, counter, acceptor_serial, at) SELECT session_id, coin, cents, channel, counter, acceptor_serial, at FROM payment_coins ORDER BY id DESC LIMIT 1').run();
    store.db.prepare("UPDATE payment_sessions SET spent_cents = spent_cents * 2 WHERE state = 'settled' AND seq = (SELECT MIN(seq) FROM payment_sessions WHERE state = 'settled')").run();
    store.db.prepare("UPDATE codes SET code = 'X' || code WHERE session_id = (SELECT session_id FROM codes LIMIT 1)").run();
    store.db.prepare("DELETE FROM outbox WHERE id = (SELECT id FROM outbox WHERE id LIKE 'payment-%' ORDER BY seq LIMIT 1)").run();
  } finally {
    store.close();
  }
  const broken = recheck();
  t.match(broken, /ledger holds \d+ cents, the acceptor took/, 'a coin counted twice is caught');
  t.match(broken, /ledger coin events/, '(and its repeated acceptor event)');
  t.match(broken, /charged 600 cents, price 300/, 'a session charged twice is caught');
  t.match(broken, /journal shows codes .*, registry X/, 'a code that differs from the one journaled is caught');
  t.match(broken, /closed in the ledger, no payment record in the outbox/, 'a payment record lost is caught');
});
