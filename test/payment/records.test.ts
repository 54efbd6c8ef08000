// Payment records: every closed payment reaches the outbox once, with the ledger's amounts;
// an open payment holds the cursor back; a failed enqueue is retried; a restart resends
// nothing the outbox already has.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/db.ts';
import { openLedger, type Ledger } from '../../src/payment/ledger.ts';
import { createPaymentReporter, type PaymentRecordInput } from '../../src/payment/records.ts';
import { createSqliteOutbox } from '../../src/store/outbox.ts';
import { silentLogger } from '../../src/log.ts';

const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, s));
let counter = 0;
const coin = (ledger: Ledger, code: string, cents: number, s: number) =>
  ledger.recordCoin({ coin: code, cents, channel: 1, counter: ++counter, serial: 'SER', at: at(s).toISOString() }, 30);

function setup(t: Test): { store: Store; ledger: Ledger; sent: PaymentRecordInput[]; outboxIds: () => string[]; reporter: () => ReturnType<typeof createPaymentReporter> } {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-payrec-'));
  const store = openStore(dir);
  t.teardown(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ledger = openLedger(store);
  const outbox = createSqliteOutbox(store);
  const sent: PaymentRecordInput[] = [];
  const reporter = () =>
    createPaymentReporter({
      store,
      logger: silentLogger(),
      enqueue: (r) => {
        sent.push(r);
        outbox.put(r.id, Buffer.from(JSON.stringify(r)));
      },
    });
  return { store, ledger, sent, outboxIds: () => outbox.list(0, 100).map((i) => i.id), reporter };
}

t.test('a settled and a kept payment become one record each, with the ledger amounts', async (t) => {
  const { ledger, sent, reporter } = setup(t);
  const r = reporter();
  ledger.open('s1', 800, at(0));
  coin(ledger, 'EU200A', 200, 1);
  coin(ledger, 'EU500A', 500, 2);
  coin(ledger, 'EU200A', 200, 3);
  t.equal(r.report(), 0, 'nothing while the payment is open');
  ledger.settle('s1', 800, at(4));
  ledger.open('s2', 800, at(10));
  coin(ledger, 'EU100A', 100, 11);
  ledger.keep('s2', at(20), 30);
  t.equal(r.report(), 2);
  t.same(
    sent.map((s) => [s.id, s.type, s.data.outcome, s.data.coinCents, s.data.spentCents, s.data.storedCreditCents, s.data.coins.length]),
    [
      ['payment-s1', 'payment', 'settled', 900, 800, 0, 3],
      ['payment-s2', 'payment', 'kept', 100, null, 100, 1],
    ],
  );
  t.equal(sent[0]!.at, at(4).toISOString(), 'dated when it closed');
  t.equal(r.report(), 0, 'reported once');
  t.equal(reporter().report(), 0, 'a restart resends nothing');
});

t.test('an open payment holds the cursor back; later ones are still reported, once', async (t) => {
  const { ledger, sent, outboxIds, reporter } = setup(t);
  ledger.open('a', 800, at(0)); // left open (as if its session were still running)
  ledger.open('b', 800, at(1));
  coin(ledger, 'EU200A', 200, 2);
  ledger.keep('b', at(3), 30);
  const r = reporter();
  t.equal(r.report(), 1, 'b reported though a is open');
  t.equal(r.report(), 0, 'not again in this process');
  t.equal(reporter().report(), 1, 'after a restart b is offered again (the cursor could not pass a)...');
  t.same(outboxIds(), ['payment-b'], '...and the outbox keeps it once');
  ledger.keep('a', at(5), 30);
  t.equal(r.report(), 1, 'a reported once it closed');
  t.same(sent.map((s) => s.id), ['payment-b', 'payment-b', 'payment-a']);
  t.equal(reporter().report(), 0, 'the cursor passed both');
});

t.test('an enqueue that fails leaves the payment to the next call', async (t) => {
  const { store, ledger } = setup(t);
  let failing = true;
  const got: string[] = [];
  const r = createPaymentReporter({
    store,
    logger: silentLogger(),
    enqueue: (rec) => {
      if (failing) throw new Error('SQLITE_FULL: database or disk is full');
      got.push(rec.id);
    },
  });
  ledger.open('x', 800, at(0));
  coin(ledger, 'EU500A', 500, 1);
  coin(ledger, 'EU500A', 500, 2);
  ledger.settle('x', 800, at(3));
  t.throws(() => r.report(), /disk is full/);
  failing = false;
  t.equal(r.report(), 1);
  t.same(got, ['payment-x']);
});
