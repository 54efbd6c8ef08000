// The session machine state by state, with in-memory port doubles, a fake clock and a real
// SQLite journal.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { isWellFormed } from '../../src/codes/code.ts';
import { FakeClock, World, tooSmall } from './doubles.ts';
import type { SessionMachine } from '../../src/flows/session.ts';

async function step(machine: SessionMachine, input: Parameters<SessionMachine['send']>[0]) {
  machine.send(input);
  await machine.settle();
  return machine.snapshot();
}

async function toPayment(world: World, machine: SessionMachine) {
  await step(machine, { type: 'START' });
  await step(machine, { type: 'ACCEPT' });
  const snap = await step(machine, { type: 'SIGNATURE_DONE' });
  if (snap.step !== 'payment') throw new Error(`expected payment, got ${snap.step}`);
  return snap;
}

t.test('a complete e-photo session, step by step', async (t) => {
  const world = new World(t);
  const machine = world.machine(t);
  const seen: string[] = [];
  machine.subscribe((s) => {
    if (seen.at(-1) !== s.step) seen.push(s.step);
  });
  t.equal(machine.snapshot().step, 'idle');

  let snap = await step(machine, { type: 'START' });
  t.equal(snap.step, 'review', 'captured and validated');
  t.equal(snap.compliant, true);
  t.equal(snap.canAccept, true);
  t.equal(readFileSync(snap.photoFile!, 'utf8'), 'jpeg-1', 'photo saved in the data dir');
  t.equal(world.acceptorEnabled, false, 'acceptor off before payment');

  snap = await step(machine, { type: 'ACCEPT' });
  t.equal(snap.step, 'signature');
  t.equal(world.signatureBegins, 1);

  snap = await step(machine, { type: 'SIGNATURE_DONE' });
  t.equal(snap.step, 'payment');
  t.equal(snap.dueCents, 800);
  t.equal(snap.remainingCents, 800);
  t.equal(world.acceptorEnabled, true, 'acceptor on in the payment step only');

  for (const cents of [200, 200, 200]) world.insertCoin(cents);
  await machine.settle();
  snap = machine.snapshot();
  t.equal(snap.paidCents, 600);
  t.equal(snap.remainingCents, 200);

  world.insertCoin(200);
  await machine.settle();
  snap = machine.snapshot();
  t.equal(snap.step, 'done');
  t.equal(world.acceptorEnabled, false, 'acceptor inhibited once paid');
  t.ok(snap.code && isWellFormed(snap.code), 'a valid code');
  t.equal(world.registry.forSession(snap.sessionId!)?.code, snap.code);
  t.equal(world.submissions.get(snap.sessionId!), 1, 'printed once');
  t.equal(world.jobs.get(snap.sessionId!)?.board.code, snap.code, 'the board carries the code');
  const record = world.records.get(`session-${snap.sessionId}`);
  t.equal(record?.code, snap.code);
  t.equal(record?.paidCents, 800);
  t.equal(world.settled.get(snap.sessionId!), 800);

  const id = snap.sessionId!;
  snap = await step(machine, { type: 'FINISH' });
  t.equal(snap.step, 'idle');
  t.equal(snap.lastSession?.outcome, 'completed');
  t.same(world.facts(id), [
    'SESSION_STARTED',
    'PHOTO_CAPTURED',
    'PHOTO_VALIDATED',
    'PHOTO_ACCEPTED',
    'SIGNATURE_SAVED',
    'PAYMENT_OPENED',
    'COIN_CREDITED',
    'COIN_CREDITED',
    'COIN_CREDITED',
    'COIN_CREDITED',
    'PAID',
    'CODE_ISSUING',
    'CODE_ISSUED',
    'PRINT_SUBMITTING',
    'PRINT_FINISHED',
    'RECORD_QUEUED',
    'SESSION_ENDED',
  ]);
  t.same(world.journal.openSessions(), []);
  t.same(seen, ['capture', 'validating', 'review', 'signature', 'payment', 'issuing', 'printing', 'uploading', 'done', 'idle']);
  t.ok(world.events.some((e) => e.type === 'session.ended' && e.sessionId === id));
  // Privacy (docs/privacy.md): events go to logs and the fleet; the code is never in one.
  t.notOk(JSON.stringify(world.events).includes(snap.code!), 'the code appears in no event');
  t.ok(world.events.some((e) => e.type === 'session.ended' && (e.data as { codeIssued?: boolean } | undefined)?.codeIssued === true), 'session.ended says a code was issued');
});

