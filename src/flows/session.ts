// The customer session machine. A typed machine of our own rather than XState: the session
// is event-sourced (the journal of facts IS the state, `model.ts` folds it), every fact must
// be durably written before its effect starts, a failed write (disk full) must itself become
// a transition to a safe state instead of an actor crash, and recovery at boot is the same
// fold over the same facts. XState's persisted snapshots restart invoked actors but do not
// give "journal, then act" per transition.
//
// The steps themselves (timeouts, effects, busy, cancel, the device a failure points at, what a
// restart does) are one table of data in `steps.ts`; this file keeps the queue, commit and recovery.
// Before PAID: CANCEL, a timeout (walk-away), a fault that stops delivery or a failed write end
// the session (credit paid so far is kept for the next customer). After PAID nothing ends it:
// faults block it and it is retried until served.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { Journal } from './journal.ts';
import { productsOf, type Product } from '../config/products.ts';
import { deliverySteps, evolve, paidSteps, replay, type Fact, type Outcome, type SessionState, type Step } from './model.ts';
import { sessionSteps, type EffectName } from './steps.ts';
import { systemClock, type Clock, type CoinCredit, type PhotoCheck, type PhotoValidation, type SessionEvent, type SessionPorts } from './ports.ts';

export type SessionInput =
  /** `product`: a catalogue id (default: the catalogue's first product). */
  | { type: 'START'; product?: string }
  | { type: 'ACCEPT' }
  | { type: 'RETAKE' }
  | { type: 'CANCEL' }
  | { type: 'STILL_HERE' }
  | { type: 'SIGNATURE_CLEAR' }
  | { type: 'SIGNATURE_DONE' }
  | { type: 'FINISH' }
  /** The customer of a paid session blocked by a fault asks for the money back. */
  | { type: 'REFUND' }
  | { type: 'FAULT'; device: string; message: string }
  | { type: 'RECOVERED'; device: string };

type Internal =
  | { type: 'COIN'; credit: CoinCredit }
  | { type: 'TIMEOUT'; epoch: number }
  | { type: 'WARN'; epoch: number }
  | { type: 'RETRY'; epoch: number }
  | { type: 'EFFECT_DONE'; epoch: number; facts: Fact[] }
  | { type: 'EFFECT_FAILED'; epoch: number; error: unknown }
  | { type: 'SIGNATURE_EMPTY'; epoch: number }
  | { type: 'GIVE_UP'; sessionId: string };

export interface SessionConfig {
  /** The catalogue, prices resolved (config/products.ts). */
  products: Product[];
  maxRetakes: number;
  timeoutsMs: { capture: number; review: number; signature: number; payment: number; done: number };
  warnBeforeMs: number;
  retryMs: number;
  /** A paid session blocked this long before printing is given up (money back). */
  deliveryGiveUpMs?: number;
}

export function sessionConfigFrom(config: Config): SessionConfig {
  const s = config.session;
  return {
    products: productsOf(config).map(({ id, delivers, sheets, priceCents, item }) => ({ id, delivers, sheets, priceCents, item })),
    maxRetakes: s.maxRetakes,
    timeoutsMs: {
      capture: s.captureTimeoutSeconds * 1000,
      review: s.reviewTimeoutSeconds * 1000,
      signature: s.signatureTimeoutSeconds * 1000,
      payment: s.paymentTimeoutSeconds * 1000,
      done: s.doneSeconds * 1000,
    },
    warnBeforeMs: s.warnBeforeTimeoutSeconds * 1000,
    retryMs: s.retrySeconds * 1000,
    deliveryGiveUpMs: s.deliveryGiveUpSeconds * 1000,
  };
}

