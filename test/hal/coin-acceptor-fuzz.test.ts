// 10,000 damaged replies (changed byte, truncated, random bytes, garbage prefix, wrong
// address, lost) from the simulator over a real pty: the real driver never crashes, never
// credits a coin that was not taken, never loses one that was.
import t from 'tap';
import type { LinkStats } from '../../src/hal/coin-acceptor/index.ts';
import { startRig, until } from './coin-acceptor-harness.ts';

const runs = [
  { name: 'over a real pty', inProcess: false, frames: Number(process.env.CABINE_FUZZ_PTY_FRAMES ?? 2000), link: { replyTimeoutMs: 10, gapMs: 3, byteMs: 0 } },
  { name: 'on the in-process binding', inProcess: true, frames: Number(process.env.CABINE_FUZZ_FRAMES ?? 3000), link: { replyTimeoutMs: 4, gapMs: 2, byteMs: 0 } },
];

for (const run of runs) t.test(`${run.frames} fuzzed frames ${run.name}`, async (t) => {
  const FRAMES = run.frames;
  const rig = await startRig(t, { sim: { seed: 4242, replyDelayMs: 0 }, pollMs: 1, link: run.link, inProcess: run.inProcess });
  await until('acceptor ready', () => rig.acceptor.status().health === 'ok');
  await rig.acceptor.setAcceptance(['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']);
  const sim = rig.pty.sim;
  const coins = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A', 'GB100A'];
  sim.setFuzz(0.3);
  let inserted = 0;
  // One coin at a time once the previous one is counted (at most 5 events between good polls,
  // so none may legitimately be lost), with garbage bursts on the line now and then.
  await until(
    `${FRAMES} fuzzed frames`,
    () => {
      const seenCounter = rig.acceptor.status().readings?.counter;
      if (seenCounter === sim.acceptor.counter && sim.acceptor.masterEnabled) {
        sim.insertCoin(coins[inserted % coins.length] as string);
        if (inserted % 7 === 0) sim.garbage(1 + (inserted % 13));
        inserted++;
      }
      return sim.status().fuzzed >= FRAMES;
    },
    280_000,
  );
  sim.setFuzz(0);
  await until('the last coin counted', () => rig.acceptor.status().readings?.counter === sim.acceptor.counter && rig.acceptor.status().health === 'ok');
  const accepted = sim.status().acceptor;
  const credited: Record<string, number> = {};
  for (const c of rig.credits) credited[c.coin] = (credited[c.coin] ?? 0) + 1;
  t.ok(inserted > 20, `${inserted} coins inserted during the fuzz`);
  t.same(credited, accepted.accepted, 'every coin the device took was credited exactly once');
  t.equal(
    rig.credits.reduce((a, c) => a + c.valueCents, 0),
    accepted.acceptedCents,
  );
  t.same(rig.alarms.filter((a) => a.kind === 'missed-events'), [], 'no event lost');
  const link = rig.acceptor.status().readings?.link as LinkStats;
  t.ok(link.failedAttempts > FRAMES / 2, `${link.failedAttempts} failed attempts recovered`);
});
