// The payment desk: what the session flow calls (it implements flows' PaymentPort), on top of
// the ledger and the coin acceptor. Rules:
// - the acceptor accepts coins only while a payment is open, still due, the booth can deliver
//   (`canDeliver`, checked on every change and every `healthCheckMs`) and the acceptor is
//   healthy; otherwise every coin is inhibited;
// - a coin is journaled (ledger, one durable transaction) before it is announced; a coin that
//   arrives with no payment open becomes stored credit;
// - without a working hopper, coins larger than what remains are inhibited ("no change
//   given"); with one, coins whose surplus it can pay back, and the surplus is paid at settle;
// - a session that ends unserved leaves its credit as stored credit, usable by the next
//   session for `storedCreditMinutes`, then expired (counted in the cash box, reported);
// - a technician's coin test (console `coin test`) enables every euro coin while no payment
//   is open; its coins are journaled as test coins (cash box counted, never a sale nor
//   credit); a payment opening ends the test first, so a customer's coin is never a test coin.
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CardReaderDevice } from '../hal/card-reader/index.ts';
import type { AcceptorAlarm, CoinAcceptorDevice, CoinCreditEvent, CounterGap, HopperDevice } from '../hal/coin-acceptor/index.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import { CardPayments, type CardActivity } from './card.ts';
import { planAcceptance } from './coins.ts';
import { openLedger, type CashboxLine, type CoinIncident, type Ledger, type RefundRow, type StoredCredit } from './ledger.ts';

/** A coin credited to a session (same shape as flows' CoinCredit). */
export interface SessionCoinCredit {
  sessionId: string;
  coinId: string;
  cents: number;
}

export type CanDeliver = () => { ok: true } | { ok: false; reason: string };

export interface PaymentEvent {
  type: 'coin.credited' | 'refund.paid' | 'refund.claim' | 'refund.claim-paid' | 'card.approved' | 'card.denied' | 'card.charged' | 'card.released' | 'card.voided' | 'payment.paid' | 'credit.stored' | 'credit.applied' | 'credit.expired' | 'change.paid' | 'change.unpaid' | 'payment.alarm' | 'payment.coins-lost' | 'payment.incident-closed';
  severity: 'info' | 'warning' | 'error';
  message: string;
  sessionId?: string;
  cents?: number;
  data?: Record<string, unknown>;
  at: string;
}

export interface PaymentState {
  sessionId: string | null;
  dueCents: number;
  creditCents: number;
  remainingCents: number;
  /** Coins the acceptor takes now. */
  accepting: string[];
  /** Why no coin is taken (null while accepting). */
  inhibitedBecause: string | null;
  /** Coins larger than the remainder are refused: the screen says "no change given". */
  noChange: boolean;
  storedCreditCents: number;
  /** The card reader: whether it takes cards now, and what it is doing. */
  card: { available: boolean; activity: CardActivity } | null;
  /** Acceptor events were lost during this payment: the customer is told to ask for a refund, quoting the incident. */
  coinsLost: { incidentId: number; missedEvents: number } | null;
}

/** A coin inserted during a technician's coin test (desk event `test-coin`). */
export interface TestCoin {
  testId: number;
  coinId: string;
  coin: string;
  cents: number;
  channel: number;
  at: string;
}

/** A coin test ended (desk event `test-ended`), by the technician or because a payment opened. */
export interface TestEnded {
  testId: number;
  reason: string;
}

export interface PaymentDeskOptions {
  store: Store;
  acceptor: CoinAcceptorDevice;
  /** The contactless reader (MDB cashless), if the booth has one. */
  cardReader?: CardReaderDevice;
  canDeliver: CanDeliver;
  storedCreditMinutes: number;
  logger?: Logger;
  /** How often the booth's health is re-checked while a payment is open (ms). */
  healthCheckMs?: number;
  now?: () => Date;
}

/** Code alphabet of e-photo codes (no O, I, L, S): easy to read out and to type. */
const CLAIM_ALPHABET = '0123456789ABCDEFGHJKMNPQRTUVWXYZ';

