// A coin and the acceptor's event counter are one transaction: a failure injected between
// them (a SQLite trigger that aborts the counter's write, or the cash-box line after it)
// leaves neither written, so the driver offers the coin again and it is journaled exactly
// once. A kill cannot land between two statements; a failing statement can, so this is the
// seam that catches a counter written in its own transaction.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '../../src/payment/ledger.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { until } from '../hal/coin-acceptor-harness.ts';
import { paymentRig } from './helpers.ts';

const SERIAL = '0A0B0C';

function tempStore(t: Test): Store {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-atomic-'));
  const store = openStore(dir);
  t.teardown(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

/** Makes every write to `table` abort, on this connection only, until the returned undo. */
function failWritesTo(store: Store, table: string): () => void {
  const name = `inject_fail_${table}`;
  store.db.exec(`CREATE TEMP TRIGGER ${name}_insert BEFORE INSERT ON main.${table} BEGIN SELECT RAISE(ABORT, 'injected failure on ${table}'); END;`);
  store.db.exec(`CREATE TEMP TRIGGER ${name}_update BEFORE UPDATE ON main.${table} BEGIN SELECT RAISE(ABORT, 'injected failure on ${table}'); END;`);
  return () => {
    store.db.exec(`DROP TRIGGER temp.${name}_insert`);
    store.db.exec(`DROP TRIGGER temp.${name}_update`);
  };
}

function snapshot(store: Store) {
  const count = (sql: string) => (store.db.prepare(sql).get() as { n: number }).n;
  return {
    coins: count('SELECT COUNT(*) AS n FROM payment_coins'),
    testCoins: count('SELECT COUNT(*) AS n FROM payment_test_coins'),
    credit: count('SELECT COUNT(*) AS n FROM payment_credit'),
    cashbox: count('SELECT COALESCE(SUM(count), 0) AS n FROM payment_cashbox'),
    counter: (store.db.prepare('SELECT counter FROM payment_acceptors WHERE serial = ?').get(SERIAL) as { counter: number } | undefined)?.counter,
  };
}

const coin = (counter: number, at = '2025-03-01T10:00:00.000Z') => ({ coin: 'EU200A', cents: 200, channel: 5, counter, serial: SERIAL, at });

for (const [path, setup] of [
  ['to an open payment', (ledger: ReturnType<typeof openLedger>) => void ledger.open('s1', 800, new Date('2025-03-01T10:00:00Z'))],
  ['as stored credit (no payment open)', () => undefined],
  ['as a technician test coin', (ledger: ReturnType<typeof openLedger>) => void ledger.beginTest(new Date('2025-03-01T10:00:00Z'))],
] as const) {
  t.test(`ledger, coin ${path}: a failure on the counter or the cash box after the coin row leaves nothing written`, async (t) => {
    const store = tempStore(t);
    const ledger = openLedger(store);
    setup(ledger);
    const testId = path.includes('test') ? 1 : undefined;
    // Positive control: the same call journals the coin when nothing fails.
    ledger.recordCoin(coin(1), 30, testId);
    const before = snapshot(store);
    t.equal(before.counter, 1);
    t.equal(before.cashbox, 1);
    t.equal(before.coins + before.testCoins, 1);
    for (const table of ['payment_acceptors', 'payment_cashbox']) {
      const undo = failWritesTo(store, table);
      t.throws(() => ledger.recordCoin(coin(2), 30, testId), new RegExp(`injected failure on ${table}`));
      t.same(snapshot(store), before, `failure on ${table}: neither the coin nor the counter written`);
      undo();
    }
    // Once the fault is gone the same coin is journaled once, with its counter.
    ledger.recordCoin(coin(2), 30, testId);
    const after = snapshot(store);
    t.equal(after.counter, 2);
    t.equal(after.coins + after.testCoins, 2);
    t.equal(after.cashbox, 2);
  });
}

t.test('desk over the real driver: a coin whose counter cannot be written is kept by the acceptor, then journaled exactly once', async (t) => {
  const { store, sim, acceptor, desk, credits, events } = await paymentRig(t);

  await desk.open('s1', 800);
  sim.insertCoin('EU100A');
  await until('a first coin journaled (positive control)', () => credits.length === 1);
  const before = snapshot(store);
  t.same([before.coins, before.counter, before.cashbox], [1, 1, 1]);

  const undo = failWritesTo(store, 'payment_acceptors');
  t.equal(sim.insertCoin('EU200A'), 'accepted', 'the acceptor took the coin');
  await until('the failed journaling reported', () => events.some((e) => e.type === 'payment.alarm' && e.data?.kind === 'record-failed'));
  t.same(snapshot(store), before, 'neither the coin nor its counter written');
  t.equal(credits.length, 1, 'nobody told of a coin that is not journaled');

  undo();
  await until('the kept coin offered again and journaled', () => credits.length === 2);
  await until('the acceptor polled past it', () => acceptor.status().readings?.counter === sim.status().acceptor.counter);
  const after = snapshot(store);
  t.same([after.coins, after.counter, after.cashbox], [2, 2, 2], 'journaled exactly once, with its counter');
  t.equal(await desk.sessionCreditCents('s1'), 300);
});
