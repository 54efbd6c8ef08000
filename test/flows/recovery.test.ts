// Power cut at every point of a session: after each journal entry, before each journal
// entry (every effect before it done, its record lost), and inside the printer. Then the
// booth restarts on the same files and the invariants must hold: a paid session is printed
// once and coded once, its record queued once; an unpaid one keeps its credit; no code twice;
// no money created or lost.
import t, { type Test } from 'tap';
import { FakeClock, World } from './doubles.ts';
import type { SessionMachine } from '../../src/flows/session.ts';
import { isWellFormed } from '../../src/codes/code.ts';

const PRICE = 800;
const COINS = [200, 200, 100, 500];

/** The scripted customer; stops as soon as the power is cut. */
async function customer(world: World, machine: SessionMachine): Promise<void> {
  const act = async (fn: () => void) => {
    if (world.crashed) return;
    fn();
    await machine.settle();
  };
  await act(() => machine.send({ type: 'START' }));
  await act(() => machine.send({ type: 'ACCEPT' }));
  await act(() => machine.send({ type: 'SIGNATURE_DONE' }));
  for (const cents of COINS) await act(() => void world.insertCoin(cents));
  await act(() => machine.send({ type: 'FINISH' }));
}

function countIssued(world: World): number {
  return (world.store.db.prepare("SELECT COUNT(*) AS n FROM codes WHERE kind = 'issued'").get() as { n: number }).n;
}

async function checkInvariants(t: Test, world: World, label: string) {
  const [id] = world.journal.sessions();
  if (!id) {
    t.equal(world.storedCredit, 0, `${label}: nothing happened`);
    return;
  }
  t.same(world.journal.openSessions(), [], `${label}: no session left open`);
  const credited = world.sessionCredit(id);
  const coins = (world.coins.get(id) ?? []).reduce((a, c) => a + c.cents, 0);
  const issued = world.registry.forSession(id);
  const codeFacts = world.journal.entries(id).flatMap((e) => (e.fact.type === 'CODE_ISSUED' ? [e.fact.code] : []));
  if (credited >= PRICE) {
    t.equal(world.submissions.get(id), 1, `${label}: paid session printed exactly once`);
    t.ok(issued && isWellFormed(issued.code), `${label}: paid session has its code`);
    t.equal(countIssued(world), 1, `${label}: one code issued in all`);
    t.ok(codeFacts.length >= 1 && codeFacts.every((c) => c === issued?.code), `${label}: the journal names that one code`);
    t.equal(world.jobs.get(id)?.board.code, issued?.code, `${label}: the board carries it`);
    t.equal(world.records.size, 1, `${label}: one record queued`);
    t.equal(world.records.get(`session-${id}`)?.code, issued?.code);
    t.equal(world.settled.get(id), PRICE, `${label}: charged once, the price`);
    t.equal(world.storedCredit, coins - PRICE, `${label}: the surplus is stored credit`);
  } else {
    t.equal(world.jobs.size, 0, `${label}: unpaid session not printed`);
    t.equal(countIssued(world), 0, `${label}: unpaid session has no code`);
    t.equal(world.settled.size, 0, `${label}: nothing charged`);
    t.equal(world.storedCredit, coins, `${label}: every coin kept as stored credit`);
  }
  t.equal(world.acceptorEnabled, false, `${label}: acceptor inhibited at the end`);
}

async function crashAndRecover(t: Test, arm: (world: World) => void, label: string) {
  const world = new World(t);
  arm(world);
  const first = world.machine(t, new FakeClock());
  await customer(world, first);
  const crashed = world.crashed;
  await first.stop();
  world.reboot();
  const second = world.machine(t, new FakeClock());
  const report = await second.recover();
  await second.settle();
  if (second.snapshot().step === 'done') {
    second.send({ type: 'FINISH' });
    await second.settle();
  }
  t.equal(second.snapshot().step, 'idle', `${label}: back to idle`);
  await checkInvariants(t, world, label);
  // The booth still sells after the restart.
  second.send({ type: 'START' });
  await second.settle();
  t.equal(second.snapshot().step, 'review', `${label}: a new session runs`);
  await second.stop();
  return { crashed, report };
}