/** A refund claim code: 8 characters (40 random bits), shown as XXXX-XXXX. */
export function newClaimCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += CLAIM_ALPHABET[randomInt(CLAIM_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

export class PaymentDesk extends EventEmitter {
  readonly ledger: Ledger;
  private readonly acceptor: CoinAcceptorDevice;
  private readonly hopper: HopperDevice | undefined;
  private readonly card: CardPayments | undefined;
  private readonly cardReader: CardReaderDevice | undefined;
  private readonly canDeliver: CanDeliver;
  private readonly minutes: number;
  private readonly log: Logger;
  private readonly healthCheckMs: number;
  private readonly now: () => Date;
  private active: { sessionId: string; dueCents: number; item: number } | undefined;
  private testing: { id: number } | undefined;
  /** The session whose payment.paid was published: coins of one poll are announced together. */
  private paidAnnounced: string | undefined;
  private wanted: string[] = [];
  private because: string | null = 'no payment open';
  private noChange = true;
  private applying: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly creditListeners = new Set<(credit: SessionCoinCredit) => void>();
  private readonly onDeviceChange = () => void this.refresh();
  // Missed events are a money incident (recordGap publishes payment.coins-lost).
  private readonly onAlarm = (alarm: AcceptorAlarm) => {
    if (alarm.kind !== 'missed-events') this.publish({ type: 'payment.alarm', severity: 'warning', message: alarm.message, data: { kind: alarm.kind } });
  };

  constructor(options: PaymentDeskOptions) {
    super();
    this.ledger = openLedger(options.store);
    this.acceptor = options.acceptor;
    this.hopper = options.acceptor.hopper;
    this.canDeliver = options.canDeliver;
    this.minutes = options.storedCreditMinutes;
    this.log = (options.logger ?? silentLogger()).child({ module: 'payment' });
    this.healthCheckMs = options.healthCheckMs ?? 1000;
    this.now = options.now ?? (() => new Date());
    this.cardReader = options.cardReader;
    if (options.cardReader) {
      this.card = new CardPayments({
        ledger: this.ledger,
        reader: options.cardReader,
        due: () => {
          const s = this.active ? this.ledger.session(this.active.sessionId) : undefined;
          if (!s || s.state !== 'open' || !this.canDeliver().ok) return undefined;
          return { sessionId: s.sessionId, remainingCents: s.dueCents - s.creditCents, item: this.active?.item ?? 1 };
        },
        credited: (sessionId, creditId, cents) => setImmediate(() => this.notifyCredit(sessionId, creditId, cents)),
        publish: (event) => this.publish(event),
        changed: () => void this.refresh().catch(() => undefined),
        now: this.now,
        logger: this.log,
      });
    }
  }

  /** Attaches the ledger to the acceptor. Call before `acceptor.start()`. */
  start(): void {
    this.acceptor.setCreditSink(
      (credit) => this.record(credit),
      (serial) => this.ledger.lastCounter(serial),
      (serial, counter) => this.ledger.markCounter(serial, counter, this.now()),
      (gap) => this.recordGap(gap),
    );
    this.acceptor.on('fault', this.onDeviceChange);
    this.acceptor.on('recovered', this.onDeviceChange);
    this.cardReader?.on('fault', this.onDeviceChange);
    this.cardReader?.on('recovered', this.onDeviceChange);
    this.card?.start();
    this.acceptor.on('alarm', this.onAlarm);
    for (const p of this.ledger.uncertainPayouts()) {
      this.publish({
        type: 'payment.alarm',
        severity: 'error',
        sessionId: p.sessionId,
        message: `a payout of ${p.coins} coins was interrupted by a restart: not repeated, check the hopper`,
        data: { payoutId: p.id },
      });
    }
    const interrupted = this.ledger.closeOpenTests(this.now(), 'the booth restarted during the test');
    if (interrupted.length) this.log.info({ tests: interrupted }, 'coin tests left open by a restart closed');
    this.expire();
    this.timer = setInterval(() => {
      this.expire();
      if (this.active) void this.refresh();
    }, this.healthCheckMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.active = undefined;
    this.finishTest('the booth stopped'); // if one is running
    this.acceptor.off('fault', this.onDeviceChange);
    this.acceptor.off('recovered', this.onDeviceChange);
    this.acceptor.off('alarm', this.onAlarm);
    this.cardReader?.off('fault', this.onDeviceChange);
    this.cardReader?.off('recovered', this.onDeviceChange);
    this.card?.stop();
    await this.refresh().catch(() => undefined);
    this.acceptor.setCreditSink(undefined);
  }

  // ---- PaymentPort (src/flows/ports.ts) ---------------------------------------------------

  /** `sold`: the product (in the payment record) and its number for the card reader (VEND REQUEST item number). */
  async open(sessionId: string, dueCents: number, sold?: { product: string; item: number }): Promise<{ appliedCreditCents: number }> {
    // A customer's coin must never be taken as a technician's test coin.
    this.finishTest('a customer payment opened'); // if one is running
    this.expire();
    const { appliedCents, uses, created } = this.ledger.open(sessionId, dueCents, this.now(), sold?.product);
    if (created && appliedCents > 0) {
      this.publish({ type: 'credit.applied', severity: 'info', sessionId, cents: appliedCents, message: `${appliedCents} cents of stored credit applied`, data: { uses } });
    }
    const s = this.ledger.session(sessionId);
    if (s?.state === 'open') {
      this.active = { sessionId, dueCents: s.dueCents, item: sold?.item ?? 1 };
      await this.refresh().catch((err: Error) => this.log.warn({ err: err.message }, 'acceptor not enabled'));
    }
    return { appliedCreditCents: appliedCents };
  }

  async inhibit(): Promise<void> {
    this.active = undefined;
    await this.refresh();
  }

  onCredit(listener: (credit: SessionCoinCredit) => void): () => void {
    this.creditListeners.add(listener);
    return () => this.creditListeners.delete(listener);
  }

  async sessionCreditCents(sessionId: string): Promise<number> {
    return this.ledger.session(sessionId)?.creditCents ?? 0;
  }

  /** The session is served: `cents` spent; any surplus is paid back by the hopper or kept as credit. */
  async settle(sessionId: string, cents: number): Promise<void> {
    if (this.active?.sessionId === sessionId) await this.inhibit();
    // No surplus (or settled before: the ledger reports 0): giveChange pays and stores nothing.
    const { surplusCents } = this.ledger.settle(sessionId, cents, this.now());
    await this.giveChange(sessionId, surplusCents);
  }

  /** The session's due amount is spent (idempotent): `settle` at its price. */
  /**
   * The paid delivery of `sessionId` failed: card approvals released (VEND FAILURE), the cash
   * credit paid back by the hopper where it can, the rest owed as a refund claim (code for
   * the customer; a signed refund-due record goes to the operator). Idempotent: after a
   * restart the same refund, never a second payout.
   */
  async refund(sessionId: string, reason: string): Promise<{ paidBackCents: number; claimCents: number; claimCode: string | null; releasedCardCents: number }> {
    const s = this.ledger.session(sessionId);
    // Settled first (change for any surplus; it also inhibits the session if it is the one
    // being paid: only an open session is ever the desk's active one).
    if (s?.state === 'open') await this.settle(sessionId, s.dueCents);
    await this.card?.release(sessionId, `delivery failed: ${reason}`);
    const releasedCardCents = this.ledger
      .cardVends(sessionId)
      .filter((v) => v.state === 'released' || v.state === 'voided')
      .reduce((a, v) => a + v.creditedCents, 0);
    let r = this.ledger.beginRefund(sessionId, reason, this.now());
    if (r.state === 'paying') {
      const paidBackCents = await this.payBack(sessionId, r.cents, r.payoutId);
      r = this.ledger.finishRefund(sessionId, paidBackCents, newClaimCode(), this.now());
      if (r.paidBackCents > 0) {
        this.publish({ type: 'refund.paid', severity: 'warning', sessionId, cents: r.paidBackCents, message: `${r.paidBackCents} cents paid back by the hopper (delivery failed: ${reason})` });
      }
      if (r.claimCents > 0) {
        // The claim code is the customer's: it goes in the signed record, never in events or logs.
        this.publish({ type: 'refund.claim', severity: 'error', sessionId, cents: r.claimCents, message: `${r.claimCents} cents owed to a customer (delivery failed: ${reason}): refund claim sent to the operator` });
      }
    }
    return { paidBackCents: r.paidBackCents, claimCents: r.claimCents, claimCode: r.claimCode, releasedCardCents };
  }

  /** Refund claims still owed (console, fleet telemetry). */
  /**
   * The operator paid a refund claim back: `session` is its session id or a prefix of it (at
   * least 8 characters, as the console and refund-due records show it; never the claim code,
   * which stays out of logs and audit trails). Journaled with `by`; an event tells the fleet.
   */
  claimPaid(session: string, by: string): RefundRow {
    if (!/^[0-9a-f][0-9a-f-]{7,35}$/.test(session)) throw new Error('name the claim by its session id (at least its first 8 characters, as `refunds` lists it)');
    const due = this.ledger.claimsDue().filter((c) => c.sessionId.startsWith(session));
    if (due.length === 0) throw new Error(`no refund claim due for session ${session}`);
    if (due.length > 1) throw new Error(`${due.length} claims due for sessions starting ${session}: give more of the session id`);
    const claim = due[0]!;
    if (!this.ledger.markClaimPaid(claim.sessionId, this.now(), by)) throw new Error(`the claim of session ${claim.sessionId} is no longer due`);
    this.publish({ type: 'refund.claim-paid', severity: 'info', sessionId: claim.sessionId, cents: claim.claimCents, message: `refund claim of ${claim.claimCents} cents paid back by the operator (${by})` });
    return this.ledger.refund(claim.sessionId)!;
  }

  refundsOwed(): { count: number; cents: number } {
    const due = this.ledger.claimsDue();
    return { count: due.length, cents: due.reduce((a, r) => a + r.claimCents, 0) };
  }

  /** Pays `cents` back with the hopper (once: a payout already attempted is not repeated). */
  private async payBack(sessionId: string, cents: number, attempted: number | null): Promise<number> {
    if (attempted !== null) {
      // A restart interrupted it: what the payout journal says was paid (uncertain = 0, alarmed at start).
      const p = this.ledger.payout(attempted);
      return p?.state === 'done' ? (p.paidCoins ?? 0) * p.coinCents : 0;
    }
    const coin = this.hopper && this.hopper.status().health === 'ok' ? this.hopper.coin() : undefined;
    const count = coin ? Math.min(255, Math.floor(cents / coin.valueCents)) : 0;
    if (!coin || !this.hopper || count === 0) return 0;
    const payout = this.ledger.beginPayout(sessionId, coin.coin, count, coin.valueCents, this.now());
    this.ledger.setRefundPayout(sessionId, payout);
    let paid = 0;
    try {
      paid = (await this.hopper.dispense(count)).paid;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'refund not paid by the hopper');
    }
    this.ledger.endPayout(payout, paid);
    return paid * coin.valueCents;
  }

  /** The session's board is printed: its card approvals are charged (VEND SUCCESS). Idempotent. */
  async delivered(sessionId: string): Promise<void> {
    await this.card?.delivered(sessionId);
  }

  async markSpent(sessionId: string): Promise<void> {
    const s = this.ledger.session(sessionId);
    if (!s) throw new Error(`no payment for session ${sessionId}`);
    await this.settle(sessionId, s.dueCents);
  }

  /** The session ends unserved: its credit is stored for the next customer (no refund). */
  async keepAsCredit(sessionId: string): Promise<{ refundedCents: number }> {
    if (this.active?.sessionId === sessionId) await this.inhibit();
    const { storedCents } = this.ledger.keep(sessionId, this.now(), this.minutes); // 0 if kept before
    await this.card?.release(sessionId, 'the session ended unserved');
    if (storedCents > 0) {
      this.publish({
        type: 'credit.stored',
        severity: 'info',
        sessionId,
        cents: storedCents,
        message: `${storedCents} cents left by an unserved session, usable for ${this.minutes} min`,
      });
    }
    return { refundedCents: 0 };
  }

  // ---- screen, console, fleet -------------------------------------------------------------

  state(): PaymentState {
    const s = this.active ? this.ledger.session(this.active.sessionId) : undefined;
    const credit = s?.creditCents ?? 0;
    const due = s?.dueCents ?? 0;
    return {
      sessionId: s?.sessionId ?? null,
      dueCents: due,
      creditCents: credit,
      remainingCents: Math.max(0, due - credit),
      accepting: [...this.acceptor.acceptance()],
      inhibitedBecause: this.because,
      noChange: this.noChange,
      storedCreditCents: this.storedCreditCents(),
      card: this.card ? this.card.state() : null,
      coinsLost: this.coinsLostIn(s?.sessionId),
    };
  }

  /** Money incidents (acceptor events lost) the operator has not closed yet. */
  coinIncidents(): CoinIncident[] {
    return this.ledger.openCoinIncidents();
  }

  /** The operator checked the cash box against the ledger and refunded whom it had to: the incident is closed (journaled with `by`). */
  closeCoinIncident(id: number, by: string): CoinIncident {
    if (!this.ledger.closeCoinIncident(id, this.now(), by)) throw new Error(`no open coin incident ${id}`);
    const incident = this.ledger.coinIncident(id)!;
    this.publish({
      type: 'payment.incident-closed',
      severity: 'info',
      ...(incident.sessionId ? { sessionId: incident.sessionId } : {}),
      message: `coin incident ${id} (${incident.missedEvents} events lost) closed by ${by}`,
      data: { incidentId: id, missedEvents: incident.missedEvents, by },
    });
    this.emit('state', this.state());
    return incident;
  }

  private coinsLostIn(sessionId: string | undefined): PaymentState['coinsLost'] {
    if (!sessionId) return null;
    const lost = this.ledger.openCoinIncidents().filter((i) => i.sessionId === sessionId);
    const last = lost.at(-1);
    return last ? { incidentId: last.id, missedEvents: lost.reduce((a, i) => a + i.missedEvents, 0) } : null;
  }

  storedCreditCents(): number {
    return this.ledger.availableCredit(this.now()).reduce((a, c) => a + c.leftCents, 0);
  }

  storedCredit(): StoredCredit[] {
    return this.ledger.availableCredit(this.now());
  }

  cashbox(): CashboxLine[] {
    return this.ledger.cashbox();
  }

  emptyCashbox(): { totalCents: number; counts: CashboxLine[] } {
    return this.ledger.emptyCashbox(this.now());
  }

  /**
   * Recomputes which coins to accept and applies it (the composition root calls it when the
   * booth's health changes; the desk also checks every `healthCheckMs` while a payment is open).
   */
  refresh(): Promise<void> {
    const run = this.applying.then(() => this.apply());
    this.applying = run.catch(() => undefined);
    return run;
  }

  // ---- technician coin test (console) -----------------------------------------------------

  /**
   * Starts a coin test: every euro coin of the acceptor's table is accepted while no payment
   * is open; coins arrive as `test-coin` events. Refused while a payment is open. Resolves
   * once the acceptance is applied, with the coins accepted (empty, and why, when the
   * acceptor cannot take coins now).
   */
  async beginTest(): Promise<{ testId: number; accepting: string[]; inhibitedBecause: string | null }> {
    if (this.active) throw new Error(`a customer payment is open (session ${this.active.sessionId}): no coin test now`);
    if (this.testing) throw new Error('a coin test is already running');
    const testId = this.ledger.beginTest(this.now());
    this.testing = { id: testId };
    this.log.info({ testId }, 'coin test started');
    try {
      await this.refresh();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'acceptor not enabled for the coin test');
    }
    return { testId, accepting: [...this.acceptor.acceptance()], inhibitedBecause: this.because };
  }

  /** Ends the coin test (if `testId` is the one running) and inhibits the acceptor again. */
  async endTest(testId: number, reason: string): Promise<void> {
    if (this.testing?.id !== testId) return;
    this.finishTest(reason);
    await this.refresh();
  }

  /** The running coin test, if any. */
  currentTest(): number | undefined {
    return this.testing?.id;
  }

  private finishTest(reason: string): void {
    const test = this.testing;
    if (!test) return;
    this.testing = undefined;
    this.ledger.endTest(test.id, this.now(), reason);
    this.log.info({ testId: test.id, reason }, 'coin test ended');
    const ended: TestEnded = { testId: test.id, reason };
    this.emit('test-ended', ended);
    void this.refresh().catch((err: Error) => this.log.warn({ err: err.message }, 'acceptor not inhibited after the coin test'));
  }

  // ---- internals --------------------------------------------------------------------------

  private async apply(): Promise<void> {
    const hopperCoin = this.hopper && this.hopper.status().health === 'ok' ? this.hopper.coin() : undefined;
    let coins: string[] = [];
    let because: string | null = null;
    const active = this.active;
    const s = active ? this.ledger.session(active.sessionId) : undefined;
    if (!active && this.testing) {
      const device = this.acceptor.status();
      if (device.health !== 'ok') because = `coin acceptor ${device.health}${device.detail ? `: ${device.detail}` : ''}`;
      else coins = this.acceptor.coinTable().filter((slot) => slot.valueCents !== undefined).map((slot) => slot.coin);
      if (!because && coins.length === 0) because = 'no euro coin in the acceptor table';
    } else if (!active || !s || s.state !== 'open') because = 'no payment open';
    else if (s.creditCents >= s.dueCents) because = 'paid';
    else if (this.card?.state().activity === 'authorising') because = 'a card is being authorised';
    else {
      const health = this.canDeliver();
      const device = this.acceptor.status();
      if (!health.ok) because = `the booth cannot deliver: ${health.reason}`;
      else if (device.health !== 'ok') because = `coin acceptor ${device.health}${device.detail ? `: ${device.detail}` : ''}`;
      else {
        const plan = planAcceptance(this.acceptor.coinTable(), s.dueCents - s.creditCents, hopperCoin?.valueCents);
        coins = plan.coins;
        if (coins.length === 0) because = 'no coin in the acceptor table fits';
      }
    }
    // Cards follow the payment and the booth, not the coin acceptor's health.
    const cardWanted = !this.testing && s?.state === 'open' && s.creditCents < s.dueCents && this.canDeliver().ok && this.cardReader?.status().health === 'ok';
    if (this.card) await this.card.setEnabled(cardWanted).catch((err: Error) => this.log.warn({ err: err.message }, 'card reader not switched'));
    if (because !== this.because) this.log.info({ because, coins }, because ? 'coins inhibited' : 'coins accepted');
    this.because = because;
    this.noChange = hopperCoin === undefined;
    const same = coins.length === this.wanted.length && coins.every((c, i) => c === this.wanted[i]) && this.sameAsDevice(coins);
    this.wanted = coins;
    if (same) return;
    this.emit('state', this.state());
    if (this.acceptor.status().health !== 'ok' && coins.length === 0) return; // it inhibits itself on reconnection
    await this.acceptor.setAcceptance(coins);
    this.emit('state', this.state());
  }

  private sameAsDevice(coins: string[]): boolean {
    const applied = this.acceptor.acceptance();
    return applied.length === coins.length && coins.every((c) => applied.includes(c));
  }

  /**
   * The gap sink: acceptor events lost beyond its 5-event buffer (a stalled booth polling an
   * acceptor without credit-poll watchdog, replies lost for too long). Journaled as a money
   * incident naming the open payment, before the buffered coins are credited; throws (the
   * driver retries) if it cannot. Then the operator hears of it, and the customer's screen says
   * to ask for a refund.
   */
  private recordGap(gap: CounterGap): void {
    const incident = this.ledger.recordCoinIncident(gap);
    setImmediate(() => {
      this.publish({
        type: 'payment.coins-lost',
        severity: 'error',
        ...(incident.sessionId ? { sessionId: incident.sessionId } : {}),
        message: `${incident.missedEvents} coin acceptor events lost (counter ${gap.fromCounter} → ${gap.toCounter}): coins may have been taken and not credited; check the cash box against the ledger${incident.sessionId ? ' and refund the customer of this session' : ''} (incident ${incident.id})`,
        data: { incidentId: incident.id, missedEvents: incident.missedEvents, fromCounter: incident.fromCounter, toCounter: incident.toCounter, acceptor: incident.serial },
      });
      this.emit('state', this.state());
    });
  }

  /** The credit sink: journals the coin; throws (coin kept by the driver) if it cannot. */
  private record(credit: CoinCreditEvent): void {
    const recorded = this.ledger.recordCoin(
      { coin: credit.coin, cents: credit.valueCents, channel: credit.channel, counter: credit.counter, serial: credit.serial, at: credit.at },
      this.minutes,
      this.testing?.id,
    );
    if (recorded.testId !== undefined) {
      const testCoin: TestCoin = { testId: recorded.testId, coinId: recorded.coinId, coin: recorded.coin, cents: recorded.cents, channel: credit.channel, at: credit.at };
      setImmediate(() => this.emit('test-coin', testCoin));
      return;
    }
    // Announced after the commit, outside the driver's call: a listener's failure can never
    // make the driver believe the coin was not recorded.
    setImmediate(() => this.announce(recorded.sessionId, recorded.coinId, recorded.cents, recorded.coin));
  }

  private announce(sessionId: string | null, coinId: string, cents: number, coin: string): void {
    if (sessionId === null) {
      this.publish({ type: 'credit.stored', severity: 'warning', cents, message: `coin ${coin} arrived with no payment open: kept as stored credit`, data: { coinId } });
      return;
    }
    const s = this.ledger.session(sessionId);
    this.publish({
      type: 'coin.credited',
      severity: 'info',
      sessionId,
      cents,
      message: `${coin} credited`,
      data: { coinId, coin, creditCents: s?.creditCents, dueCents: s?.dueCents },
    });
    this.notifyCredit(sessionId, coinId, cents);
  }

  /** Tells the flow of a journaled credit (coin or card approval); announces the session paid. */
  private notifyCredit(sessionId: string, creditId: string, cents: number): void {
    for (const listener of this.creditListeners) {
      try {
        listener({ sessionId, coinId: creditId, cents });
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'credit listener failed');
      }
    }
    const s = this.ledger.session(sessionId);
    if (s && s.state === 'open' && s.creditCents >= s.dueCents && this.paidAnnounced !== sessionId) {
      this.paidAnnounced = sessionId;
      this.publish({ type: 'payment.paid', severity: 'info', sessionId, cents: s.creditCents, message: `session paid (${s.creditCents} of ${s.dueCents} cents)` });
    }
    if (this.active?.sessionId === sessionId) void this.refresh().catch((err: Error) => this.log.warn({ err: err.message }, 'acceptance not updated'));
  }

  private async giveChange(sessionId: string, surplusCents: number): Promise<void> {
    const coin = this.hopper && this.hopper.status().health === 'ok' ? this.hopper.coin() : undefined;
    const count = coin ? Math.min(255, Math.floor(surplusCents / coin.valueCents)) : 0;
    let unpaidCents = surplusCents;
    if (coin && this.hopper && count > 0) {
      const payout = this.ledger.beginPayout(sessionId, coin.coin, count, coin.valueCents, this.now());
      let paid = 0;
      try {
        const result = await this.hopper.dispense(count);
        paid = result.paid;
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'change not paid');
      }
      this.ledger.endPayout(payout, paid);
      unpaidCents = surplusCents - paid * coin.valueCents;
      if (paid > 0) this.publish({ type: 'change.paid', severity: 'info', sessionId, cents: paid * coin.valueCents, message: `${paid} x ${coin.coin} paid as change` });
    }
    if (unpaidCents > 0) {
      this.ledger.storeCredit(coin ? 'unpaid-change' : 'surplus', sessionId, unpaidCents, this.now(), this.minutes);
      this.publish({
        type: coin ? 'change.unpaid' : 'credit.stored',
        severity: coin ? 'warning' : 'info',
        sessionId,
        cents: unpaidCents,
        message: `${unpaidCents} cents overpaid kept as stored credit for ${this.minutes} min`,
      });
    }
  }

  private expire(): void {
    for (const c of this.ledger.expireCredit(this.now())) {
      this.publish({
        type: 'credit.expired',
        severity: 'info',
        cents: c.leftCents,
        message: `${c.leftCents} cents of stored credit expired unused (stored ${c.storedAt})`,
        data: { creditId: c.id, origin: c.origin, ...(c.sessionId ? { fromSession: c.sessionId } : {}) },
      });
    }
  }

  private publish(event: Omit<PaymentEvent, 'at'>): void {
    const full: PaymentEvent = { ...event, at: this.now().toISOString() };
    this.log.info({ event: full.type, cents: full.cents, sessionId: full.sessionId }, full.message);
    this.emit('event', full);
  }
}
