// Fuzzed replies (a byte changed, truncated, random bytes, garbage prefix, wrong address, lost)
// and garbage bursts on the line: the real driver never crashes, never credits a coin the
// device did not take, never loses one it took.
//
// 1. 10,000 damaged frames (CABINE_FUZZ_FRAMES) against the real driver stack — acceptor
//    driver, CctalkLink, @serialport/parser-cctalk, SerialPortStream over SimBinding — with the
//    production timings (100 ms poll, 150 ms reply timeout, 50 ms resync gap), on a virtual
//    clock (@sinonjs/fake-timers: setTimeout, setImmediate, Date). A damaged frame costs a
//    reply timeout or a resync gap; in virtual time those cost nothing, so the run takes a
//    few seconds of CPU instead of ~25 minutes of waiting, and is exactly reproducible (seeded
//    simulator, no wall-clock race).
// 2. A smaller run (CABINE_FUZZ_PTY_FRAMES, 500) end to end over a real socat pty pair with
//    real time and short timeouts: the same checks with the kernel's tty layer in the path.
import t from 'tap';
import FakeTimers from '@sinonjs/fake-timers';
import {
  CctalkBus,
  CctalkBusSimulator,
  CctalkCoinAcceptor,
  openSimulatedPort,
  type AcceptorAlarm,
  type CoinCreditEvent,
  type LinkStats,
} from '../../src/hal/coin-acceptor/index.ts';
import { silentLogger } from '../../src/log.ts';
import { startRig, until } from './coin-acceptor-harness.ts';

const EURO = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'];
const INSERTED = [...EURO, 'GB100A']; // the foreign coin is rejected by the device (not enabled)

const tally = (credits: CoinCreditEvent[]) => {
  const out: Record<string, number> = {};
  for (const c of credits) out[c.coin] = (out[c.coin] ?? 0) + 1;
  return out;
};

