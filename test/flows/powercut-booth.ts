// Test fixture (not product code), run as a child process by the power-cut harness
// (test/flows/powercut-harness.ts): the whole simulated booth as `cabine start --sim` builds it
// (buildBooth: journal, session machine, payment desk and ledger, code registry, print queue on
// the simulated printer, outbox, vision), except that the coin acceptor is the REAL ccTalk
// driver on a serial device: one end of a socat pty pair whose other end is the ccTalk
// simulator, a separate process that outlives this one, as a real acceptor outlives the Pi.
// A scripted customer plays sessions in a loop (curtain drawn, compliant photo posed at once,
// accept, signature replayed on the simulated FT6236, FINISH); it inserts no coins: the harness
// does, through the simulator. The harness SIGKILLs this process at random points and starts
// it again on the same data dir.
//
//   node --import tsx test/flows/powercut-booth.ts --dir DIR --port PTY [--card PTY] [--customers N] [--price CENTS]
//
// stdout, one JSON line each:
//   {"up":true,"ms":N}                          booth started (recovery running)
//   {"recovered":true,"lastSession":{...}|null}  recovery done (START accepted from now on)
//   {"step":S,"id":SESSION,"busy":B,"paid":C,"remaining":C,"code":X|null,"blocked":B}
//                                               every change of step / busy / session
//   {"ended":{sessionId,outcome,reason,keptCreditCents}}   a session ended
//   {"idle":true,"open":N}                      idle with N sessions still open in the journal
// --customers N: sessions the customer starts (default unlimited; 0 = recovery only).
// SIGTERM: orderly stop (acceptor inhibited, store closed), then {"stopped":true}, exit 0.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBooth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openJournal } from '../../src/flows/journal.ts';
import type { SessionSnapshot } from '../../src/flows/session.ts';
import { SimCurtainSwitch } from '../../src/hal/curtain/index.ts';
import { TouchReplayer, loadRecording } from '../../src/hal/touch/index.ts';
import { createLogger } from '../../src/log.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    port: { type: 'string' },
    customers: { type: 'string', default: '-1' },
    price: { type: 'string', default: '300' },
    card: { type: 'string' },
  },
});
if (!values.dir || !values.port) throw new Error('--dir and --port are required');
const customers = Number(values.customers);
const out = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');
const root = new URL('../../', import.meta.url).pathname;

const t0 = Date.now();
const config = loadConfig({
  overrides: {
    'hal.simulated': true,
    'data.dir': values.dir,
    'coinAcceptor.port': values.port,
    'coinAcceptor.pollMs': 100,
    'printer.uri': undefined,
    'fleet.url': undefined,
    'payment.priceCents': Number(values.price),
    // Credit kept by a walk-away must still be there when the harness counts it.
    'payment.storedCreditMinutes': 24 * 60,
    'session.doneSeconds': 1,
    'session.paymentTimeoutSeconds': 20,
    // --card PTY: the real MDB cashless driver on the pty of `cabine sim mdb --pty`.
    ...(values.card ? { 'cardReader.port': values.card, 'cardReader.pollMs': 50 } : { 'cardReader.simulated': false }),
  },
});
// Logs (warnings and errors; CABINE_LOG_LEVEL for more) go to stderr: the harness keeps the
// tail for its failure messages.
const logger = createLogger(process.env.CABINE_LOG_LEVEL ? {} : { level: 'warn' });
// The simulated printer's job files are the printed paper the harness counts (one board per
// paid session): kept here, where a booth deletes them once the session ends (docs/privacy.md).
const booth = await buildBooth(config, logger, { ui: false, control: false, keepSessionFiles: true });
const sim = booth.parts.sim;
if (!sim) throw new Error('the power-cut booth needs the simulated GPIO, I2C and camera');
const recording = loadRecording(join(root, 'test/fixtures/signatures/martin.json'));
const curtain = new SimCurtainSwitch(sim.gpio, config.curtain.line, config.curtain.closedLevel);
const journal = openJournal(booth.store);

let started = 0;
let stopping = false;
let lastLine = '';
let lastEnded: string | null = null;
let recovered = false;
let acting = false;
let booted = false;

const report = (s: SessionSnapshot) => {
  const line = JSON.stringify({ step: s.step, id: s.sessionId, busy: s.busy, paid: s.paidCents, remaining: s.remainingCents, code: s.code, blocked: s.blocked !== null });
  if (line !== lastLine) {
    lastLine = line;
    process.stdout.write(line + '\n');
  }
  if (s.step === 'idle' && s.lastSession && s.lastSession.sessionId !== lastEnded) {
    lastEnded = s.lastSession.sessionId;
    const { sessionId, outcome, reason, keptCreditCents } = s.lastSession;
    out({ ended: { sessionId, outcome, reason, keptCreditCents } });
  }
  if (!s.recovering && !recovered) {
    recovered = true;
    out({ recovered: true, lastSession: s.lastSession });
  }
};

/** The customer: reacts to the screen (the snapshot), one action at a time. */
const act = async (s: SessionSnapshot) => {
  if (stopping || s.recovering) return;
  if (s.step === 'idle') {
    out({ idle: true, open: journal.openSessions().length });
    if (customers >= 0 && started >= customers) return;
    // A new customer: the previous one opened the curtain on leaving; draw it again.
    if (curtain.drawn()) await curtain.open({ bounces: 1 });
    await sleep(50);
    if (stopping || booth.machine.snapshot().step !== 'idle') return;
    started++;
    await curtain.draw({ bounces: 2 });
    // The customer chooses the e-photo on the screen and confirms it.
    booth.machine.send({ type: 'START', product: 'ephoto' });
    // START refused (booth not ready yet, e.g. vision loading): try again shortly.
    await sleep(500);
    const now = booth.machine.snapshot();
    if (now.step === 'idle' && !stopping) {
      started--;
      await curtain.open({ bounces: 1 });
      schedule();
    }
  } else if (s.step === 'review' && !s.busy) {
    booth.machine.send(s.canAccept ? { type: 'ACCEPT' } : { type: 'RETAKE' });
  } else if (s.step === 'signature' && !s.busy) {
    await new TouchReplayer(sim.touch, recording).play({ speed: 8 });
    await booth.parts.touch.settled();
    booth.machine.send({ type: 'SIGNATURE_DONE' });
  } else if (s.step === 'done') {
    booth.machine.send({ type: 'FINISH' });
    if (curtain.drawn()) await curtain.open({ bounces: 1 });
  }
};

let pending = false;
/** Acts on the latest snapshot; snapshots that arrive while acting are coalesced. */
function schedule(): void {
  if (acting) {
    pending = true;
    return;
  }
  acting = true;
  void act(booth.machine.snapshot())
    .catch((err: unknown) => process.stderr.write(`customer: ${(err as Error).stack ?? String(err)}\n`))
    .finally(() => {
      acting = false;
      if (pending) {
        pending = false;
        schedule();
      }
    });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

let lastStepKey = '';
booth.machine.subscribe((s) => {
  if (!booted) return;
  report(s);
  const key = `${s.sessionId}:${s.step}:${s.busy}:${s.recovering}`;
  if (key === lastStepKey) return;
  lastStepKey = key;
  schedule();
});

process.once('SIGTERM', () => {
  stopping = true;
  void booth.stop().then(
    () => {
      out({ stopped: true });
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`stop failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
});

await booth.start();
await sim.camera.selectPhoto('london-004');
booted = true;
out({ up: true, ms: Date.now() - t0, acceptor: booth.parts.coinAcceptor.status().health });
report(booth.machine.snapshot());
schedule();
