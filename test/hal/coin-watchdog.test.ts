// The simulated acceptor's credit-poll watchdog, on the device's own clock (injected: no
// sleeping). Real acceptors (Money Controls SR5, Azkoyen X6) stop taking coins when the host
// has not read the credit buffer for 1 s, and take none after power-up until the first read:
// the 5-event buffer can then never overflow because the host stalled. A coin refused by the
// watchdog is returned without an event (SR5), and the inhibit settings are left as they were.
import t from 'tap';
import { CctalkBusSimulator } from '../../src/hal/coin-acceptor/index.ts';
import { HEADER } from '../../src/hal/coin-acceptor/frame.ts';

function acceptor(pollWatchdogMs?: number) {
  let now = 1_000_000;
  const sim = new CctalkBusSimulator({ ...(pollWatchdogMs === undefined ? {} : { pollWatchdogMs }), now: () => now });
  const model = sim.acceptor;
  model.masterEnabled = true;
  model.inhibitMask = 0xffff;
  return {
    sim,
    advance: (ms: number) => (now += ms),
    poll: () => model.answer(HEADER.readBufferedCredit, Buffer.alloc(0)) as number[],
  };
}

t.test('a watchdog of 1 s, as real acceptors: no coin before the first poll, none after 1 s without one, all again once polled', async (t) => {
  const a = acceptor(1000);
  t.teardown(() => a.sim.stop());
  t.equal(a.sim.insertCoin('EU200A'), 'rejected', 'power-up: no coin until the host reads the buffer');
  t.equal(a.sim.status().acceptor.counter, 0, 'no event for a coin the watchdog returned');
  a.poll();
  t.equal(a.sim.insertCoin('EU200A'), 'accepted');
  a.advance(999);
  t.equal(a.sim.insertCoin('EU100A'), 'accepted', '999 ms after the last poll: still taken');
  t.equal(a.sim.status().acceptor.watchdogInhibits, false);
  a.advance(1);
  t.equal(a.sim.status().acceptor.watchdogInhibits, true, '1 s without a poll: auto-inhibited');
  for (let i = 0; i < 6; i++) t.equal(a.sim.insertCoin('EU200A'), 'rejected');
  const status = a.sim.status().acceptor;
  t.equal(status.counter, 2, 'the returned coins made no event');
  t.equal(status.autoInhibited, 7, 'every returned coin counted');
  t.same(status.accepted, { EU200A: 1, EU100A: 1 });
  t.equal(status.masterEnabled, true, 'the inhibit settings are untouched');
  const reply = a.poll();
  t.same(reply.slice(0, 5), [2, 4, 1, 5, 1], 'the buffer holds only the two coins taken, newest first');
  t.equal(a.sim.insertCoin('EU050A'), 'accepted', 'polling again lifts the auto-inhibit');
});

t.test('a reset forgets the last poll: no coin until the host reads the buffer again', async (t) => {
  const a = acceptor(1000);
  t.teardown(() => a.sim.stop());
  a.poll();
  a.sim.resetAcceptor();
  a.sim.acceptor.masterEnabled = true;
  a.sim.acceptor.inhibitMask = 0xffff;
  t.equal(a.sim.insertCoin('EU200A'), 'rejected');
  a.poll();
  t.equal(a.sim.insertCoin('EU200A'), 'accepted');
});

t.test('however fast the coins come, a host that stalls sees at most what fits in the watchdog window', async (t) => {
  const a = acceptor(1000);
  t.teardown(() => a.sim.stop());
  a.poll();
  let taken = 0;
  // A coin every 250 ms for 10 s while the host is stalled.
  for (let i = 0; i < 40; i++) {
    if (a.sim.insertCoin('EU100A') === 'accepted') taken++;
    a.advance(250);
  }
  t.equal(taken, 4, 'only the coins of the first second are taken');
  t.equal(a.poll()[0], 4, 'the counter moved by 4: within the 5 events the buffer holds');
});

t.test('no watchdog (pollWatchdogMs 0, the in-process default): an acceptor takes coins nobody counts (the overflow case)', async (t) => {
  const a = acceptor();
  t.teardown(() => a.sim.stop());
  for (let i = 0; i < 8; i++) t.equal(a.sim.insertCoin('EU100A'), 'accepted');
  t.equal(a.poll()[0], 8, '8 events: 3 of them no longer in the buffer');
  t.throws(() => new CctalkBusSimulator({ pollWatchdogMs: -1 }), /pollWatchdogMs/);
});
