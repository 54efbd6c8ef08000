// The ccTalk coin acceptor driver over the in-process simulator (SimBinding: the same bytes as
// a serial line, no pty), fast: the exact credit events and alarms, the inhibit masks on the
// wire (both bytes), resuming from the ledger's counter, a credit the ledger refuses (kept in
// the device and offered again), a device that resets, stops answering, or is no acceptor.
// The pty test (coin-acceptor-pty.test.ts) runs the same driver over a real serial line.
import t, { type Test } from 'tap';
import {
  CctalkBus, CctalkCoinAcceptor, CctalkBusSimulator, openSimulatedPort,
  type AcceptorAlarm, type CoinCreditEvent, type CoinErrorEvent, type SimOptions,
} from '../../src/hal/coin-acceptor/index.ts';
import type { Clock } from '../../src/hal/clock.ts';
import { HEADER } from '../../src/hal/coin-acceptor/frame.ts';
import { silentLogger } from '../../src/log.ts';
import { until } from './coin-acceptor-harness.ts';

interface Driver {
  sim: CctalkBusSimulator;
  acceptor: CctalkCoinAcceptor;
  credits: CoinCreditEvent[];
  errors: CoinErrorEvent[];
  alarms: AcceptorAlarm[];
  marks: [string, number][];
  seen: () => boolean;
}

async function drive(t: Test, options: {
  sim?: SimOptions;
  before?: (sim: CctalkBusSimulator) => void;
  resume?: (serial: string) => number | undefined;
  sink?: (credit: CoinCreditEvent) => void;
  replyTimeoutMs?: number;
  failuresBeforeFault?: number;
} = {}): Promise<Driver> {
  const sim = new CctalkBusSimulator(options.sim);
  // Generous timeouts with retries: the machine running the tests may be loaded.
  const bus = new CctalkBus('sim', () => openSimulatedPort(sim), silentLogger(), { replyTimeoutMs: options.replyTimeoutMs ?? 500, retries: 2 });
  const acceptor = new CctalkCoinAcceptor(bus, {
    pollMs: 10, simulated: true, logger: silentLogger(),
    ...(options.failuresBeforeFault ? { failuresBeforeFault: options.failuresBeforeFault } : {}),
  });
  const d: Driver = {
    sim, acceptor, credits: [], errors: [], alarms: [], marks: [],
    seen: () => acceptor.status().readings?.counter === sim.acceptor.counter,
  };
  acceptor.on('credit', (c: CoinCreditEvent) => d.credits.push(c));
  acceptor.on('coin-error', (e: CoinErrorEvent) => d.errors.push(e));
  acceptor.on('alarm', (a: AcceptorAlarm) => d.alarms.push(a));
  acceptor.setCreditSink(options.sink ?? (() => undefined), options.resume, (serial, counter) => d.marks.push([serial, counter]));
  t.teardown(async () => {
    await acceptor.stop();
    sim.stop();
  });
  options.before?.(sim);
  await acceptor.start();
  await until('connected', () => acceptor.status().health === 'ok');
  return d;
}