/** What the customer screen and the console display. */
export interface SessionSnapshot {
  step: Step;
  sessionId: string | null;
  /** The product sold (catalogue id) and what it delivers. */
  product: string | null;
  delivers: Product['delivers'] | null;
  /** An effect of this step is running (capturing, validating, printing...). */
  busy: boolean;
  /** The one thing the customer should do now (the first failing check's hint, ...). */
  hint: string | null;
  checks: PhotoCheck[] | null;
  compliant: boolean | null;
  /** Review: whether ACCEPT is possible (a compliant photo, or a non-official product). */
  canAccept: boolean;
  retakesLeft: number;
  photoFile: string | null;
  signatureFile: string | null;
  dueCents: number;
  paidCents: number;
  appliedCreditCents: number;
  remainingCents: number;
  code: string | null;
  expires: string | null;
  /** A paid session waiting for a device (it resumes by itself). */
  blocked: { device: string; message: string } | null;
  /** Blocked before its board printed: the customer may ask for the money back (REFUND). */
  canRefund: boolean;
  /** Seconds left before the step times out, once the warning is due. */
  timeoutWarningSeconds: number | null;
  /** How the last session ended (shown on the idle/fault screen). */
  lastSession: {
    sessionId: string;
    outcome: Outcome;
    reason: string | null;
    /** The device whose fault ended it (fault screen), if any. */
    device?: string;
    keptCreditCents: number;
    refundedCents: number;
    /** An undelivered session: paid back and the refund claim (code shown and spoken). */
    refund?: import('./model.ts').Refund;
  } | null;
  /** Why START was refused (the booth cannot deliver now). */
  unavailable: string | null;
  /** Recovery of sessions interrupted by a power cut is running. */
  recovering: boolean;
}

export interface RecoveryReport {
  /** Sessions finished (printed, coded, queued) after the restart. */
  served: string[];
  /** Unpaid sessions ended; their credit kept. */
  ended: { sessionId: string; keptCreditCents: number }[];
  /** Sessions whose journal is damaged: left open for a technician. */
  damaged: { sessionId: string; error: string }[];
}

export interface SessionMachineDeps {
  ports: SessionPorts;
  journal: Journal;
  /** Fixed, or read when each session starts (live settings: the price charged is the one in force then). */
  config: SessionConfig | (() => SessionConfig);
  clock?: Clock;
  logger?: Logger;
  newSessionId?: () => string;
}