t.test('retakes with the failing check hint, then an e-photo is never accepted non-compliant', async (t) => {
  const world = new World(t);
  const machine = world.machine(t);
  world.validations = [tooSmall, tooSmall, tooSmall];
  let snap = await step(machine, { type: 'START' });
  t.equal(snap.step, 'review');
  t.equal(snap.compliant, false);
  t.equal(snap.hint, 'hint.face.height', 'the first failing check');
  t.equal(snap.canAccept, false);
  t.equal(snap.retakesLeft, 2);
  snap = await step(machine, { type: 'ACCEPT' });
  t.equal(snap.step, 'review', 'ACCEPT refused for a non-compliant e-photo');
  snap = await step(machine, { type: 'RETAKE' });
  t.equal(snap.retakesLeft, 1);
  t.equal(snap.step, 'review');
  snap = await step(machine, { type: 'RETAKE' });
  t.equal(snap.step, 'idle', 'third non-compliant photo with no retake left');
  t.equal(snap.lastSession?.outcome, 'rejected');
  t.equal(world.captures, 3);
  t.equal(world.openSession, undefined, 'payment never opened: nothing charged');
});

t.test('a non-official photo may be accepted non-compliant; no signature, no code', async (t) => {
  const world = new World(t);
  const machine = world.machine(t);
  world.validations = [tooSmall];
  let snap = await step(machine, { type: 'START', product: 'photo' });
  t.equal(snap.canAccept, true);
  snap = await step(machine, { type: 'ACCEPT' });
  t.equal(snap.step, 'payment', 'no signature for a photo product');
  t.equal(snap.dueCents, 600);
  world.insertCoin(200);
  world.insertCoin(200);
  world.insertCoin(200);
  await machine.settle();
  snap = machine.snapshot();
  t.equal(snap.step, 'done');
  t.equal(snap.code, null);
  t.equal(world.submissions.get(snap.sessionId!), 1);
  t.equal(world.settled.get(snap.sessionId!), 600);
});

t.test('products: each session sells the product it started with, at its price, named in every record', async (t) => {
  const world = new World(t);
  let catalogue = [
    { id: 'ephoto', delivers: 'ephoto' as const, sheets: 1, priceCents: 800, item: 1 },
    { id: 'prints-8', delivers: 'prints' as const, sheets: 2, priceCents: 900, item: 2 },
  ];
  const { createSessionMachine } = await import('../../src/flows/session.ts');
  const { config } = await import('./doubles.ts');
  const machine = createSessionMachine({ ports: world.ports(), journal: world.journalPort(), config: () => ({ ...config, products: catalogue }), clock: new FakeClock() });
  t.teardown(() => machine.stop());

  let snap = await step(machine, { type: 'START', product: 'no-such-product' });
  t.equal(snap.step, 'idle', 'a product the catalogue does not have starts nothing');

  snap = await step(machine, { type: 'START', product: 'prints-8' });
  t.same([snap.product, snap.delivers, snap.dueCents], ['prints-8', 'prints', 900]);
  // The catalogue changes during the session: this session keeps what it sold.
  catalogue = [{ id: 'ephoto', delivers: 'ephoto', sheets: 1, priceCents: 1000, item: 1 }];
  snap = await step(machine, { type: 'ACCEPT' });
  t.equal(snap.step, 'payment', 'prints only: no signature');
  t.equal(snap.dueCents, 900, 'the price the session started with');
  const id = snap.sessionId!;
  t.same(world.sold.get(id), { product: 'prints-8', item: 2 }, 'the payment (and the card reader) is told the product');
  for (let i = 0; i < 9; i++) world.insertCoin(100);
  await machine.settle();
  snap = machine.snapshot();
  t.equal(snap.step, 'done');
  t.equal(snap.code, null, 'prints only: no code');
  t.match(world.jobs.get(id)?.board, { product: 'prints-8', delivers: 'prints', sheets: 2 }, 'two sheets printed, no code');
  t.notOk(world.jobs.get(id)?.board.code);
  t.match(world.records.get(`session-${id}`), { product: 'prints-8', delivers: 'prints', paidCents: 900 });
  t.notOk(world.records.get(`session-${id}`)?.code);
  await step(machine, { type: 'FINISH' });

  snap = await step(machine, { type: 'START' });
  t.same([snap.product, snap.delivers, snap.dueCents], ['ephoto', 'ephoto', 1000], 'the next session: the new catalogue, its first product by default');
});