/** The simulated acceptor answers `header` with `reply` (its data bytes, or a NAK) instead. */
function answering(sim: CctalkBusSimulator, header: number, reply: number[] | 'nak'): void {
  const answer = sim.acceptor.answer.bind(sim.acceptor);
  sim.acceptor.answer = (h, data) => (h === header ? reply : answer(h, data));
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Without their time, which must be ISO 8601 (else it stays in, and the comparison fails). */
const timeless = <T extends { at: string }>(events: T[]) => events.map(({ at, ...rest }) => (ISO.test(at) ? rest : { at, ...rest }));
const alarmsOf = (d: Driver) => timeless(d.alarms);

t.test('identity, coin table and readings; every coin inhibited until asked', async (t) => {
  const d = await drive(t);
  t.equal(d.acceptor.driver, 'cctalk-sim');
  t.strictSame(d.acceptor.identity(), { category: 'Coin Acceptor', manufacturer: 'CAB', product: 'SIM-CA', serial: '0A0B0C', software: '1.0' });
  t.strictSame(d.acceptor.coinTable(), [
    { position: 1, coin: 'EU010A', valueCents: 10 },
    { position: 2, coin: 'EU020A', valueCents: 20 },
    { position: 3, coin: 'EU050A', valueCents: 50 },
    { position: 4, coin: 'EU100A', valueCents: 100 },
    { position: 5, coin: 'EU200A', valueCents: 200 },
    { position: 6, coin: 'GB100A', valueCents: undefined },
  ]);
  t.equal(d.acceptor.status().health, 'ok');
  t.equal(d.acceptor.status().detail, 'CAB SIM-CA #0A0B0C');
  t.strictSame(d.marks, [['0A0B0C', 0]], 'no ledger counter: the device\'s counter is the starting point, persisted');
  t.match(d.acceptor.status().readings, {
    identity: { category: 'Coin Acceptor', manufacturer: 'CAB', product: 'SIM-CA', serial: '0A0B0C', software: '1.0' },
    counter: 0, accepting: [], credits: 0, creditedCents: 0, errors: 0, missedEvents: 0, resets: 0,
  });
  t.equal(d.sim.status().acceptor.masterEnabled, false);
  t.equal(d.sim.status().acceptor.inhibitMask, 0);
});

t.test('acceptance: the per-coin mask on both bytes and the master inhibit; in table order, once each', async (t) => {
  const table = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A', 'GB100A', 'XX001A', 'XX002A', 'XX003A', 'EU500A'];
  const d = await drive(t, { sim: { coinTable: table } });
  await d.acceptor.setAcceptance(['EU500A', 'EU050A', 'EU500A']);
  t.strictSame(d.acceptor.acceptance(), ['EU050A', 'EU500A']);
  t.equal(d.sim.status().acceptor.inhibitMask, (1 << 9) | (1 << 2), 'position 10 is bit 1 of the second byte');
  t.equal(d.sim.status().acceptor.masterEnabled, true);
  await d.acceptor.setAcceptance(['EU200A']);
  t.equal(d.sim.status().acceptor.inhibitMask, 1 << 4, 'only the asked coin left enabled');
  await d.acceptor.setAcceptance(['NOPE00']);
  t.strictSame(d.acceptor.acceptance(), [], 'a coin not in the table accepts nothing');
  t.equal(d.sim.status().acceptor.masterEnabled, false);
  t.equal(d.sim.status().acceptor.inhibitMask, 0);
  await d.acceptor.setAcceptance(['EU100A']);
  await d.acceptor.stop();
  t.equal(d.sim.status().acceptor.masterEnabled, false, 'stopping leaves the acceptor inhibited');
  await d.acceptor.setAcceptance(['EU200A']);
  t.equal(d.sim.status().acceptor.masterEnabled, false, 'a stopped driver only remembers the wish');
});

t.test('credits: each event exactly, oldest first; rejected coins are error events', async (t) => {
  const d = await drive(t);
  await d.acceptor.setAcceptance(['EU050A', 'EU200A']);
  for (const coin of ['EU200A', 'EU100A', 'EU050A']) d.sim.insertCoin(coin);
  await until('three events', d.seen);
  t.strictSame(timeless(d.credits), [
    { coin: 'EU200A', valueCents: 200, channel: 5, sorterPath: 1, counter: 1, serial: '0A0B0C' },
    { coin: 'EU050A', valueCents: 50, channel: 3, sorterPath: 1, counter: 3, serial: '0A0B0C' },
  ]);
  t.match(d.errors, [{ code: 131, kind: 'inhibited', counter: 2 }]);
  t.strictSame(d.alarms, []);
  t.match(d.acceptor.status().readings, { counter: 3, credits: 2, creditedCents: 250, errors: 1 });
});

t.test('a coin with no euro value is an alarm, never a credit; a jam is an alarm', async (t) => {
  const d = await drive(t);
  await d.acceptor.setAcceptance(['GB100A']);
  d.sim.insertCoin('GB100A');
  await until('the coin seen', d.seen);
  t.strictSame(d.credits, []);
  t.strictSame(alarmsOf(d), [{ kind: 'unknown-coin', message: 'coin accepted at position 6 which has no euro value in the coin table: not credited', counter: 1 }]);
  d.sim.setJam(true);
  await until('the jam seen', d.seen);
  t.match(d.errors, [{ kind: 'jam', code: 14, counter: 2 }]);
  t.match(alarmsOf(d)[1], { kind: 'coin-alarm', counter: 2, message: /^coin acceptor: ./ });
});

t.test('more than 5 events between two polls: the 5 buffered credited, an alarm counts the lost ones', async (t) => {
  // An acceptor without credit-poll watchdog (with one, coins are returned while nobody polls).
  const d = await drive(t, { sim: { pollWatchdogMs: 0 }, before: (sim) => sim.setCounter(250) });
  await d.acceptor.setAcceptance(['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']);
  await d.acceptor.stop();
  // Seven coins while nobody polls (counter 250 → 2 across the wrap), then polling again.
  d.sim.acceptor.masterEnabled = true;
  d.sim.acceptor.inhibitMask = 0b11111;
  for (const coin of ['EU010A', 'EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A', 'EU200A']) d.sim.insertCoin(coin);
  await d.acceptor.start();
  await until('the burst seen', d.seen);
  t.strictSame(d.credits.map((c) => `${c.coin}#${c.counter}`), ['EU020A#253', 'EU050A#254', 'EU100A#255', 'EU200A#1', 'EU200A#2']);
  t.strictSame(alarmsOf(d), [{ kind: 'missed-events', message: '2 coin acceptor events missed (counter 250 → 2): coins may have been taken and not credited', missed: 2, counter: 2 }]);
  t.equal(d.acceptor.status().readings?.missedEvents, 2);
});

t.test('exactly 5 events between two polls: all credited, no alarm; null events only move the counter', async (t) => {
  const d = await drive(t, { sim: { pollWatchdogMs: 0 }, before: (sim) => sim.setCounter(100) });
  await d.acceptor.stop();
  d.sim.acceptor.masterEnabled = true;
  d.sim.acceptor.inhibitMask = 0b11111;
  for (const coin of ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']) d.sim.insertCoin(coin);
  await d.acceptor.start();
  await until('five seen', d.seen);
  t.strictSame(d.credits.map((c) => `${c.coin}#${c.counter}`), ['EU010A#101', 'EU020A#102', 'EU050A#103', 'EU100A#104', 'EU200A#105']);
  t.strictSame(d.alarms, []);
  d.sim.setCounter(108); // three events the buffer no longer holds: null events
  await until('the jump seen', d.seen);
  t.equal(d.credits.length, 5);
  t.strictSame(d.alarms, []);
  t.strictSame(d.errors, [], 'a null event is no coin error');
  t.equal(d.acceptor.status().readings?.errors, 0);
});

t.test('a credit on sorter path 0 (an acceptor without a sorter) is a credit', async (t) => {
  const { sim, acceptor } = bare(t);
  const credits: CoinCreditEvent[] = [];
  acceptor.on('credit', (c: CoinCreditEvent) => credits.push(c));
  await acceptor.start();
  // Counter 1; newest event: coin position 3 (EU050A), sorter path 0; the other 4 empty.
  answering(sim, HEADER.readBufferedCredit, [1, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  await until('credit', () => credits.length === 1);
  t.match(credits[0], { coin: 'EU050A', valueCents: 50, channel: 3, sorterPath: 0, counter: 1 });
});

t.test('resuming from the ledger: coins taken while the booth was down are credited once', async (t) => {
  const d = await drive(t, {
    // No credit-poll watchdog (older acceptors; or coins dropped within its second): the
    // acceptor left enabled takes coins while nobody polls.
    sim: { pollWatchdogMs: 0 },
    resume: (serial) => (serial === '0A0B0C' ? 40 : undefined),
    before: (sim) => {
      sim.setCounter(40);
      sim.acceptor.masterEnabled = true;
      sim.acceptor.inhibitMask = 1 << 4;
      sim.insertCoin('EU200A');
      sim.insertCoin('EU200A');
    },
  });
  await until('resumed', d.seen);
  t.strictSame(d.credits.map((c) => c.counter), [41, 42]);
  t.strictSame(d.marks, [], 'a resumed counter is not re-marked');
  const fresh = await drive(t, { resume: () => undefined, before: (sim) => sim.setCounter(77) });
  t.strictSame(fresh.marks, [['0A0B0C', 77]]);
  t.equal(fresh.acceptor.status().readings?.counter, 77);
});

t.test('a credit the ledger cannot record stays in the device, the acceptor is inhibited, and it is offered again', async (t) => {
  let refuse = true;
  const recorded: number[] = [];
  const d = await drive(t, {
    sink: (c) => {
      if (refuse) throw new Error('disk full');
      recorded.push(c.counter);
    },
  });
  await d.acceptor.setAcceptance(['EU200A']);
  const faults: unknown[] = [];
  d.acceptor.on('fault', (f: unknown) => faults.push(f));
  d.sim.insertCoin('EU200A');
  // Offered again at each reconnection while refused: the first refusal is checked.
  await until('refused', () => d.alarms.length >= 1);
  t.strictSame(faults[0], { device: 'coinAcceptor', message: 'cannot record credit: disk full', fatal: true });
  t.strictSame(alarmsOf(d)[0], { kind: 'record-failed', counter: 1, message: 'coin EU200A could not be recorded (disk full); kept in the acceptor\'s buffer, acceptor inhibited' });
  t.strictSame(d.credits, [], 'nobody heard of a coin the ledger does not have');
  await until('inhibited', () => d.sim.status().acceptor.masterEnabled === false);
  refuse = false;
  await until('recorded', () => recorded.length === 1 && d.seen());
  t.strictSame(recorded, [1]);
  t.strictSame(d.credits.map((c) => c.counter), [1], 'credited once');
  t.equal(d.acceptor.status().health, 'ok');
  t.strictSame(d.acceptor.acceptance(), ['EU200A'], 'acceptance re-applied');
});

t.test('a device reset: alarm, counter persisted as 0, inhibits re-applied, counting from 1', async (t) => {
  const d = await drive(t);
  await d.acceptor.setAcceptance(['EU200A']);
  d.sim.insertCoin('EU200A');
  await until('coin', () => d.credits.length === 1);
  d.sim.resetAcceptor();
  await until('re-applied', () => d.alarms.length === 1 && d.sim.status().acceptor.masterEnabled);
  t.strictSame(alarmsOf(d), [{ kind: 'reset', message: 'coin acceptor reset (event counter back to 0): coins inserted since the last poll may be lost', counter: 0 }]);
  t.strictSame(d.marks, [['0A0B0C', 0], ['0A0B0C', 0]]);
  t.equal(d.acceptor.status().readings?.resets, 1);
  d.sim.insertCoin('EU200A');
  await until('coin after reset', () => d.credits.length === 2);
  t.equal(d.credits[1]?.counter, 1);
});

t.test('a silent device is a fault after the failures allowed; what it took meanwhile is credited on recovery', async (t) => {
  const d = await drive(t, { replyTimeoutMs: 80, failuresBeforeFault: 3 });
  await d.acceptor.setAcceptance(['EU100A']);
  d.sim.setSilent(true);
  const faults: string[] = [];
  d.acceptor.on('fault', (f: { message: string }) => faults.push(f.message));
  await until('fault', () => d.acceptor.status().health === 'fault');
  t.match(faults[0], /^coin acceptor not answering: no reply from address 2 within 80 ms/);
  t.strictSame(d.acceptor.acceptance(), []);
  d.sim.insertCoin('EU100A');
  d.sim.setSilent(false);
  await until('recovered', () => d.acceptor.status().health === 'ok' && d.seen());
  t.strictSame(d.credits.map((c) => `${c.coin}#${c.counter}`), ['EU100A#1']);
  t.strictSame(d.acceptor.acceptance(), ['EU100A']);
});

t.test('a device that is not a coin acceptor is refused', async (t) => {
  const sim = new CctalkBusSimulator();
  const bus = new CctalkBus('sim', () => openSimulatedPort(sim), silentLogger(), { replyTimeoutMs: 500, retries: 2 });
  // The hopper's address answers, the acceptor's does not: the category is asked of address 2.
  const acceptor = new CctalkCoinAcceptor(bus, { pollMs: 10, simulated: false, logger: silentLogger() });
  t.teardown(async () => {
    await acceptor.stop();
    sim.stop();
  });
  answering(sim, HEADER.requestEquipmentCategory, [...Buffer.from('Payout')]);
  await acceptor.start();
  t.equal(acceptor.status().health, 'absent');
  t.match(acceptor.status().detail, 'device at address 2 is a "Payout", not a coin acceptor');
  t.equal(acceptor.driver, 'cctalk:sim');
  await t.rejects(acceptor.setAcceptance(['EU200A']), { message: 'coin acceptor not ready: coin acceptor not answering: device at address 2 is a "Payout", not a coin acceptor' });
  const requests = sim.status().requests;
  await acceptor.stop();
  t.equal(sim.status().requests, requests, 'nothing sent to a device never identified, not even an inhibit');
});

t.test('identity as devices send it: padded with spaces or NULs, no software revision (NAK)', async (t) => {
  const padded: Record<number, number[] | 'nak'> = {
    [HEADER.requestEquipmentCategory]: [...Buffer.from('Coin Acceptor  \0\0', 'latin1')],
    [HEADER.requestManufacturerId]: [...Buffer.from(' CAB\0', 'latin1')],
    [HEADER.requestProductCode]: [...Buffer.from('SIM-CA\0\0\0', 'latin1')],
    [HEADER.requestSoftwareRevision]: 'nak',
  };
  const d = await drive(t, {
    before: (sim) => {
      const answer = sim.acceptor.answer.bind(sim.acceptor);
      sim.acceptor.answer = (header, data) => padded[header] ?? answer(header, data);
    },
  });
  t.strictSame(d.acceptor.identity(), { category: 'Coin Acceptor', manufacturer: 'CAB', product: 'SIM-CA', serial: '0A0B0C' });
  t.equal(d.acceptor.status().detail, 'CAB SIM-CA #0A0B0C');
});

t.test('a serial number reply of the wrong length is refused', async (t) => {
  const { sim, acceptor } = bare(t);
  answering(sim, HEADER.requestSerialNumber, [0x0c, 0x0b]);
  await acceptor.start();
  t.equal(acceptor.status().health, 'absent');
  t.equal(acceptor.status().detail, 'coin acceptor not answering: bad serial number reply (2 bytes)');
  t.equal(acceptor.identity(), undefined);
});

/** A driver on its own bus, with the port openings counted and the timers pending on its clock. */
function bare(t: Test, options: { sim?: SimOptions; failuresBeforeFault?: number; replyTimeoutMs?: number } = {}) {
  const sim = new CctalkBusSimulator(options.sim);
  let opened = 0;
  const pending = new Set<unknown>();
  const clock: Clock = {
    now: () => Date.now(),
    setTimeout: (callback, ms) => {
      const handle = setTimeout(() => {
        pending.delete(handle);
        callback();
      }, ms);
      pending.add(handle);
      return handle;
    },
    clearTimeout: (handle) => {
      pending.delete(handle);
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
  const bus = new CctalkBus('sim', () => {
    opened++;
    return openSimulatedPort(sim);
  }, silentLogger(), { replyTimeoutMs: options.replyTimeoutMs ?? 500, retries: 2, clock });
  const acceptor = new CctalkCoinAcceptor(bus, {
    pollMs: 10, simulated: true, logger: silentLogger(),
    ...(options.failuresBeforeFault ? { failuresBeforeFault: options.failuresBeforeFault } : {}),
  });
  t.teardown(async () => {
    await acceptor.stop();
    sim.stop();
  });
  return { sim, bus, acceptor, opened: () => opened, pending };
}

t.test('start and stop are idempotent: one use of a shared bus, released once; no timer left', async (t) => {
  const { sim, bus, acceptor, opened, pending } = bare(t);
  bus.acquire(); // another device on the same bus (the hopper)
  t.strictSame(acceptor.coinTable(), []);
  const starting = acceptor.start();
  t.equal(acceptor.status().health, 'starting', 'until the first connection attempt ends');
  await starting;
  await acceptor.start();
  // Connected once, then polled (never identified again while it answers).
  await until('polled', () => (acceptor.status().readings?.polls as number) >= 3);
  t.equal(opened(), 1);
  t.equal(acceptor.status().health, 'ok');
  await acceptor.stop(); // a poll in flight completes first
  t.equal(sim.status().requests, 25 + (acceptor.status().readings?.polls as number) + 2, 'a poll, 5 identity requests, 16 coin positions, 2 inhibits, a first read; then polls only; 2 inhibits at stop');
  t.equal(pending.size, 0, 'no poll scheduled after stop');
  t.equal(acceptor.status().health, 'stopped');
  await acceptor.stop();
  t.ok(bus.current(), 'the other device still has its link: the driver released the bus once');
  await bus.release();
  t.equal(bus.current(), undefined, 'the last user closes it');
  await acceptor.setAcceptance(['EU200A']);
  t.equal(sim.status().acceptor.masterEnabled, false, 'stopped: inhibited');
  await acceptor.start();
  t.equal(opened(), 2, 'a start after the last release opens the port again');
  t.equal(sim.status().acceptor.masterEnabled, true, 'started again: identified and the wish applied');
  t.strictSame(acceptor.acceptance(), ['EU200A']);
});

t.test('a fault after exactly failuresBeforeFault failed polls (default 2), fatal, each poll retried', async (t) => {
  type Stats = { transactions: number; failedAttempts: number };
  const linkStats = (acceptor: CctalkCoinAcceptor) => ({ ...(acceptor.status().readings?.link as Stats) });
  for (const [allowed, expected] of [[undefined, 2], [4, 4]] as const) {
    const { sim, acceptor } = bare(t, { replyTimeoutMs: 100, ...(allowed ? { failuresBeforeFault: allowed } : {}) });
    await acceptor.start();
    t.match(linkStats(acceptor), { transactions: Number, failedAttempts: Number, timeouts: Number, echoErrors: Number, checksumErrors: Number, wrongAddress: Number, unsolicitedFrames: Number });
    await acceptor.setAcceptance(['EU200A']);
    // The device falls silent right after the poll that reported a coin: no transaction is
    // in flight then, so every later one fails.
    let before: Stats | undefined;
    acceptor.once('credit', () => {
      sim.setSilent(true);
      before = linkStats(acceptor);
    });
    const faults: { device: string; message: string; fatal: boolean; link: Stats }[] = [];
    acceptor.on('fault', (f: { device: string; message: string; fatal: boolean }) => faults.push({ ...f, link: linkStats(acceptor) }));
    sim.insertCoin('EU200A');
    await until('fault', () => faults.length === 1);
    t.equal(faults[0]!.link.transactions - before!.transactions, expected, `${expected} failed polls`);
    t.equal(faults[0]!.link.failedAttempts - before!.failedAttempts, expected * 3, 'of 3 attempts each');
    t.match(faults[0], { device: 'coinAcceptor', fatal: true, message: 'coin acceptor not answering: no reply from address 2 within 100 ms' });
    await acceptor.stop();
  }
});

t.test('readings before the first connection; sixteen coin positions; no credit sink', async (t) => {
  const table = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A', 'GB100A', 'XX001A', 'XX002A', 'XX003A', 'XX004A', 'XX005A', 'XX006A', 'XX007A', 'XX008A', 'XX009A', 'EU500A'];
  const { sim, acceptor } = bare(t, { sim: { coinTable: table } });
  t.strictSame(acceptor.status().readings, { counter: null, accepting: [], credits: 0, creditedCents: 0, errors: 0, missedEvents: 0, resets: 0, polls: 0 });
  const credits: CoinCreditEvent[] = [];
  acceptor.on('credit', (c: CoinCreditEvent) => credits.push(c));
  await acceptor.start(); // setCreditSink never called: credits are events only (console device test)
  t.strictSame(acceptor.coinTable().at(-1), { position: 16, coin: 'EU500A', valueCents: 500 });
  await acceptor.setAcceptance(['EU500A']);
  t.equal(sim.status().acceptor.inhibitMask, 1 << 15);
  sim.insertCoin('EU500A');
  await until('credit', () => credits.length === 1);
  t.match(credits[0], { coin: 'EU500A', valueCents: 500, channel: 16, counter: 1 });
});

t.test('a buffered-credit reply of the wrong length is refused', async (t) => {
  const { sim, acceptor } = bare(t);
  answering(sim, HEADER.readBufferedCredit, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  await acceptor.start();
  t.equal(acceptor.status().health, 'fault', 'identified, then refused');
  t.equal(acceptor.status().detail, 'coin acceptor not answering: read buffered credit: 10 data bytes, expected 11');
});

t.test('refused coins move the stored counter too, so a restart never takes them for lost events', async (t) => {
  const d = await drive(t, { before: (sim) => sim.setCounter(10) });
  t.strictSame(d.marks, [['0A0B0C', 10]], 'first connection marked');
  // Every coin inhibited: each is a refusal event, never journaled as a coin.
  for (let i = 0; i < 7; i++) {
    t.equal(d.sim.insertCoin('EU200A'), 'rejected');
    await until(`refusal ${i + 1} seen`, d.seen);
  }
  await until('the last refusal marked', () => d.marks.at(-1)?.[1] === 17);
  t.ok(d.marks.every(([serial]) => serial === '0A0B0C'));
  t.strictSame(d.credits, []);
  // A restart resumes from what was marked: 17, the acceptor's counter, no gap.
  const again = await drive(t, { resume: () => d.marks.at(-1)?.[1], before: (sim) => sim.setCounter(17) });
  await until('polled', () => (again.acceptor.status().readings?.polls as number) > 2);
  t.strictSame(again.alarms, [], 'no missed-events alarm after the restart');
});

t.test('stopped while a poll is being processed: no poll scheduled after it', async (t) => {
  const { sim, acceptor, pending } = bare(t);
  await acceptor.start();
  await acceptor.setAcceptance(['EU200A']);
  let stopping: Promise<void> | undefined;
  acceptor.once('credit', () => {
    stopping = acceptor.stop(); // from inside the poll that reported the coin
  });
  sim.insertCoin('EU200A');
  await until('stopping', () => stopping !== undefined);
  await stopping;
  t.equal(pending.size, 0);
  t.equal(acceptor.status().health, 'stopped');
});
