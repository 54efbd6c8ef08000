// Card payment through the MDB cashless reader, beside the coins of the same session. Rules:
// - the reader is enabled only while coins would be (a payment open, still due, the booth able
//   to deliver) and it is healthy: the desk decides, this module applies;
// - a card presented while something is due gets one VEND REQUEST for what remains, journaled
//   'requested' before it is sent; an approval is journaled (and credited to the session) before
//   anyone is told, exactly like a coin; anything else ends the reader session;
// - the card is charged only by `delivered` (VEND SUCCESS after the board printed); a session
//   that ends unserved, or a delivery that fails, releases the approval (VEND FAILURE);
// - at start, vends a restart interrupted are closed: the driver RESETs the reader, which drops
//   any approval, so an approved vend is voided (never charged) and raises an alarm.
import type { CardReaderDevice } from '../hal/card-reader/index.ts';
import type { Logger } from '../log.ts';
import type { CardVendEnd, Ledger } from './ledger.ts';

/** What is due now, as the desk sees it (undefined: nothing to pay by card now). */
export interface CardDue {
  sessionId: string;
  remainingCents: number;
  item: number;
}

export interface CardEvent {
  type: 'card.approved' | 'card.denied' | 'card.charged' | 'card.released' | 'card.voided';
  severity: 'info' | 'warning' | 'error';
  message: string;
  sessionId?: string;
  cents?: number;
  data?: Record<string, unknown>;
}

export interface CardPaymentsDeps {
  ledger: Ledger;
  reader: CardReaderDevice;
  due: () => CardDue | undefined;
  /** A card approval was journaled: tell the flow (after the commit). */
  credited: (sessionId: string, creditId: string, cents: number) => void;
  publish: (event: CardEvent) => void;
  /** The activity changed (the desk re-decides which coins to take). */
  changed: () => void;
  now: () => Date;
  logger: Logger;
}

/** What the screen shows of the card side of a payment. */
export type CardActivity = 'idle' | 'authorising' | 'approved' | 'denied';

export class CardPayments {
  private current: CardActivity = 'idle';

  private get activity(): CardActivity {
    return this.current;
  }

  private set activity(next: CardActivity) {
    if (next === this.current) return;
    this.current = next;
    this.deps.changed();
  }