t.test('a journal written before the catalogue (product "photo") replays as prints only', async (t) => {
  const { replay } = await import('../../src/flows/model.ts');
  const s = replay('old', [
    { type: 'SESSION_STARTED', product: 'photo', dueCents: 600, startedAt: '2026-01-01T00:00:00.000Z' },
    { type: 'PHOTO_CAPTURED', file: 'p.jpg' },
    { type: 'PHOTO_VALIDATED', compliant: true, checks: [] },
    { type: 'PHOTO_ACCEPTED', compliant: true },
  ]);
  t.same([s?.delivers, s?.step, s?.item, s?.sheets], ['prints', 'payment', 2, 1]);
});

t.test('compliant photo: retake is still allowed within the limit', async (t) => {
  const world = new World(t);
  const machine = world.machine(t, new FakeClock(), { maxRetakes: 1 });
  await step(machine, { type: 'START' });
  let snap = await step(machine, { type: 'RETAKE' });
  t.equal(snap.step, 'review');
  t.equal(snap.retakesLeft, 0);
  snap = await step(machine, { type: 'RETAKE' });
  t.equal(snap.step, 'review', 'no retake left: RETAKE ignored');
  t.equal(world.captures, 2);
});

t.test('signature: empty is refused with a hint, redo clears the panel', async (t) => {
  const world = new World(t);
  const machine = world.machine(t);
  await step(machine, { type: 'START' });
  await step(machine, { type: 'ACCEPT' });
  world.signatureDrawn = null;
  let snap = await step(machine, { type: 'SIGNATURE_DONE' });
  t.equal(snap.step, 'signature');
  t.equal(snap.hint, 'signature.empty');
  snap = await step(machine, { type: 'SIGNATURE_CLEAR' });
  t.equal(world.signatureBegins, 2, 'redo starts a new signature');
  t.equal(snap.hint, null);
  world.signatureDrawn = Buffer.from('png2');
  snap = await step(machine, { type: 'SIGNATURE_DONE' });
  t.equal(snap.step, 'payment');
  t.equal(readFileSync(snap.signatureFile!, 'utf8'), 'png2');
});