let entries = 0;

t.test('the session writes a known number of journal entries', async (t) => {
  const world = new World(t);
  const machine = world.machine(t);
  await customer(world, machine);
  t.equal(machine.snapshot().lastSession?.outcome, 'completed');
  entries = world.appends;
  t.equal(entries, 17, '6 steps + 4 coins + paid + code, print and record (intent and result) + end');
  await checkInvariants(t, world, 'no crash');
});

t.test('power cut after every journal entry', async (t) => {
  for (let k = 1; k <= entries; k++) {
    const { crashed, report } = await crashAndRecover(t, (w) => (w.cutAfterAppend = k), `cut after entry ${k}`);
    t.ok(crashed, `entry ${k}: the power was cut`);
    t.equal(report.damaged.length, 0);
  }
});

t.test('power cut before every journal entry (its effect done, its record lost)', async (t) => {
  for (let k = 1; k <= entries; k++) {
    const { crashed } = await crashAndRecover(t, (w) => (w.cutBeforeAppend = k), `cut before entry ${k}`);
    t.ok(crashed, `entry ${k}: the power was cut`);
  }
});

t.test('power cut inside the printer, job submitted but not reported', async (t) => {
  const { crashed } = await crashAndRecover(
    t,
    (w) => {
      const ports = w.ports.bind(w);
      let once = true;
      w.ports = () => {
        const p = ports();
        const inner = p.printer.ensurePrinted;
        p.printer.ensurePrinted = async (board, signal) => {
          const job = await inner(board, signal);
          if (once) w.crashed = true; // printed, then the booth died before hearing about it
          once = false;
          return job;
        };
        return p;
      };
    },
    'cut inside print',
  );
  t.ok(crashed);
});

t.test('power cut during payment with credit from the ledger not yet journaled', async (t) => {
  // The last coin is credited by the acceptor, the booth dies before journaling it: at boot
  // the ledger says the session is paid, so it is served.
  const world = new World(t);
  const first = world.machine(t, new FakeClock());
  first.send({ type: 'START' });
  await first.settle();
  first.send({ type: 'ACCEPT' });
  await first.settle();
  first.send({ type: 'SIGNATURE_DONE' });
  await first.settle();
  world.insertCoin(500);
  await first.settle();
  world.cutBeforeAppend = world.appends + 1;
  world.insertCoin(500);
  await first.settle();
  t.ok(world.crashed);
  await first.stop();
  world.reboot();
  const second = world.machine(t, new FakeClock());
  const report = await second.recover();
  t.equal(report.served.length, 1);
  t.equal(second.snapshot().step, 'done');
  second.send({ type: 'FINISH' });
  await second.settle();
  await checkInvariants(t, world, 'ledger ahead of journal');
});

t.test('a damaged journal entry is reported and left for a technician, the booth still runs', async (t) => {
  const world = new World(t);
  const machine = world.machine(t);
  machine.send({ type: 'START' });
  await machine.settle();
  await machine.stop();
  const [id] = world.journal.sessions();
  world.store.db.prepare("UPDATE flows_journal SET data = '{\"type\":\"PHOTO_CAPTURED\"}' WHERE type = 'PHOTO_CAPTURED'").run();
  world.reboot();
  const second = world.machine(t);
  const report = await second.recover();
  t.equal(report.damaged.length, 1);
  t.match(report.damaged[0]?.error, /journal entry #\d+ of session .* is damaged: file/);
  t.equal(report.damaged[0]?.sessionId, id);
  t.ok(world.events.some((e) => e.type === 'session.recovered' && e.severity === 'error'));
  second.send({ type: 'START' });
  await second.settle();
  t.equal(second.snapshot().step, 'review');
});
