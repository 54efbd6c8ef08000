// The coin acceptor contract: what the booth relies on from the ccTalk acceptor (and hopper),
// one suite run on both transports the booth uses: the in-process simulator (SimBinding, the
// --sim booth) and the real serial driver (serialport) on a real pty pair (socat) with the
// simulator on the other end. The device side is the same simulator, driven byte for byte.
import type { Test } from 'tap';
import type { LinkStats } from '../../../src/hal/coin-acceptor/index.ts';
import { applySimCommand } from '../../../src/hal/coin-acceptor/sim-pty.ts';
import { startRig as startHarnessRig, until, type Rig } from '../coin-acceptor-harness.ts';

const seen = (rig: Rig) => rig.acceptor.status().readings?.counter === rig.pty.sim.acceptor.counter;
const coinsOf = (rig: Rig) => rig.credits.map((c) => `${c.coin}#${c.counter}`);

type RigOptions = Parameters<typeof startHarnessRig>[1];

export function coinAcceptorContract(t: Test, label: string, transport: { inProcess: boolean }): void {
  const startRig = (t: Test, options: RigOptions = {}) => startHarnessRig(t, { ...options, inProcess: transport.inProcess });

  t.test(`${label}: identifies the acceptor, reads its coin table, and starts with every coin inhibited`, async (t) => {
    const rig = await startRig(t);
    t.equal(rig.acceptor.status().health, 'ok');
    t.match(rig.acceptor.identity(), { category: 'Coin Acceptor', manufacturer: 'CAB', product: 'SIM-CA', serial: '0A0B0C' });
    t.same(
      rig.acceptor.coinTable().map((s) => [s.position, s.coin, s.valueCents]),
      [
        [1, 'EU010A', 10],
        [2, 'EU020A', 20],
        [3, 'EU050A', 50],
        [4, 'EU100A', 100],
        [5, 'EU200A', 200],
        [6, 'GB100A', undefined],
      ],
    );
    const status = rig.pty.sim.status().acceptor;
    t.equal(status.masterEnabled, false, 'master inhibit on outside a payment');
    t.equal(status.inhibitMask, 0);
    t.equal(rig.pty.sim.insertCoin('EU200A'), 'rejected', 'a coin inserted outside a payment is rejected by the device');
    await until('the rejection seen', () => seen(rig));
    t.same(rig.credits, [], 'and never credited');
    t.equal(rig.errors[0]?.kind, 'inhibited');
  });

  t.test(`${label}: credits coins exactly, only the enabled ones`, async (t) => {
    const rig = await startRig(t);
    await rig.acceptor.setAcceptance(['EU050A', 'EU200A']);
    t.same(rig.acceptor.acceptance(), ['EU050A', 'EU200A']);
    t.equal(rig.pty.sim.status().acceptor.inhibitMask, 0b10100);
    t.equal(rig.pty.sim.status().acceptor.masterEnabled, true);
    for (const coin of ['EU200A', 'EU050A', 'EU100A', 'EU200A']) {
      rig.pty.sim.insertCoin(coin);
      await until('the coin seen', () => seen(rig));
    }
    t.same(coinsOf(rig), ['EU200A#1', 'EU050A#2', 'EU200A#4']);
    t.same(
      rig.credits.map((c) => [c.valueCents, c.channel]),
      [
        [200, 5],
        [50, 3],
        [200, 5],
      ],
    );
    t.equal(rig.errors.length, 1, 'the inhibited 1 EUR coin is an error event');
    t.equal(rig.errors[0]?.code, 131, 'coin type 4 inhibited');
    await rig.acceptor.setAcceptance([]);
    t.equal(rig.pty.sim.status().acceptor.masterEnabled, false, 'inhibited again');
  });

  t.test(`${label}: event counter wraps 255 → 1 without losing or repeating a coin`, async (t) => {
    const rig = await startRig(t, { beforeStart: (pty) => pty.sim.setCounter(252) });
    await rig.acceptor.setAcceptance(['EU100A']);
    for (let i = 0; i < 6; i++) {
      rig.pty.sim.insertCoin('EU100A');
      await until('the coin seen', () => seen(rig));
    }
    t.same(
      rig.credits.map((c) => c.counter),
      [253, 254, 255, 1, 2, 3],
    );
    t.same(rig.alarms, [], 'no alarm across the wrap');
  });

  t.test(`${label}: several events in one reply across the 255 → 1 wrap: each credited once, with its own counter`, async (t) => {
    const rig = await startRig(t, { beforeStart: (pty) => pty.sim.setCounter(252) });
    await rig.acceptor.setAcceptance(['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']);
    // One control command inserts the five coins at once: the next reply holds counter 2 and
    // the events of counters 253, 254, 255, 1, 2.
    t.same(applySimCommand(rig.pty.sim, { coins: ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'] }), { ok: true, result: ['accepted', 'accepted', 'accepted', 'accepted', 'accepted'] });
    await until('the burst seen', () => seen(rig));
    t.same(coinsOf(rig), ['EU010A#253', 'EU020A#254', 'EU050A#255', 'EU100A#1', 'EU200A#2']);
    t.same(rig.alarms, [], 'no missed events, no reset');
    // And a second burst straight after: 3 → 5, nothing repeated.
    applySimCommand(rig.pty.sim, { coins: ['EU200A', 'EU200A', 'EU200A'] });
    await until('the second burst seen', () => seen(rig));
    t.same(
      rig.credits.slice(5).map((c) => c.counter),
      [3, 4, 5],
    );
  });

  t.test(`${label}: up to 5 events in one reply; more than 5 is an alarm with the count of lost events`, async (t) => {
    const rig = await startRig(t);
    await rig.acceptor.setAcceptance(['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']);
    // Five coins between two polls: all five credited, oldest first.
    const five = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A'];
    for (const c of five) rig.pty.sim.insertCoin(c);
    await until('five coins', () => seen(rig));
    t.same(
      rig.credits.map((c) => c.coin),
      five,
    );
    t.same(rig.alarms, []);
    // Seven coins between two polls: the device kept the last five; two are lost.
    const seven = ['EU010A', 'EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A', 'EU200A'];
    for (const c of seven) rig.pty.sim.insertCoin(c);
    await until('the burst seen', () => seen(rig));
    t.same(
      rig.credits.slice(5).map((c) => c.coin),
      seven.slice(2),
      'the five buffered coins credited, oldest first',
    );
    t.match(rig.alarms, [{ kind: 'missed-events', missed: 2 }]);
    t.equal(rig.acceptor.status().readings?.missedEvents, 2);
  });

  t.test(`${label}: a device reset mid-session (counter 0) raises an alarm and re-applies the inhibits`, async (t) => {
    const rig = await startRig(t);
    await rig.acceptor.setAcceptance(['EU200A']);
    rig.pty.sim.insertCoin('EU200A');
    await until('coin', () => rig.credits.length === 1);
    rig.pty.sim.resetAcceptor();
    t.equal(rig.pty.sim.status().acceptor.masterEnabled, false, 'the device forgot its settings');
    await until('reset alarm', () => rig.alarms.some((a) => a.kind === 'reset'));
    await until('settings re-applied', () => rig.pty.sim.status().acceptor.masterEnabled);
    t.equal(rig.pty.sim.status().acceptor.inhibitMask, 1 << 4);
    rig.pty.sim.insertCoin('EU200A');
    await until('coin after reset', () => rig.credits.length === 2);
    t.equal(rig.credits[1]?.counter, 1, 'counting restarts at 1');
    t.equal(rig.acceptor.status().readings?.resets, 1);
  });

  t.test(`${label}: lost, corrupt, misaddressed replies, garbage and missing echo: retried, no phantom or lost coin`, async (t) => {
    const rig = await startRig(t);
    await rig.acceptor.setAcceptance(['EU200A', 'EU050A']);
    const sim = rig.pty.sim;
    const faults = ['drop', 'corrupt', 'wrong-address', 'garbage', 'no-echo'] as const;
    for (const fault of faults) {
      sim.inject(fault, 2);
      sim.garbage(7);
      sim.insertCoin('EU200A');
      await until(`coin through ${fault}`, () => seen(rig) && sim.status().faults[fault] === 0);
    }
    t.equal(rig.credits.length, faults.length, 'one credit per coin');
    t.ok(rig.credits.every((c) => c.coin === 'EU200A'));
    const link = rig.acceptor.status().readings?.link as LinkStats;
    t.ok(link.timeouts > 0 && link.checksumErrors > 0 && link.wrongAddress > 0 && link.echoErrors > 0, 'each fault was seen by the link');
    t.equal(rig.acceptor.status().health, 'ok');
  });

  t.test(`${label}: a silent device is a fault; it recovers, re-applies the inhibits and credits what it took meanwhile`, async (t) => {
    // An acceptor without credit-poll watchdog: it still takes coins while nobody reads it.
    // Replies are expected before the silence: a timeout a loaded machine meets (200 ms, not 40).
    const rig = await startRig(t, { sim: { pollWatchdogMs: 0 }, link: { replyTimeoutMs: 200 } });
    await rig.acceptor.setAcceptance(['EU100A']);
    rig.pty.sim.setSilent(true);
    await until('fault', () => rig.acceptor.status().health === 'fault');
    t.match(rig.faults[0], /not answering/);
    t.same(rig.acceptor.acceptance(), [], 'the driver no longer counts on any coin being accepted');
    rig.pty.sim.insertCoin('EU100A'); // the mechanism still takes it (it was enabled)
    rig.pty.sim.setSilent(false);
    await until('recovered', () => rig.recovered === 1 && seen(rig));
    t.same(coinsOf(rig), ['EU100A#1'], 'the coin taken while the link was down is credited once');
    t.same(rig.acceptor.acceptance(), ['EU100A'], 'its acceptance re-applied');
  });

  t.test(`${label}: a jam is reported as an alarm`, async (t) => {
    const rig = await startRig(t);
    rig.pty.sim.setJam(true);
    await until('jam', () => rig.errors.length > 0);
    t.match(rig.errors[0], { kind: 'jam', code: 14 });
    t.match(rig.alarms, [{ kind: 'coin-alarm' }]);
  });

  t.test(`${label}: hopper: identifies its coin and pays out`, async (t) => {
    const rig = await startRig(t, { hopper: true });
    t.same(rig.hopper?.coin(), { coin: 'EU100A', valueCents: 100 });
    t.same(await rig.hopper?.dispense(3), { requested: 3, paid: 3, unpaid: 0 });
    rig.pty.sim.setHopperLevel(1);
    t.same(await rig.hopper?.dispense(2), { requested: 2, paid: 1, unpaid: 1 }, 'an empty hopper says what it did not pay');
    t.equal(rig.hopper?.status().health, 'degraded');
    rig.pty.sim.setHopperLevel(10);
    rig.pty.sim.inject('drop', 1);
    const before = rig.pty.sim.status().hopper?.paid ?? 0;
    // The first request is the enable; drop its reply once: retried (idempotent).
    t.same(await rig.hopper?.dispense(1), { requested: 1, paid: 1, unpaid: 0 });
    t.equal((rig.pty.sim.status().hopper?.paid ?? 0) - before, 1, 'paid exactly once');
  });
}