t.test('walk-away: each step times out, with a warning first; STILL_HERE gives more time', async (t) => {
  for (const where of ['capture', 'review', 'signature'] as const) {
    t.test(where, async (t) => {
      const world = new World(t);
      const clock = new FakeClock();
      const machine = world.machine(t, clock);
      if (where === 'capture') world.cameraHolds = true;
      machine.send({ type: 'START' });
      if (where === 'capture') await new Promise((r) => setImmediate(r));
      else await machine.settle();
      if (where === 'signature') await step(machine, { type: 'ACCEPT' });
      t.equal(machine.snapshot().step, where);
      const limit = { capture: 120_000, review: 60_000, signature: 120_000 }[where];
      clock.advance(limit - 15_000);
      await new Promise((r) => setImmediate(r));
      t.equal(machine.snapshot().timeoutWarningSeconds, 15);
      machine.send({ type: 'STILL_HERE' });
      await new Promise((r) => setImmediate(r));
      t.equal(machine.snapshot().timeoutWarningSeconds, null);
      clock.advance(limit - 1);
      await new Promise((r) => setImmediate(r));
      t.equal(machine.snapshot().step, where, 'the timer restarted');
      clock.advance(1);
      await machine.settle();
      const snap = machine.snapshot();
      t.equal(snap.step, 'idle');
      t.equal(snap.lastSession?.outcome, 'timeout');
      t.equal(clock.pending(), 0, 'no timer left');
    });
  }
  t.test('payment: partial credit is kept and applied to the next customer', async (t) => {
    const world = new World(t);
    const clock = new FakeClock();
    const machine = world.machine(t, clock);
    await toPayment(world, machine);
    world.insertCoin(500);
    await machine.settle();
    clock.advance(180_000);
    await machine.settle();
    let snap = machine.snapshot();
    t.equal(snap.step, 'idle');
    t.equal(snap.lastSession?.outcome, 'timeout');
    t.equal(snap.lastSession?.keptCreditCents, 500);
    t.equal(world.acceptorEnabled, false);
    t.equal(world.storedCredit, 500);
    snap = await toPayment(world, machine);
    t.equal(snap.appliedCreditCents, 500, 'stored credit applied');
    t.equal(snap.remainingCents, 300);
    world.insertCoin(200);
    world.insertCoin(100);
    await machine.settle();
    t.equal(machine.snapshot().step, 'done');
    t.equal(world.storedCredit, 0);
  });
  t.test('done: the code screen goes back to idle', async (t) => {
    const world = new World(t);
    const clock = new FakeClock();
    const machine = world.machine(t, clock);
    await toPayment(world, machine);
    world.insertCoin(500);
    world.insertCoin(300);
    await machine.settle();
    t.equal(machine.snapshot().step, 'done');
    clock.advance(60_000);
    await machine.settle();
    t.equal(machine.snapshot().lastSession?.outcome, 'completed');
  });
});

t.test('cancel before payment; cancel in payment keeps the credit; no cancel once paid', async (t) => {
  const world = new World(t);
  const machine = world.machine(t);
  await step(machine, { type: 'START' });
  let snap = await step(machine, { type: 'CANCEL' });
  t.equal(snap.lastSession?.outcome, 'cancelled');
  await toPayment(world, machine);
  world.insertCoin(100);
  await machine.settle();
  snap = await step(machine, { type: 'CANCEL' });
  t.equal(snap.lastSession?.outcome, 'cancelled');
  t.equal(snap.lastSession?.keptCreditCents, 100);
  t.equal(world.storedCredit, 100);
  t.equal(world.insertCoin(200), false, 'acceptor inhibited after cancel');
  await toPayment(world, machine);
  world.printerFails = new Error('out of paper');
  world.insertCoin(700);
  await machine.settle();
  snap = await step(machine, { type: 'CANCEL' });
  t.equal(snap.step, 'printing', 'a paid session cannot be cancelled');
});

