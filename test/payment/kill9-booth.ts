// Test fixture (not product code), run as a child process by kill9.test.ts: the booth's payment
// path as the composition root wires it — the real acceptor driver on a serial device (one end
// of the simulator's socat pty), the PaymentDesk and its SQLite ledger in `--dir` — and a
// stand-in for the session flow that hears credits through `desk.onCredit` and takes a little
// time to act on each one (as the flow updates the screen and its journal). The test kills it
// with SIGKILL at random points and starts it again on the same directory.
//
//   node --import tsx test/payment/kill9-booth.ts --dir DIR --port PTY [--session ID] [--due CENTS]
//
// stdout, one JSON line each: {"ready":true,"sessionCredit":N} once the acceptor is up and the
// payment is open, {"journaled":coinId} when the flow hears of a credit (the ledger has it),
// {"flow":{"coinId","cents"},"sessionCredit":N} per credit the flow took in,
// {"coinsLost":{incidentId,missedEvents,...},"screen":{incidentId,missedEvents}} when acceptor events were
// lost (the desk's payment.coins-lost event, and what the payment screen then shows).
// SIGTERM: orderly stop (acceptor inhibited, store closed), exit 0.
import { parseArgs } from 'node:util';
import { configSchema } from '../../src/config/schema.ts';
import { createCoinAcceptor } from '../../src/hal/coin-acceptor/index.ts';
import { silentLogger } from '../../src/log.ts';
import { PaymentDesk, type PaymentEvent } from '../../src/payment/index.ts';
import { openStore } from '../../src/store/db.ts';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, port: { type: 'string' }, session: { type: 'string', default: 'kill9' }, due: { type: 'string', default: '100000' } },
});
if (!values.dir || !values.port) throw new Error('--dir and --port are required');
const sessionId = values.session;
const due = Number(values.due);

const out = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
const store = openStore(values.dir);
const config = configSchema.parse({ coinAcceptor: { port: values.port, pollMs: 100 } });
const acceptor = createCoinAcceptor(config.coinAcceptor, { simulated: false, logger: silentLogger() });
const desk = new PaymentDesk({ store, acceptor, canDeliver: () => ({ ok: true }), storedCreditMinutes: 30, logger: silentLogger() });

// The flow: it learns of each coin after the ledger has it, and works on it for 20-40 ms. The
// `journaled` line marks the start of that window (the test aims kills at it).
desk.onCredit((credit) => {
  out({ journaled: credit.coinId });
  void (async () => {
    await new Promise((r) => setTimeout(r, 20 + (credit.cents % 20)));
    out({ flow: { coinId: credit.coinId, cents: credit.cents }, sessionCredit: await desk.sessionCreditCents(sessionId) });
  })();
});

desk.on('event', (event: PaymentEvent) => {
  if (event.type === 'payment.coins-lost') out({ coinsLost: event.data, sessionId: event.sessionId ?? null, screen: desk.state().coinsLost });
});

desk.start();
await acceptor.start();
if (acceptor.status().health !== 'ok') throw new Error(`acceptor not ready: ${acceptor.status().detail ?? acceptor.status().health}`);
// Same session after a restart: `open` is idempotent, its credit is what the ledger holds.
await desk.open(sessionId, due);
out({ ready: true, sessionCredit: await desk.sessionCreditCents(sessionId), accepting: desk.state().accepting });

process.once('SIGTERM', () => {
  void (async () => {
    await desk.stop();
    await acceptor.stop();
    store.close();
    process.exit(0);
  })();
});