/** Which device an error of a step points at; a full disk wins whatever the step. */
export function faultDevice(step: Step, error: unknown): string {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'ENOSPC' || code === 'SQLITE_FULL' || code === 'EDQUOT') return 'disk';
  return sessionSteps[step].device ?? 'booth';
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class SessionMachine {
  private readonly ports: SessionPorts;
  private readonly journal: Journal;
  private config: SessionConfig;
  private readonly readConfig: () => SessionConfig;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly newSessionId: () => string;

  private state: SessionState | undefined;
  private epoch = 0;
  private abort: AbortController | undefined;
  private timers: unknown[] = [];
  private busy = false;
  private hint: string | null = null;
  private blocked: { device: string; message: string } | null = null;
  /** The give-up timer of a paid session blocked before printing (kept across retries). */
  private giveUp: { sessionId: string; handle: unknown } | undefined;
  private warning: number | null = null;
  private lastSession: SessionSnapshot['lastSession'] = null;
  private unavailable: string | null = null;
  private recovering = false;
  private stopped = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly running = new Set<Promise<unknown>>();
  private readonly listeners = new Set<(s: SessionSnapshot) => void>();
  private lastEmitted = '';
  private readonly unsubscribeCoins: () => void;

  constructor(deps: SessionMachineDeps) {
    this.ports = deps.ports;
    this.journal = deps.journal;
    const source = deps.config;
    this.readConfig = typeof source === 'function' ? source : () => source;
    this.config = this.readConfig();
    this.clock = deps.clock ?? systemClock;
    this.log = (deps.logger ?? silentLogger()).child({ module: 'session' });
    this.newSessionId = deps.newSessionId ?? (() => randomUUID());
    this.unsubscribeCoins = this.ports.payment.onCredit((credit) => this.enqueue({ type: 'COIN', credit }));
  }

  // ---- public surface ------------------------------------------------------------------

  /** Sends a customer, device or screen input; handled in order, one at a time. */
  send(input: SessionInput): void {
    this.enqueue(input);
  }

  snapshot(): SessionSnapshot {
    const s = this.state;
    const validation = s?.validation;
    const failing = validation?.checks.find((c) => !c.pass);
    return {
      step: s?.step ?? 'idle',
      sessionId: s?.id ?? null,
      product: s?.product ?? null,
      delivers: s?.delivers ?? null,
      busy: this.busy,
      hint: this.hint ?? (s?.step === 'review' && failing ? (failing.hint ?? failing.id) : null),
      checks: validation?.checks ?? null,
      compliant: validation?.compliant ?? null,
      canAccept: s?.step === 'review' && validation !== undefined && (validation.compliant || s.delivers !== 'ephoto'),
      retakesLeft: s ? Math.max(0, this.config.maxRetakes - s.retakes) : this.config.maxRetakes,
      photoFile: s?.photoFile ?? null,
      signatureFile: s?.signatureFile ?? null,
      dueCents: s?.dueCents ?? 0,
      paidCents: s?.paidCents ?? 0,
      appliedCreditCents: s?.appliedCreditCents ?? 0,
      remainingCents: s ? Math.max(0, s.dueCents - s.paidCents) : 0,
      code: s?.code ?? null,
      expires: s?.expires ?? null,
      blocked: this.blocked,
      canRefund: s !== undefined && this.blocked !== null && deliverySteps.includes(s.step),
      timeoutWarningSeconds: this.warning,
      lastSession: s ? null : this.lastSession,
      unavailable: s ? null : this.unavailable,
      recovering: this.recovering,
    };
  }

  subscribe(listener: (s: SessionSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every queued input is handled and no effect is running. */
  async settle(): Promise<void> {
    for (;;) {
      const queue = this.queue;
      await queue;
      await Promise.allSettled([...this.running]);
      if (queue === this.queue && this.running.size === 0) return;
    }
  }

  /**
   * Reads the journal at boot and finishes what was paid for: unpaid sessions end (their
   * credit kept), paid ones are issued, printed and queued exactly once. Call before the
   * first START; START is refused while it runs.
   */
  async recover(): Promise<RecoveryReport> {
    const report: RecoveryReport = { served: [], ended: [], damaged: [] };
    this.recovering = true;
    this.emit();
    try {
      const open = this.journal.openSessions();
      for (const [index, sessionId] of open.entries()) {
        let state: SessionState | undefined;
        try {
          state = replay(
            sessionId,
            this.journal.entries(sessionId).map((e) => e.fact),
          );
        } catch (err) {
          report.damaged.push({ sessionId, error: messageOf(err) });
          this.publish('session.recovered', 'error', `journal of session ${sessionId} is damaged, left for a technician: ${messageOf(err)}`, sessionId);
          continue;
        }
        if (!state) continue;
        const last = index === open.length - 1;
        await this.run(async () => {
          await this.recoverOne(state, last, report);
        });
        if (this.state?.id === sessionId) {
          // A paid session being served: wait until it is (it may be blocked by a fault).
          await this.until((snap) => snap.step === 'done' || snap.step === 'idle');
          if (!last) await this.run(async () => this.end('completed', 'recovered after a restart'));
        }
      }
    } finally {
      this.recovering = false;
      this.emit();
    }
    return report;
  }

  /** Stops timers and effects (the journal keeps everything; `recover` resumes). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeCoins();
    this.leaveStep();
    await Promise.allSettled([...this.running]);
  }

  // ---- the queue -----------------------------------------------------------------------

  private enqueue(input: SessionInput | Internal): void {
    void this.run(() => this.handle(input));
  }

  private run(fn: () => Promise<void> | void): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.stopped) return;
      try {
        await fn();
      } catch (err) {
        this.log.error({ err }, 'session input failed');
      }
      this.emit();
    });
    this.queue = next;
    return next;
  }

  private until(predicate: (s: SessionSnapshot) => boolean): Promise<void> {
    if (predicate(this.snapshot()) || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.subscribe((s) => {
        if (predicate(s) || this.stopped) {
          off();
          resolve();
        }
      });
    });
  }

  private emit(): void {
    const snap = this.snapshot();
    const json = JSON.stringify(snap);
    if (json === this.lastEmitted) return;
    this.lastEmitted = json;
    for (const listener of this.listeners) listener(snap);
  }

  // ---- inputs --------------------------------------------------------------------------

  private async handle(input: SessionInput | Internal): Promise<void> {
    const s = this.state;
    switch (input.type) {
      case 'START': {
        if (s || this.recovering) return;
        const health = this.ports.health.canDeliver();
        if (!health.ok) {
          this.unavailable = health.reason;
          return;
        }
        this.unavailable = null;
        this.lastSession = null;
        this.config = this.readConfig();
        const product = input.product === undefined ? this.config.products[0] : this.config.products.find((p) => p.id === input.product);
        if (!product) {
          this.log.warn({ product: input.product }, 'START refused: no such product in the catalogue');
          return;
        }
        const id = this.newSessionId();
        await this.commit(id, [
          { type: 'SESSION_STARTED', product: product.id, delivers: product.delivers, sheets: product.sheets, item: product.item, dueCents: product.priceCents, startedAt: new Date(this.clock.now()).toISOString() },
        ]);
        this.publish('session.started', 'info', `session started (${product.id})`, id, undefined, { product: product.id });
        return;
      }
      case 'ACCEPT':
        if (s?.step === 'review' && !this.busy && s.validation && (s.validation.compliant || s.delivers !== 'ephoto')) {
          await this.commit(s.id, [{ type: 'PHOTO_ACCEPTED', compliant: s.validation.compliant }]);
        }
        return;
      case 'RETAKE':
        if (s?.step === 'review' && s.retakes < this.config.maxRetakes && (await this.commit(s.id, [{ type: 'RETAKE' }]))) {
          const failing = (s.validation?.checks ?? []).filter((c) => !c.pass).map((c) => c.id);
          this.publish('session.retake', 'info', `retake${failing.length ? ` (${failing.join(', ')})` : ''}`, s.id, undefined, { checks: failing });
        }
        return;
      case 'CANCEL':
        if (s && sessionSteps[s.step].cancellable) await this.end('cancelled', 'cancelled by the customer');
        return;
      case 'STILL_HERE':
        if (s && this.timers.length > 0) this.armTimeout(s.step);
        return;
      case 'SIGNATURE_CLEAR':
        if (s?.step === 'signature' && !this.busy) {
          this.hint = null;
          await this.ports.signature.begin();
        }
        return;
      case 'SIGNATURE_DONE':
        if (s?.step === 'signature' && !this.busy) this.collectSignature(s);
        return;
      case 'REFUND':
        if (s && this.blocked && deliverySteps.includes(s.step)) await this.failDelivery(s, `the customer asked for the money back (${this.blocked.device}: ${this.blocked.message})`);
        return;
      case 'GIVE_UP':
        if (s && s.id === input.sessionId && this.blocked && deliverySteps.includes(s.step)) {
          await this.failDelivery(s, `not delivered after ${Math.round((this.config.deliveryGiveUpMs ?? 0) / 1000)} s (${this.blocked.device}: ${this.blocked.message})`);
        }
        return;
      case 'FINISH':
        if (s?.step === 'done') await this.end('completed');
        return;
      case 'FAULT':
        return this.onDeviceFault(input.device, input.message);
      case 'RECOVERED':
        if (s && this.blocked) this.enterStep(s.step);
        return;
      case 'COIN':
        return this.onCoin(input.credit);
      case 'TIMEOUT':
        if (!s || input.epoch !== this.epoch) return;
        if (s.step === 'done') return this.end('completed');
        return this.end('timeout', `no action in step ${s.step}`);
      case 'WARN':
        if (input.epoch === this.epoch) this.warning = Math.round(this.config.warnBeforeMs / 1000);
        return;
      case 'RETRY':
        if (s && input.epoch === this.epoch && this.blocked) this.enterStep(s.step);
        return;
      case 'SIGNATURE_EMPTY':
        if (input.epoch === this.epoch) {
          this.busy = false;
          this.hint = 'signature.empty';
        }
        return;
      case 'EFFECT_DONE':
        if (!s || input.epoch !== this.epoch) return;
        this.busy = false;
        this.blocked = null;
        await this.commit(s.id, input.facts);
        return;
      case 'EFFECT_FAILED':
        if (!s || input.epoch !== this.epoch) return;
        this.busy = false;
        return this.onEffectFailed(s, input.error);
    }
  }

  private async onCoin(credit: CoinCredit): Promise<void> {
    const s = this.state;
    if (!s || s.id !== credit.sessionId || s.coins.includes(credit.coinId)) return;
    if (s.step !== 'payment') {
      // Surplus after PAID: the ledger keeps it as stored credit (settle spends only the price).
      this.log.info({ credit }, 'coin after the session was paid: stays as stored credit');
      return;
    }
    await this.commit(s.id, [{ type: 'COIN_CREDITED', coinId: credit.coinId, cents: credit.cents }]);
  }

  private async onDeviceFault(device: string, message: string): Promise<void> {
    const s = this.state;
    this.publish('session.fault', 'warning', `${device}: ${message}`, s?.id, device);
    if (!s) return;
    if (paidSteps.includes(s.step)) return; // the running effect fails and is retried
    if (this.ports.health.canDeliver().ok) return; // a device the session does not need now
    await this.end('fault', `${device}: ${message}`, device);
  }

  private async onEffectFailed(s: SessionState, error: unknown): Promise<void> {
    const device = faultDevice(s.step, error);
    const message = messageOf(error);
    this.log.warn({ err: error, step: s.step, device }, 'session step failed');
    if (paidSteps.includes(s.step)) {
      this.block(s, device, message);
      return;
    }
    this.publish('session.fault', 'error', `${s.step}: ${device}: ${message}`, s.id, device);
    await this.end('fault', `${device}: ${message}`, device);
  }

  private block(s: SessionState, device: string, message: string): void {
    this.blocked = { device, message };
    const giveUpMs = this.config.deliveryGiveUpMs;
    if (giveUpMs !== undefined && deliverySteps.includes(s.step) && this.giveUp?.sessionId !== s.id) {
      this.cancelGiveUp();
      const sessionId = s.id;
      this.giveUp = { sessionId, handle: this.clock.setTimeout(() => this.enqueue({ type: 'GIVE_UP', sessionId }), giveUpMs) };
    }
    this.publish('session.blocked', 'error', `paid session waiting in ${s.step}: ${device}: ${message}`, s.id, device);
    const epoch = this.epoch;
    this.timers.push(this.clock.setTimeout(() => this.enqueue({ type: 'RETRY', epoch }), this.config.retryMs));
  }

  private cancelGiveUp(): void {
    if (this.giveUp) this.clock.clearTimeout(this.giveUp.handle);
    this.giveUp = undefined;
  }

  /** The paid delivery cannot be completed: journaled, then the money goes back (refunding). */
  private async failDelivery(s: SessionState, reason: string): Promise<void> {
    this.cancelGiveUp();
    this.leaveStep();
    this.blocked = null;
    this.publish('session.fault', 'error', `delivery failed, paying back: ${reason}`, s.id);
    await this.commit(s.id, [{ type: 'DELIVERY_FAILED', reason }]);
  }

  // ---- facts and steps -----------------------------------------------------------------

  /** Journals facts, then applies them; on a failed write, moves to a safe state instead. */
  private async commit(sessionId: string, facts: Fact[]): Promise<boolean> {
    const before = this.state?.step ?? 'idle';
    // Each fact is journaled before the state it leads to takes effect.
    const record = async (fact: Fact): Promise<boolean> => {
      const next = evolve(this.state, sessionId, fact);
      try {
        this.journal.append(sessionId, fact, new Date(this.clock.now()));
      } catch (err) {
        await this.onJournalFailure(err);
        return false;
      }
      this.state = next;
      return true;
    };
    for (const fact of facts) if (!(await record(fact))) return false;
    const paid = this.state;
    if (paid?.step === 'payment' && paid.paymentOpened && paid.paidCents >= paid.dueCents) {
      // Fully paid (coins, stored credit, or both): the session is now owed its service.
      if (!(await record({ type: 'PAID', paidCents: paid.paidCents }))) return false;
    }
    const s = this.state;
    if (s?.outcome) {
      this.finishSession(s);
    } else if (s && s.step !== before) {
      if (!deliverySteps.includes(s.step)) this.cancelGiveUp();
      this.enterStep(s.step);
    } else if (s?.step === 'payment' && facts.some((f) => f.type === 'COIN_CREDITED')) {
      this.armTimeout('payment'); // each coin gives the customer time for the next
    }
    return true;
  }

  /** The journal cannot be written (disk full, I/O error): never go on without it. */
  private async onJournalFailure(error: unknown): Promise<void> {
    const s = this.state;
    const device = faultDevice(s?.step ?? 'idle', error);
    const message = messageOf(error);
    this.log.error({ err: error }, 'journal write failed');
    this.publish('session.fault', 'error', `journal write failed: ${message}`, s?.id, device);
    if (!s) {
      this.unavailable = `${device}: ${message}`;
      return;
    }
    if (paidSteps.includes(s.step)) {
      this.leaveStep();
      this.block(s, device, message);
      return;
    }
    // Unpaid: end in memory only. The journal still shows the session unpaid, so recovery
    // at boot reaches the same end (and keeps the same credit, idempotently).
    this.leaveStep();
    const { kept, refunded } = await this.releaseCredit(s);
    this.state = undefined;
    this.lastSession = { sessionId: s.id, outcome: 'fault', reason: `${device}: ${message}`, device, keptCreditCents: kept, refundedCents: refunded };
    this.publish('session.ended', 'error', `session ended without journal: ${message}`, s.id, device);
  }

  /** Ends an unpaid session (or a done one): credit kept, then SESSION_ENDED journaled. */
  private async end(outcome: Outcome, reason?: string, device?: string): Promise<void> {
    const s = this.state;
    if (!s) return;
    if (paidSteps.includes(s.step) && outcome !== 'completed') return;
    this.leaveStep();
    const { kept, refunded } = s.step === 'done' ? { kept: 0, refunded: 0 } : await this.releaseCredit(s);
    const journaled = await this.commit(s.id, [
      { type: 'SESSION_ENDED', outcome, ...(reason ? { reason } : {}), ...(kept > 0 ? { keptCreditCents: kept } : {}) },
    ]);
    if (journaled && this.lastSession) {
      this.lastSession.refundedCents = refunded;
      if (device) this.lastSession.device = device;
    }
  }

  /** Inhibits the acceptor and keeps the session's credit for the next customer. */
  private async releaseCredit(s: SessionState): Promise<{ kept: number; refunded: number }> {
    const payment = this.ports.payment;
    try {
      await payment.inhibit();
    } catch (err) {
      this.log.error({ err }, 'could not inhibit the acceptor');
    }
    if (!s.paymentOpened && s.step !== 'payment') return { kept: 0, refunded: 0 };
    let kept = s.paidCents;
    try {
      kept = Math.max(kept, await payment.sessionCreditCents(s.id));
      const { refundedCents } = await payment.keepAsCredit(s.id);
      return { kept: kept - refundedCents, refunded: refundedCents };
    } catch (err) {
      this.log.error({ err }, 'could not release the credit (recovery will retry)');
      return { kept, refunded: 0 };
    }
  }

  private finishSession(s: SessionState): void {
    this.leaveStep();
    this.cancelGiveUp();
    this.state = undefined;
    this.hint = null;
    this.blocked = null;
    this.lastSession = {
      sessionId: s.id,
      outcome: s.outcome ?? 'interrupted',
      reason: s.reason ?? null,
      keptCreditCents: s.keptCreditCents ?? 0,
      refundedCents: s.refund?.paidBackCents ?? 0,
      ...(s.refund ? { refund: s.refund } : {}),
    };
    this.publish('session.ended', s.outcome === 'completed' ? 'info' : 'warning', `session ${s.outcome}${s.reason ? `: ${s.reason}` : ''}`, s.id, undefined, {
      outcome: s.outcome,
      product: s.product,
      paidCents: s.paidCents,
      keptCreditCents: s.keptCreditCents ?? 0,
      // Never the code itself (docs/privacy.md): events reach logs and the fleet; the session id names the record.
      codeIssued: s.code !== undefined && s.code !== null,
    });
  }

  private leaveStep(): void {
    this.epoch++;
    this.abort?.abort(new Error('step left'));
    this.abort = undefined;
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers = [];
    this.busy = false;
    this.warning = null;
  }

  private armTimeout(step: Step): void {
    for (const timer of this.timers) this.clock.clearTimeout(timer);
    this.timers = [];
    this.warning = null;
    const spec = sessionSteps[step].timeout;
    if (!spec) return;
    const timeout = this.config.timeoutsMs[spec.name];
    const epoch = this.epoch;
    this.timers.push(this.clock.setTimeout(() => this.enqueue({ type: 'TIMEOUT', epoch }), timeout));
    if (spec.warn && this.config.warnBeforeMs < timeout) {
      this.timers.push(this.clock.setTimeout(() => this.enqueue({ type: 'WARN', epoch }), timeout - this.config.warnBeforeMs));
    }
  }

  /** Starts the step's timers and effect; the effect reports back through the queue. */
  private enterStep(step: Step): void {
    this.leaveStep();
    this.hint = null;
    this.blocked = null;
    const s = this.state;
    if (!s) return;
    this.armTimeout(step);
    const epoch = this.epoch;
    const abort = new AbortController();
    this.abort = abort;
    const spec = sessionSteps[step];
    const effect = spec.effect ? this.effects[spec.effect] : undefined;
    this.busy = spec.busy;
    if (!effect) return;
    const promise = effect(s, abort.signal).then(
      (facts) => {
        if (facts === 'wait') {
          if (this.epoch === epoch) this.busy = false;
          return;
        }
        this.enqueue({ type: 'EFFECT_DONE', epoch, facts });
      },
      (error: unknown) => this.enqueue({ type: 'EFFECT_FAILED', epoch, error }),
    );
    this.track(promise);
  }
  /** The effects the step table names (steps.ts), each run on entering its step. */
  private readonly effects: Record<EffectName, (s: SessionState, signal: AbortSignal) => Promise<Fact[] | 'wait'>> = {
    capture: async (s, signal) => {
      const jpeg = await this.ports.camera.capture(signal);
      return [{ type: 'PHOTO_CAPTURED', file: await this.ports.media.save(s.id, 'photo.jpg', jpeg) }];
    },
    validate: async (s, signal) => {
      if (!s.photoFile) throw new Error('no photo to validate');
      const result: PhotoValidation = await this.ports.validator.validate(await this.ports.media.read(s.photoFile), signal);
      const facts: Fact[] = [{ type: 'PHOTO_VALIDATED', compliant: result.compliant, checks: result.checks }];
      if (!result.compliant && s.delivers === 'ephoto' && s.retakes >= this.config.maxRetakes) {
        facts.push({ type: 'SESSION_ENDED', outcome: 'rejected', reason: `photo not compliant after ${s.retakes} retakes` });
      }
      return facts;
    },
    beginSignature: async (_s, signal) => {
      // leaving the step stops the panel's recording
      signal.addEventListener('abort', () => void this.ports.signature.end().catch(() => undefined), { once: true });
      await this.ports.signature.begin();
      return 'wait';
    },
    openPayment: async (s) => {
      const health = this.ports.health.canDeliver();
      if (!health.ok) throw Object.assign(new Error(`cannot deliver: ${health.reason}`), { code: 'CANNOT_DELIVER' });
      const { appliedCreditCents } = await this.ports.payment.open(s.id, s.dueCents, { product: s.product, item: s.item });
      return [{ type: 'PAYMENT_OPENED', appliedCreditCents }]; // PAID follows in commit if enough
    },
    issueCode: async (s, signal) => {
      await this.settleMoney(s);
      await this.intend(s.id, { type: 'CODE_ISSUING' }, signal);
      const { code, expires } = this.ports.codes.issueForSession(s.id);
      return [{ type: 'CODE_ISSUED', code, expires }];
    },
    print: async (s, signal) => {
      if (s.delivers !== 'ephoto') await this.settleMoney(s);
      if (!s.photoFile) throw new Error('no photo to print');
      await this.intend(s.id, { type: 'PRINT_SUBMITTING' }, signal);
      const job = await this.ports.printer.ensurePrinted(
        {
          sessionId: s.id,
          product: s.product,
          delivers: s.delivers,
          sheets: s.sheets,
          photoFile: s.photoFile,
          ...(s.signatureFile ? { signatureFile: s.signatureFile } : {}),
          ...(s.code ? { code: s.code } : {}),
          ...(s.expires ? { expires: s.expires } : {}),
        },
        signal,
      );
      return [{ type: 'PRINT_FINISHED', jobId: job.jobId, ...(job.boardFile ? { boardFile: job.boardFile } : {}) }];
    },
    queueRecord: async (s) => {
      if (!s.photoFile) throw new Error('no photo to upload');
      await this.ports.payment.delivered?.(s.id); // printed: a card is charged only now
      const recordId = `session-${s.id}`;
      await this.ports.outbox.enqueue({
        id: recordId,
        type: 'session',
        sessionId: s.id,
        product: s.product,
        delivers: s.delivers,
        ...(s.code ? { code: s.code } : {}),
        ...(s.expires ? { expires: s.expires } : {}),
        photoFile: s.photoFile,
        ...(s.signatureFile ? { signatureFile: s.signatureFile } : {}),
        ...(s.boardFile ? { boardFile: s.boardFile } : {}),
        paidCents: s.paidCents,
        startedAt: s.startedAt,
        completedAt: new Date(this.clock.now()).toISOString(),
      });
      return [{ type: 'RECORD_QUEUED', recordId }];
    },
    refund: async (s) => {
      if (!this.ports.payment.refund) throw new Error('this booth cannot pay back: no refund port');
      const refund = await this.ports.payment.refund(s.id, s.reason ?? 'delivery failed');
      return [{ type: 'SESSION_ENDED', outcome: 'undelivered', ...(s.reason ? { reason: s.reason } : {}), refund }];
    },
  };

  /**
   * An intent fact (CODE_ISSUING, PRINT_SUBMITTING), journaled before the effect it announces
   * so a restart knows the effect may have run. It goes through the queue and `commit` like
   * every other fact: one writer of the journal, and never written for a step already left.
   * Throws (the effect fails, and is retried) when it was not journaled.
   */
  private async intend(sessionId: string, fact: Fact, signal: AbortSignal): Promise<void> {
    let journaled = false;
    await this.run(async () => {
      if (signal.aborted || this.state?.id !== sessionId) return;
      journaled = await this.commit(sessionId, [fact]);
    });
    if (!journaled) throw signal.aborted ? signal.reason : new Error(`${fact.type} not journaled`);
  }

  /** At the first paid step: acceptor off, the price spent from the credit (idempotent). */
  private async settleMoney(s: SessionState): Promise<void> {
    await this.ports.payment.inhibit();
    await this.ports.payment.settle(s.id, s.dueCents);
  }

  private collectSignature(s: SessionState): void {
    this.busy = true;
    this.hint = null;
    const epoch = this.epoch;
    const promise = (async () => {
      const png = await this.ports.signature.finish();
      if (!png) return this.enqueue({ type: 'SIGNATURE_EMPTY', epoch });
      const file = await this.ports.media.save(s.id, 'signature.png', png);
      this.enqueue({ type: 'EFFECT_DONE', epoch, facts: [{ type: 'SIGNATURE_SAVED', file }] });
    })().catch((error: unknown) => this.enqueue({ type: 'EFFECT_FAILED', epoch, error }));
    this.track(promise);
  }

  private track(promise: Promise<unknown>): void {
    this.running.add(promise);
    void promise.finally(() => this.running.delete(promise));
  }

  private async recoverOne(state: SessionState, last: boolean, report: RecoveryReport): Promise<void> {
    const id = state.id;
    this.publish('session.resumed', 'warning', `session ${id} interrupted in step ${state.step}`, id);
    const atRestart = sessionSteps[state.step].atRestart;
    if (atRestart === 'end') {
      this.state = state;
      await this.end('interrupted', `interrupted in step ${state.step} (restart)`);
      report.ended.push({ sessionId: id, keptCreditCents: 0 });
      return;
    }
    if (atRestart === 'paid-if-credited') {
      // The ledger is the truth about money: coins credited after the last journal entry count.
      const credited = Math.max(state.paidCents, await this.ports.payment.sessionCreditCents(id));
      this.state = state;
      if (credited >= state.dueCents) {
        await this.commit(id, [{ type: 'PAID', paidCents: credited }]);
        report.served.push(id);
        return;
      }
      await this.end('interrupted', 'interrupted during payment (restart)');
      report.ended.push({ sessionId: id, keptCreditCents: this.lastSession?.keptCreditCents ?? 0 });
      return;
    }
    // Paid: serve it. Done already: only the ending is missing.
    this.state = state;
    report.served.push(id);
    if (state.step === 'done' && !last) return;
    this.enterStep(state.step);
  }

  private publish(type: SessionEvent['type'], severity: SessionEvent['severity'], message: string, sessionId?: string, device?: string, data?: Record<string, unknown>): void {
    try {
      this.ports.events.publish({
        type,
        severity,
        message,
        at: new Date(this.clock.now()).toISOString(),
        ...(sessionId ? { sessionId } : {}),
        ...(device ? { device } : {}),
        ...(data ? { data } : {}),
      });
    } catch (err) {
      this.log.warn({ err }, 'could not publish a session event');
    }
  }
}

/** Builds the machine; call `recover()` once at boot, then `send()` inputs. */
export function createSessionMachine(deps: SessionMachineDeps): SessionMachine {
  return new SessionMachine(deps);
}