t.test('device faults at each step lead to a safe state and take no money', async (t) => {
  t.test('camera fault in capture', async (t) => {
    const world = new World(t);
    const machine = world.machine(t);
    world.cameraFails = new Error('camera timeout');
    const snap = await step(machine, { type: 'START' });
    t.equal(snap.step, 'idle');
    t.equal(snap.lastSession?.outcome, 'fault');
    t.equal(snap.lastSession?.device, 'camera');
    t.ok(world.events.some((e) => e.type === 'session.fault' && e.device === 'camera'));
    t.equal(world.openSession, undefined);
  });
  t.test('the booth cannot deliver: START refused', async (t) => {
    const world = new World(t);
    const machine = world.machine(t);
    world.healthy = { ok: false, reason: 'printer: out of paper' };
    const snap = await step(machine, { type: 'START' });
    t.equal(snap.step, 'idle');
    t.equal(snap.unavailable, 'printer: out of paper');
    t.same(world.journal.sessions(), []);
  });
  for (const where of ['review', 'signature', 'payment'] as const) {
    t.test(`printer fault during ${where}`, async (t) => {
      const world = new World(t);
      const machine = world.machine(t);
      await step(machine, { type: 'START' });
      if (where !== 'review') await step(machine, { type: 'ACCEPT' });
      if (where === 'payment') {
        await step(machine, { type: 'SIGNATURE_DONE' });
        world.insertCoin(200);
        await machine.settle();
      }
      world.healthy = { ok: false, reason: 'printer: out of paper' };
      const snap = await step(machine, { type: 'FAULT', device: 'printer', message: 'out of paper' });
      t.equal(snap.step, 'idle');
      t.equal(snap.lastSession?.outcome, 'fault');
      t.equal(world.acceptorEnabled, false, 'acceptor inhibited');
      t.equal(world.storedCredit, where === 'payment' ? 200 : 0, 'credit kept, not lost');
      t.equal(world.jobs.size, 0);
    });
  }
  t.test('a fault the session does not depend on is only reported', async (t) => {
    const world = new World(t);
    const machine = world.machine(t);
    await step(machine, { type: 'START' });
    const snap = await step(machine, { type: 'FAULT', device: 'lighting', message: 'pwm' });
    t.equal(snap.step, 'review');
  });
  t.test('printer fault when payment opens', async (t) => {
    const world = new World(t);
    const machine = world.machine(t);
    await step(machine, { type: 'START' });
    await step(machine, { type: 'ACCEPT' });
    world.healthy = { ok: false, reason: 'printer: cover open' };
    const snap = await step(machine, { type: 'SIGNATURE_DONE' });
    t.equal(snap.step, 'idle');
    t.equal(snap.lastSession?.outcome, 'fault');
    t.equal(world.acceptorEnabled, false, 'the acceptor was never enabled');
  });
  t.test('acceptor fault in payment', async (t) => {
    const world = new World(t);
    const machine = world.machine(t);
    await toPayment(world, machine);
    world.insertCoin(50);
    await machine.settle();
    world.healthy = { ok: false, reason: 'coinAcceptor: sensor blocked' };
    const snap = await step(machine, { type: 'FAULT', device: 'coinAcceptor', message: 'sensor blocked' });
    t.equal(snap.lastSession?.outcome, 'fault');
    t.equal(snap.lastSession?.keptCreditCents, 50);
  });
  t.test('printer fault after payment: blocked, then printed once when it recovers', async (t) => {
    const world = new World(t);
    const clock = new FakeClock();
    const machine = world.machine(t, clock);
    await toPayment(world, machine);
    world.printerFails = new Error('out of paper');
    world.insertCoin(800);
    await machine.settle();
    let snap = machine.snapshot();
    t.equal(snap.step, 'printing');
    t.same(snap.blocked, { device: 'printer', message: 'out of paper' });
    t.ok(snap.code, 'the code is issued before the board is printed');
    t.ok(world.events.some((e) => e.type === 'session.blocked'));
    clock.advance(30_000);
    await machine.settle();
    t.equal(machine.snapshot().step, 'printing', 'still blocked after a retry');
    world.printerFails = undefined;
    snap = await step(machine, { type: 'RECOVERED', device: 'printer' });
    t.equal(snap.step, 'done');
    t.equal(snap.blocked, null);
    t.equal(world.submissions.get(snap.sessionId!), 1);
  });
  t.test('a paid delivery that cannot be completed: the customer asks, the money is owed back, nothing printed', async (t) => {
    const world = new World(t);
    const clock = new FakeClock();
    const machine = world.machine(t, clock);
    await toPayment(world, machine);
    world.printerFails = new Error('paper jam');
    t.equal(machine.snapshot().canRefund, false, 'no refund offered before payment');
    world.insertCoin(800);
    await machine.settle();
    let snap = machine.snapshot();
    t.equal(snap.step, 'printing');
    t.equal(snap.canRefund, true, 'blocked before printing: the customer may ask for the money back');
    snap = await step(machine, { type: 'REFUND' });
    t.equal(snap.step, 'idle');
    t.equal(snap.lastSession?.outcome, 'undelivered');
    t.same(snap.lastSession?.refund, { paidBackCents: 0, claimCents: 800, claimCode: 'CLAIM-1', releasedCardCents: 0 });
    world.printerFails = undefined;
    clock.advance(60_000);
    await machine.settle();
    t.equal(world.jobs.size, 0, 'never printed after the refund');
    t.ok(world.events.some((e) => e.type === 'session.ended' && e.data?.outcome === 'undelivered'));
  });
  t.test('a paid delivery blocked too long is given up by itself; a delivery that recovers in time is not', async (t) => {
    const world = new World(t);
    const clock = new FakeClock();
    const machine = world.machine(t, clock);
    await toPayment(world, machine);
    world.printerFails = new Error('printer offline');
    world.insertCoin(800);
    await machine.settle();
    for (let s = 0; s < 19; s++) {
      clock.advance(30_000); // retried every 30 s: the give-up clock is not reset by retries
      await machine.settle();
    }
    t.equal(machine.snapshot().step, 'printing', 'still waiting before the limit');
    clock.advance(31_000);
    await machine.settle();
    t.equal(machine.snapshot().lastSession?.outcome, 'undelivered');
    t.equal(world.refunds.size, 1);
    // Next customer: a short fault, recovered before the limit.
    await toPayment(world, machine);
    world.printerFails = new Error('cover open');
    world.insertCoin(800);
    await machine.settle();
    clock.advance(30_000);
    await machine.settle();
    world.printerFails = undefined;
    await step(machine, { type: 'RECOVERED', device: 'printer' });
    clock.advance(600_000);
    await machine.settle();
    t.equal(world.refunds.size, 1, 'no refund for a delivered session');
    t.equal(machine.snapshot().lastSession?.outcome, 'completed');
  });
  t.test('disk full (journal) before payment: the session ends, nothing taken', async (t) => {
    const world = new World(t);
    const machine = world.machine(t);
    await step(machine, { type: 'START' });
    await step(machine, { type: 'ACCEPT' });
    world.diskFull = true;
    const snap = await step(machine, { type: 'SIGNATURE_DONE' });
    t.equal(snap.step, 'idle');
    t.equal(snap.lastSession?.outcome, 'fault');
    t.equal(snap.lastSession?.device, 'disk');
    t.equal(world.acceptorEnabled, false);
    const again = await step(machine, { type: 'START' });
    t.equal(again.step, 'idle', 'no session can start without a journal');
    t.match(again.unavailable, /disk/);
  });
  t.test('disk full in payment: acceptor off, coins kept as credit', async (t) => {
    const world = new World(t);
    const machine = world.machine(t);
    await toPayment(world, machine);
    world.diskFull = true;
    world.insertCoin(200);
    await machine.settle();
    const snap = machine.snapshot();
    t.equal(snap.step, 'idle');
    t.equal(world.acceptorEnabled, false);
    t.equal(world.storedCredit, 200, 'the coin is in the ledger as stored credit');
  });
  t.test('disk full on the coin that completes the payment: no service promised, credit kept', async (t) => {
    const world = new World(t);
    const clock = new FakeClock();
    const machine = world.machine(t, clock);
    await toPayment(world, machine);
    world.insertCoin(500);
    await machine.settle();
    world.diskFull = true;
    world.insertCoin(300);
    await machine.settle();
    // the coin that completed the payment could not be journaled: unpaid in memory
    t.equal(machine.snapshot().step, 'idle');
    t.equal(world.storedCredit, 800);
    world.diskFull = false;
    await step(machine, { type: 'START' });
    await step(machine, { type: 'ACCEPT' });
    const snap = await step(machine, { type: 'SIGNATURE_DONE' });
    t.equal(snap.step, 'done', 'the stored credit pays the next session in full');
    t.equal(snap.appliedCreditCents, 800);
  });
  t.test('disk full while issuing the code: blocked and retried', async (t) => {
    const world = new World(t);
    const clock = new FakeClock();
    const machine = world.machine(t, clock);
    await toPayment(world, machine);
    const before = world.appends;
    // let PAID be written, then fill the disk for the code
    const journal = world.journal;
    const origAppend = journal.append.bind(journal);
    journal.append = (id, fact, at) => {
      const entry = origAppend(id, fact, at);
      if (fact.type === 'PAID') world.diskFull = true;
      return entry;
    };
    world.insertCoin(800);
    await machine.settle();
    t.ok(world.appends > before);
    let snap = machine.snapshot();
    t.equal(snap.step, 'issuing');
    t.equal(snap.blocked?.device, 'disk');
    world.diskFull = false;
    clock.advance(30_000);
    await machine.settle();
    snap = machine.snapshot();
    t.equal(snap.step, 'done');
    t.ok(snap.code);
  });
});