  private readonly onCard = () => void this.vend().catch((err: Error) => this.deps.logger.error({ err: err.message }, 'card vend failed'));
  /** Vends one at a time (a reader has one session). */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CardPaymentsDeps) {}

  start(): void {
    for (const v of this.deps.ledger.interruptCardVends(this.deps.now())) {
      if (v.state === 'charged') {
        this.deps.publish({
          type: 'card.charged',
          severity: 'info',
          sessionId: v.sessionId,
          cents: v.creditedCents,
          message: `card charged ${v.creditedCents} cents (VEND SUCCESS was sent before the restart)`,
          data: { vendId: v.id },
        });
        continue;
      }
      if (v.state !== 'voided') continue;
      this.deps.publish({
        type: 'card.voided',
        severity: 'error',
        sessionId: v.sessionId,
        cents: v.creditedCents,
        message: `a card approval of ${v.creditedCents} cents was dropped by the restart (the reader is reset at boot): not charged; the session is served`,
        data: { vendId: v.id },
      });
    }
    this.deps.reader.on('card', this.onCard);
  }

  stop(): void {
    this.deps.reader.off('card', this.onCard);
  }

  state(): { available: boolean; activity: CardActivity } {
    return { available: this.deps.reader.status().health === 'ok' && this.deps.reader.enabled(), activity: this.activity };
  }

  /** The desk's decision: take cards now or not. */
  async setEnabled(enabled: boolean): Promise<void> {
    if (this.deps.reader.enabled() === enabled) return;
    await this.deps.reader.setEnabled(enabled);
  }

  /** The board of `sessionId` printed: VEND SUCCESS for its approved vends (idempotent). */
  async delivered(sessionId: string): Promise<void> {
    await this.finish(sessionId, true, 'delivered');
  }

  /** The session ends unserved or its delivery failed: its approvals are released (idempotent). */
  async release(sessionId: string, reason: string): Promise<number> {
    // A vend still waiting for the bank is not waited for: its approval finds the payment
    // closed and is released then (approveCardVend → late).
    return this.finish(sessionId, false, reason);
  }

  private async finish(sessionId: string, delivered: boolean, reason: string): Promise<number> {
    const { ledger, reader, now } = this.deps;
    let released = 0;
    for (const v of ledger.cardVends(sessionId)) {
      if (v.state !== 'approved') continue;
      let end: CardVendEnd;
      try {
        // Journaled before the bytes go: a reader that got VEND SUCCESS charges whatever happens next.
        if (delivered) ledger.markVendSuccessSending(v.id, now());
        const result = await reader.finishVend(delivered, v.item);
        end = result === 'charged' ? 'charged' : result === 'released' ? 'released' : 'voided';
      } catch (err) {
        // The reader cannot be told now; it is RESET when it comes back, which drops the approval.
        this.deps.logger.warn({ err: (err as Error).message }, 'vend result not sent');
        end = 'voided';
      }
      if (!ledger.endCardVend(v.id, end, delivered ? null : reason, now())) continue;
      if (end !== 'charged') released += v.creditedCents;
      this.activity = 'idle';
      this.deps.publish({
        type: end === 'charged' ? 'card.charged' : end === 'released' ? 'card.released' : 'card.voided',
        severity: end === 'voided' ? 'error' : 'info',
        sessionId,
        cents: v.creditedCents,
        message:
          end === 'charged'
            ? `card charged ${v.creditedCents} cents (delivered)`
            : end === 'released'
              ? `card approval of ${v.creditedCents} cents released (${reason}): not charged`
              : `card approval of ${v.creditedCents} cents lost by the reader: not charged`,
        data: { vendId: v.id },
      });
    }
    return released;
  }

  private async vend(): Promise<void> {
    let done!: () => void;
    const previous = this.inFlight;
    this.inFlight = new Promise<void>((resolve) => (done = resolve));
    try {
      await previous;
      await this.vendOnce();
    } finally {
      done();
    }
  }

  private async vendOnce(): Promise<void> {
    const { ledger, reader, now } = this.deps;
    const due = this.deps.due();
    if (!due || due.remainingCents <= 0) {
      await reader.endSession();
      return;
    }
    const identity = reader.identity();
    const vendId = ledger.requestCardVend(due.sessionId, due.remainingCents, due.item, identity ? `${identity.manufacturer}-${identity.serial}` : reader.driver, now());
    this.activity = 'authorising';
    const outcome = await reader.requestVend(due.remainingCents, due.item);
    if (outcome.result !== 'approved') {
      ledger.endCardVend(vendId, outcome.result === 'denied' ? 'denied' : 'failed', outcome.reason, now());
      this.activity = 'denied';
      this.deps.publish({ type: 'card.denied', severity: 'info', sessionId: due.sessionId, cents: due.remainingCents, message: `card not accepted: ${outcome.reason}`, data: { vendId, result: outcome.result } });
      await reader.endSession().catch(() => undefined);
      return;
    }
    if (outcome.cents > due.remainingCents) {
      // The reader would charge more than was asked: refuse the approval.
      ledger.endCardVend(vendId, 'released', `approved ${outcome.cents} cents, more than the ${due.remainingCents} asked`, now());
      await reader.finishVend(false, due.item).catch(() => undefined);
      this.activity = 'denied';
      return;
    }
    const approval = ledger.approveCardVend(vendId, outcome.cents, now());
    if (approval.late) {
      // The payment closed while the bank answered (the ledger released it): VEND FAILURE now.
      const result = await reader.finishVend(false, due.item).catch(() => 'voided' as const);
      this.deps.logger.info({ vendId, result }, 'late card approval released');
      this.activity = 'idle';
      return;
    }
    this.activity = 'approved';
    this.deps.publish({ type: 'card.approved', severity: 'info', sessionId: due.sessionId, cents: approval.creditedCents, message: `card approved for ${approval.creditedCents} cents (charged after delivery)`, data: { vendId } });
    this.deps.credited(due.sessionId, `card-${vendId}`, approval.creditedCents);
  }
}