t.test(`${Number(process.env.CABINE_FUZZ_FRAMES ?? 10000)} fuzzed frames, production timings, virtual clock`, async (t) => {
  const FRAMES = Number(process.env.CABINE_FUZZ_FRAMES ?? 10000);
  const clock = FakeTimers.install({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date'] });
  let installed = true;
  const uninstall = () => {
    if (installed) clock.uninstall();
    installed = false;
  };
  t.teardown(uninstall);
  /** Runs virtual time, one timer at a time, until `done()` (bounded: a stuck driver fails). */
  const runUntil = async (what: string, done: () => boolean, each?: () => void, limitMs = 6 * 3600_000) => {
    const end = clock.now + limitMs;
    while (!done()) {
      if (clock.now > end) throw new Error(`virtual time ran out waiting for ${what}`);
      each?.();
      await clock.nextAsync();
    }
  };
  const settled = <T>(p: Promise<T>) => {
    let state = false;
    p.then(
      () => (state = true),
      () => (state = true),
    );
    return () => state;
  };

  const sim = new CctalkBusSimulator({ seed: 4242, replyDelayMs: 2 });
  const bus = new CctalkBus('sim', () => openSimulatedPort(sim), silentLogger()); // default link timings
  const acceptor = new CctalkCoinAcceptor(bus, { pollMs: 100, simulated: false, logger: silentLogger() });
  const credits: CoinCreditEvent[] = [];
  const alarms: AcceptorAlarm[] = [];
  const events: number[] = [];
  acceptor.on('credit', (c) => {
    credits.push(c);
    events.push(c.counter);
  });
  acceptor.on('coin-error', (e) => events.push(e.counter));
  acceptor.on('alarm', (a) => alarms.push(a));
  let faults = 0;
  acceptor.on('fault', () => faults++);
  try {
    const starting = acceptor.start();
    await runUntil('start', settled(starting));
    await starting;
    const enabling = acceptor.setAcceptance(EURO);
    await runUntil('acceptance', settled(enabling));
    await enabling;
    t.equal(sim.acceptor.masterEnabled, true);

    sim.setFuzz(0.5);
    let inserted = 0;
    // A coin whenever the previous one has been counted (at most 5 events between two good
    // polls, so none may legitimately be lost), and now and then a burst of garbage.
    await runUntil(
      `${FRAMES} fuzzed frames`,
      () => sim.status().fuzzed >= FRAMES,
      () => {
        if (acceptor.status().readings?.counter === sim.acceptor.counter && sim.acceptor.masterEnabled) {
          sim.insertCoin(INSERTED[inserted % INSERTED.length] as string);
          if (inserted % 7 === 0) sim.garbage(1 + (inserted % 23));
          inserted++;
        }
      },
    );
    sim.setFuzz(0);
    await runUntil('the last coin counted', () => acceptor.status().readings?.counter === sim.acceptor.counter && acceptor.status().health === 'ok');

    const accepted = sim.status().acceptor;
    t.ok(inserted > FRAMES / 10, `${inserted} coins inserted during the fuzz`);
    t.same(tally(credits), accepted.accepted, 'every coin the device took was credited exactly once');
    t.equal(
      credits.reduce((a, c) => a + c.valueCents, 0),
      accepted.acceptedCents,
      'credited cents = cents taken',
    );
    t.equal(events.length, inserted, 'one event (credit or rejection) per coin inserted');
    t.ok(
      events.every((counter, i) => i === 0 || counter === ((events[i - 1] as number) % 255) + 1),
      'events seen once each, in order, across the 255 → 1 wrap',
    );
    t.same(
      alarms.filter((a) => a.kind === 'missed-events' || a.kind === 'reset'),
      [],
      'no event lost, no phantom reset',
    );
    const link = acceptor.status().readings?.link as LinkStats;
    t.ok(link.failedAttempts >= FRAMES, `${link.failedAttempts} failed attempts recovered: no damaged reply was taken for a good one`);
    t.ok(link.timeouts > 0 && link.checksumErrors > 0 && link.wrongAddress > 0, 'timeouts, corrupt and misaddressed replies all seen');
    t.comment(`virtual time ${(clock.now / 1000).toFixed(0)} s, ${faults} faults (and reconnections) under fuzz, link ${JSON.stringify(link)}`);
    const stopping = acceptor.stop();
    await runUntil('stop', settled(stopping));
    await stopping;
    t.equal(sim.acceptor.masterEnabled, false, 'left inhibited');
  } finally {
    sim.stop();
    uninstall();
  }
});

t.test(`${Number(process.env.CABINE_FUZZ_PTY_FRAMES ?? 500)} fuzzed frames over a real pty`, async (t) => {
  const FRAMES = Number(process.env.CABINE_FUZZ_PTY_FRAMES ?? 500);
  const rig = await startRig(t, { sim: { seed: 77, replyDelayMs: 0 }, pollMs: 1, link: { replyTimeoutMs: 10, gapMs: 3, byteMs: 0 } });
  await until('acceptor ready', () => rig.acceptor.status().health === 'ok');
  await rig.acceptor.setAcceptance(EURO);
  const sim = rig.pty.sim;
  sim.setFuzz(0.3);
  let inserted = 0;
  await until(
    `${FRAMES} fuzzed frames`,
    () => {
      if (rig.acceptor.status().readings?.counter === sim.acceptor.counter && sim.acceptor.masterEnabled) {
        sim.insertCoin(INSERTED[inserted % INSERTED.length] as string);
        if (inserted % 7 === 0) sim.garbage(1 + (inserted % 13));
        inserted++;
      }
      return sim.status().fuzzed >= FRAMES;
    },
    120_000,
  );
  sim.setFuzz(0);
  await until('the last coin counted', () => rig.acceptor.status().readings?.counter === sim.acceptor.counter && rig.acceptor.status().health === 'ok');
  const accepted = sim.status().acceptor;
  t.ok(inserted > 20, `${inserted} coins inserted during the fuzz`);
  t.same(tally(rig.credits), accepted.accepted, 'every coin the device took was credited exactly once');
  t.equal(
    rig.credits.reduce((a, c) => a + c.valueCents, 0),
    accepted.acceptedCents,
  );
  t.same(
    rig.alarms.filter((a) => a.kind === 'missed-events' || a.kind === 'reset'),
    [],
    'no event lost',
  );
  const link = rig.acceptor.status().readings?.link as LinkStats;
  t.ok(link.failedAttempts > FRAMES / 2, `${link.failedAttempts} failed attempts recovered`);
});
