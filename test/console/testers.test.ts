// The console's device testers on the real stacks, without the console: the coin test on the
// payment desk + real ccTalk driver + simulator (a payment opening ends it; its coins are
// never credit), the print test on the simulated printer (a real page; a printer out of
// paper gives its reason; two callers share one page).
import t from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.ts';
import type { CoinEvent } from '../../src/console/protocol.ts';
import { createCoinTester, createPrintTester } from '../../src/console/testers.ts';
import { CctalkBusSimulator, createCoinAcceptor } from '../../src/hal/coin-acceptor/index.ts';
import { SimulatedPrinter } from '../../src/hal/printer/sim.ts';
import { silentLogger } from '../../src/log.ts';
import { PaymentDesk, type SessionCoinCredit } from '../../src/payment/index.ts';
import { openStore } from '../../src/store/db.ts';
import { until } from './real-booth.ts';

t.test('coin test: test coins counted in the cash box, never credit; a payment ends the test', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-cointest-'));
  const store = openStore(dir);
  const sim = new CctalkBusSimulator();
  const acceptor = createCoinAcceptor(configSchema.parse({ coinAcceptor: { pollMs: 50 } }).coinAcceptor, { simulated: true, logger: silentLogger(), simulator: sim });
  const desk = new PaymentDesk({ store, acceptor, canDeliver: () => ({ ok: true }), storedCreditMinutes: 30, healthCheckMs: 50 });
  const credits: SessionCoinCredit[] = [];
  desk.onCredit((c) => credits.push(c));
  desk.start();
  await acceptor.start();
  t.teardown(async () => {
    await desk.stop();
    await acceptor.stop();
    sim.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await until('acceptor ready', () => acceptor.status().health === 'ok');
  let startSession: (() => void) | undefined;
  const tester = createCoinTester({ desk, acceptor, onSessionStart: (l) => ((startSession = l), () => (startSession = undefined)), logger: silentLogger() });

  const events: CoinEvent[] = [];
  const test = await tester.startTest((e) => events.push(e));
  t.equal(test.enabled, true);
  t.match(test.detail, /accepting EU010A EU020A EU050A EU100A EU200A;/);
  await t.rejects(tester.startTest(() => undefined), /a coin test is already running/, 'one test at a time');
  t.equal(sim.insertCoin('EU020A'), 'accepted');
  await until('coin reported', () => events.length === 1);
  t.match(events[0], { kind: 'credit', coin: 'EU020A', valueCents: 20, channel: 2 });
  t.same(desk.storedCredit(), [], 'not stored credit');
  t.match(desk.ledger.cashbox(), [{ coin: 'EU020A', count: 1, cents: 20 }], 'in the cash box');
  t.same(desk.ledger.testCoinsInCashbox(), { count: 1, cents: 20 });

  // A customer's payment opens while the test runs: the test ends first; the next coin is theirs.
  await desk.open('s1', 800);
  await until('end event', () => events.some((e) => e.kind === 'end'));
  t.match(events.at(-1), { kind: 'end', message: /a customer payment opened/ });
  t.equal(sim.insertCoin('EU200A'), 'accepted');
  await until('credited to the session', () => credits.length === 1);
  t.same(credits.map((c) => [c.sessionId, c.cents]), [['s1', 200]], 'the customer\'s coin went to their payment');
  t.equal(events.filter((e) => e.kind === 'credit').length, 1, 'and was not shown as a test coin');
  await test.stop(); // idempotent after the booth ended it
  t.equal(startSession, undefined, 'no longer listening for sessions');
  await desk.keepAsCredit('s1');

  // Refused while a payment is open; a session starting ends a running test.
  await desk.open('s2', 800);
  await t.rejects(tester.startTest(() => undefined), /a customer payment is open/);
  await desk.keepAsCredit('s2');
  const second: CoinEvent[] = [];
  const again = await tester.startTest((e) => second.push(e));
  t.ok(acceptor.acceptance().length > 0);
  startSession!();
  await until('ended by the session', () => second.some((e) => e.kind === 'end'));
  await until('inhibited', () => acceptor.acceptance().length === 0);
  t.match(second.at(-1), { message: /a customer session started/ });
  await again.stop();
  const reasons = store.db.prepare('SELECT end_reason FROM payment_tests ORDER BY id').all();
  t.same(reasons, [{ end_reason: 'a customer payment opened' }, { end_reason: 'a customer session started' }]);
});

t.test('print test: a real page at the printer, the printer\'s reason when it cannot', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-printtest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const printer = new SimulatedPrinter({ dir: join(dir, 'printed') }, silentLogger());
  await printer.start();
  t.teardown(() => printer.stop());
  const tester = createPrintTester({ printer, boothId: 'TEST-01', operatorPrefix: '9CAB', jobTimeoutMs: 30_000, logger: silentLogger() });
  const [a, b] = await Promise.all([tester.printTest(), tester.printTest()]);
  t.equal(a.jobId, b.jobId, 'two callers at once share one page');
  t.match(a.detail, /^completed on sim:.* \(image\/png, \d+ KiB test board\)$/);
  const file = printer.fileOf(a.jobId);
  t.ok(file && existsSync(file), 'the page was printed');

  await printer.simulate({ reasons: ['media-empty-error'] });
  await t.rejects(tester.printTest(), /printer not ready: media-empty-error/, 'out of paper: says so, prints nothing');
  await printer.simulate({ reasons: [] });
  const c = await tester.printTest();
  t.not(c.jobId, a.jobId, 'a new page once paper is back');
});
