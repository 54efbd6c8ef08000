// Shared test support of the payment suites: the desk on simulated devices (paymentRig), and
// a child process speaking JSON lines (Child).
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Test } from 'tap';
import { configSchema } from '../../src/config/schema.ts';
import { createCardReader, MdbCardReaderSimulator, type BoothCardReader } from '../../src/hal/card-reader/index.ts';
import { createCoinAcceptor, CctalkBusSimulator } from '../../src/hal/coin-acceptor/index.ts';
import { silentLogger } from '../../src/log.ts';
import { PaymentDesk, type PaymentEvent, type SessionCoinCredit, type TestCoin, type TestEnded } from '../../src/payment/index.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { until } from '../hal/coin-acceptor-harness.ts';

/** A child speaking JSON lines on stdout. */
export class Child {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ text: line });
      }
      for (const w of this.waiters.splice(0)) w();
    });
    proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    // 'close': exited and stdout read to the end (every line the process wrote is in `lines`).
    this.exited = new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first line from index `from` on that matches. */
  async line(what: string, match: (l: Record<string, unknown>) => boolean, from = 0, limitMs = 20000): Promise<Record<string, unknown>> {
    const end = Date.now() + limitMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${what}: process exited (${this.proc.exitCode ?? this.proc.signalCode}): ${this.stderr}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}


export interface PaymentRigOptions {
  /** A hopper (address 3, paying EU100A) beside the acceptor. */
  hopper?: boolean;
  /** The contactless reader (MDB cashless, simulated) beside the coins. */
  cardReader?: boolean;
  /** The desk's clock (default: the real one). */
  now?: () => Date;
  /** The store to use (closed at teardown); default: one opened in `dir`. */
  store?: Store;
  /** The data dir (a restart opens the same again; the caller removes it); default: a temp dir the rig removes. */
  dir?: string;
  /** The simulated acceptor's coin table. */
  coinTable?: string[];
  /** How often the desk re-checks the booth's health while a payment is open (default 50 ms; 'default': the desk's own). */
  healthCheckMs?: number | 'default';
}

/**
 * The payment desk as the booth wires it, on simulated devices: store, ccTalk acceptor (and
 * hopper) over the in-process simulator, optionally the MDB card reader, the desk with a
 * switchable `canDeliver`, and collectors of what it tells (credits, events, test coins).
 * Started and ready; `stop()` (also at teardown) stops it all in the booth's order.
 */
export async function paymentRig<O extends PaymentRigOptions>(t: Test, options: O = {} as O) {
  const made = options.store || options.dir ? undefined : mkdtempSync(join(tmpdir(), 'cabine-pay-'));
  const dir = options.dir ?? made ?? '';
  const store = options.store ?? openStore(dir);
  const sim = new CctalkBusSimulator({ hopper: options.hopper === true, ...(options.coinTable ? { coinTable: options.coinTable } : {}) });
  const cards = options.cardReader ? new MdbCardReaderSimulator() : undefined;
  const config = configSchema.parse({ coinAcceptor: { hopper: options.hopper === true, pollMs: 50 }, cardReader: { pollMs: 30 } });
  const acceptor = createCoinAcceptor(config.coinAcceptor, { simulated: true, logger: silentLogger(), simulator: sim });
  const reader = cards ? (createCardReader(config.cardReader, { simulated: true, logger: silentLogger(), simulator: cards }) as BoothCardReader) : undefined;
  const health = { ok: true as boolean, reason: '' };
  const desk = new PaymentDesk({
    store,
    acceptor,
    ...(reader ? { cardReader: reader } : {}),
    canDeliver: () => (health.ok ? { ok: true } : { ok: false, reason: health.reason }),
    storedCreditMinutes: 30,
    ...(options.healthCheckMs === 'default' ? {} : { healthCheckMs: options.healthCheckMs ?? 50 }),
    ...(options.now ? { now: options.now } : {}),
  });
  const credits: SessionCoinCredit[] = [];
  const events: PaymentEvent[] = [];
  const testCoins: TestCoin[] = [];
  const testsEnded: TestEnded[] = [];
  desk.onCredit((c) => credits.push(c));
  desk.on('event', (e: PaymentEvent) => events.push(e));
  desk.on('test-coin', (c: TestCoin) => testCoins.push(c));
  desk.on('test-ended', (e: TestEnded) => testsEnded.push(e));
  desk.start();
  await acceptor.start();
  await acceptor.hopper?.start();
  await reader?.start();
  await until('acceptor ready', () => acceptor.status().health === 'ok' && (!acceptor.hopper || acceptor.hopper.status().health === 'ok'));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await desk.stop();
    await reader?.stop();
    await acceptor.hopper?.stop();
    await acceptor.stop();
    sim.stop();
    cards?.stop();
    store.close();
  };
  t.teardown(async () => {
    await stop();
    if (made) rmSync(made, { recursive: true, force: true });
  });
  const rig = { dir, store, sim, acceptor, desk, credits, events, testCoins, testsEnded, health, stop };
  return { ...rig, cards, reader } as typeof rig & WithCards<O>;
}

/** The card reader and its simulator are there when the rig was asked for them. */
type WithCards<O> = O extends { cardReader: true } ? { cards: MdbCardReaderSimulator; reader: BoothCardReader } : { cards: undefined; reader: undefined };
