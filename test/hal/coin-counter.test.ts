// The event-counter arithmetic of the ccTalk driver, on literal tables: the counter runs
// 1..255 and wraps 255 → 1 (0 only right after a reset), per ccTalk generic specification
// part 2, header 229 "Read buffered credit or error codes". And the simulator's own ring, on
// the bytes of a reply that holds several events across the wrap.
import t from 'tap';
import { counterBefore, eventsSince, CctalkBusSimulator } from '../../src/hal/coin-acceptor/index.ts';
import { HEADER } from '../../src/hal/coin-acceptor/frame.ts';

t.test('counterBefore: the counter `back` events earlier on the 1..255 ring', async (t) => {
  const table: [counter: number, back: number, expected: number][] = [
    [10, 0, 10],
    [10, 1, 9],
    [10, 9, 1],
    [10, 10, 255], // 1 → 255, never 0
    [1, 1, 255],
    [1, 4, 252],
    [2, 4, 253],
    [255, 0, 255],
    [255, 1, 254],
    [255, 254, 1],
    [255, 255, 255], // a whole turn
    [3, 257, 1], // more than a turn back
  ];
  for (const [counter, back, expected] of table) t.equal(counterBefore(counter, back), expected, `${back} before ${counter}`);
});

t.test('eventsSince: how many events between two polls', async (t) => {
  const table: [last: number, now: number, expected: number][] = [
    [5, 5, 0],
    [5, 6, 1],
    [5, 10, 5],
    [0, 1, 1], // first event after a reset
    [0, 5, 5],
    [0, 255, 255],
    [254, 255, 1],
    [255, 1, 1], // the wrap skips 0
    [253, 2, 4],
    [252, 2, 5],
    [251, 2, 6],
    [2, 1, 254], // almost a whole turn
    [1, 255, 254],
    [128, 127, 254],
  ];
  for (const [last, now, expected] of table) t.equal(eventsSince(last, now), expected, `${last} → ${now}`);
});

t.test('the two agree: walking back eventsSince from now lands on the event after last', async (t) => {
  const wrong: string[] = [];
  for (let last = 1; last <= 255; last++) {
    for (const step of [1, 2, 5, 100, 254]) {
      const now = ((last - 1 + step) % 255) + 1;
      if (eventsSince(last, now) !== step) wrong.push(`eventsSince(${last}, ${now}) = ${eventsSince(last, now)}, want ${step}`);
      if (counterBefore(now, step - 1) !== (last % 255) + 1) wrong.push(`counterBefore(${now}, ${step - 1}) = ${counterBefore(now, step - 1)}`);
    }
  }
  t.same(wrong.slice(0, 5), [], `every counter, every step (${wrong.length} wrong)`);
});

t.test('simulator: one reply holds five events across the 255 → 1 wrap, newest first', async (t) => {
  // Coins go in with no host polling: an acceptor without the credit-poll watchdog.
  const sim = new CctalkBusSimulator({ pollWatchdogMs: 0 });
  t.teardown(() => sim.stop());
  const model = sim.acceptor;
  sim.setCounter(252);
  model.masterEnabled = true;
  model.inhibitMask = 0xffff;
  for (const coin of ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A']) t.equal(sim.insertCoin(coin), 'accepted');
  // counter, then (credit or 0, sorter path or error code) × 5, newest first.
  t.same(model.answer(HEADER.readBufferedCredit, Buffer.alloc(0)), [2, 5, 1, 4, 1, 3, 1, 2, 1, 1, 1]);
});

t.test('simulator: a command that takes no data is refused (NAK) when it carries some', async (t) => {
  const sim = new CctalkBusSimulator();
  t.teardown(() => sim.stop());
  for (const header of [HEADER.simplePoll, HEADER.requestEquipmentCategory, HEADER.requestSerialNumber, HEADER.readBufferedCredit]) {
    t.equal(sim.acceptor.answer(header, Buffer.from([0])), 'nak', `header ${header} with a data byte`);
  }
  t.same(sim.acceptor.answer(HEADER.requestEquipmentCategory, Buffer.alloc(0)), [...Buffer.from('Coin Acceptor')]);
});
