// The session as data. The journal holds facts (what happened, in order); `evolve` folds
// them into the session's state. The machine decides facts from inputs and journals them
// before acting; recovery at boot folds the same facts, so the booth restarts exactly where
// the journal says it was. Pure code: no I/O, no clock.
import { z } from 'zod';
import { deliveries, type Delivery } from '../config/products.ts';

/** Steps of a session, in order; `idle` means no session. */
export const steps = ['idle', 'capture', 'validating', 'review', 'signature', 'payment', 'issuing', 'printing', 'uploading', 'done', 'refunding'] as const;
export type Step = (typeof steps)[number];

/** Steps after the payment is complete: the session must be served, whatever happens. */
export const paidSteps: readonly Step[] = ['issuing', 'printing', 'uploading', 'done', 'refunding'];

/** Paid steps a delivery can fail in (before the board printed): the money goes back. */
export const deliverySteps: readonly Step[] = ['issuing', 'printing'];

export const outcomes = ['completed', 'cancelled', 'timeout', 'fault', 'rejected', 'interrupted', 'undelivered'] as const;
export type Outcome = (typeof outcomes)[number];

const checkSchema = z.object({
  id: z.string(),
  pass: z.boolean(),
  value: z.unknown().optional(),
  limit: z.unknown().optional(),
  hint: z.string().optional(),
});

export const refundSchema = z.object({
  paidBackCents: z.number().int().min(0),
  claimCents: z.number().int().min(0),
  claimCode: z.string().nullable(),
  releasedCardCents: z.number().int().min(0),
});
export type Refund = z.infer<typeof refundSchema>;

/** Everything the journal records, validated when read back (the file is external input). */
export const factSchema = z.discriminatedUnion('type', [
  // The product sold (catalogue id) and what it delivers, as they were when the session
  // started. Journals written before the catalogue say only 'ephoto' or 'photo' (prints).
  z.object({
    type: z.literal('SESSION_STARTED'),
    product: z.string().min(1).max(32),
    delivers: z.enum(deliveries).optional(),
    sheets: z.number().int().min(1).max(4).optional(),
    item: z.number().int().min(1).max(65535).optional(),
    dueCents: z.number().int().positive(),
    startedAt: z.string(),
  }),
  z.object({ type: z.literal('PHOTO_CAPTURED'), file: z.string() }),
  z.object({ type: z.literal('PHOTO_VALIDATED'), compliant: z.boolean(), checks: z.array(checkSchema) }),
  z.object({ type: z.literal('RETAKE') }),
  z.object({ type: z.literal('PHOTO_ACCEPTED'), compliant: z.boolean() }),
  z.object({ type: z.literal('SIGNATURE_SAVED'), file: z.string() }),
  z.object({ type: z.literal('PAYMENT_OPENED'), appliedCreditCents: z.number().int().min(0) }),
  z.object({ type: z.literal('COIN_CREDITED'), coinId: z.string(), cents: z.number().int().positive() }),
  z.object({ type: z.literal('PAID'), paidCents: z.number().int().min(0) }),
  z.object({ type: z.literal('CODE_ISSUING') }),
  z.object({ type: z.literal('CODE_ISSUED'), code: z.string(), expires: z.string() }),
  z.object({ type: z.literal('PRINT_SUBMITTING') }),
  z.object({ type: z.literal('PRINT_FINISHED'), jobId: z.string(), boardFile: z.string().optional() }),
  z.object({ type: z.literal('RECORD_QUEUED'), recordId: z.string() }),
  // The paid delivery cannot be completed (printer down too long, or the customer asked for
  // the money back): from here the session only pays back, never prints.
  z.object({ type: z.literal('DELIVERY_FAILED'), reason: z.string() }),
  z.object({
    type: z.literal('SESSION_ENDED'),
    outcome: z.enum(outcomes),
    reason: z.string().optional(),
    keptCreditCents: z.number().int().min(0).optional(),
    /** An undelivered session: what was paid back by the hopper, and the refund claim for the rest. */
    refund: refundSchema.optional(),
  }),
]);
export type Fact = z.infer<typeof factSchema>;

export interface SessionState {
  id: string;
  /** The product sold (catalogue id). */
  product: string;
  delivers: Delivery;
  /** 10x15 sheets to print. */
  sheets: number;
  /** The product's item number for a card reader. */
  item: number;
  step: Step;
  startedAt: string;
  dueCents: number;
  /** Stored credit applied + coins credited. */
  paidCents: number;
  appliedCreditCents: number;
  coins: string[];
  retakes: number;
  photoFile?: string;
  validation?: { compliant: boolean; checks: z.infer<typeof checkSchema>[] };
  signatureFile?: string;
  paymentOpened: boolean;
  code?: string;
  expires?: string;
  printJobId?: string;
  boardFile?: string;
  recordId?: string;
  outcome?: Outcome;
  reason?: string;
  keptCreditCents?: number;
  refund?: Refund;
}

export class InvalidFactError extends Error {}

/** The state after `fact`; throws when the fact cannot follow the state (a corrupt journal). */
export function evolve(state: SessionState | undefined, sessionId: string, fact: Fact): SessionState {
  if (fact.type === 'SESSION_STARTED') {
    if (state) throw new InvalidFactError(`session ${sessionId} started twice`);
    return {
      id: sessionId,
      product: fact.product,
      delivers: fact.delivers ?? (fact.product === 'ephoto' ? 'ephoto' : 'prints'),
      sheets: fact.sheets ?? 1,
      item: fact.item ?? (fact.product === 'ephoto' ? 1 : 2),
      step: 'capture',
      startedAt: fact.startedAt,
      dueCents: fact.dueCents,
      paidCents: 0,
      appliedCreditCents: 0,
      coins: [],
      retakes: 0,
      paymentOpened: false,
    };
  }
  if (!state) throw new InvalidFactError(`session ${sessionId}: ${fact.type} before SESSION_STARTED`);
  if (state.outcome) throw new InvalidFactError(`session ${sessionId}: ${fact.type} after SESSION_ENDED`);
  const expect = (...allowed: Step[]) => {
    if (!allowed.includes(state.step)) throw new InvalidFactError(`session ${sessionId}: ${fact.type} in step ${state.step}`);
  };
  switch (fact.type) {
    case 'PHOTO_CAPTURED':
      expect('capture');
      return { ...state, step: 'validating', photoFile: fact.file, validation: undefined };
    case 'PHOTO_VALIDATED':
      expect('validating');
      return { ...state, step: 'review', validation: { compliant: fact.compliant, checks: fact.checks } };
    case 'RETAKE':
      expect('review');
      return { ...state, step: 'capture', retakes: state.retakes + 1 };
    case 'PHOTO_ACCEPTED':
      expect('review');
      return { ...state, step: state.delivers === 'ephoto' ? 'signature' : 'payment' };
    case 'SIGNATURE_SAVED':
      expect('signature');
      return { ...state, step: 'payment', signatureFile: fact.file };
    case 'PAYMENT_OPENED':
      expect('payment');
      return {
        ...state,
        paymentOpened: true,
        appliedCreditCents: fact.appliedCreditCents,
        paidCents: state.paidCents + fact.appliedCreditCents - state.appliedCreditCents,
      };
    case 'COIN_CREDITED':
      if (state.coins.includes(fact.coinId)) return state; // the same coin, journaled again
      return { ...state, coins: [...state.coins, fact.coinId], paidCents: state.paidCents + fact.cents };
    case 'PAID':
      expect('payment');
      return { ...state, step: state.delivers === 'ephoto' ? 'issuing' : 'printing', paidCents: Math.max(state.paidCents, fact.paidCents) };
    case 'CODE_ISSUING':
      expect('issuing');
      return state;
    case 'CODE_ISSUED':
      expect('issuing');
      return { ...state, step: 'printing', code: fact.code, expires: fact.expires };
    case 'PRINT_SUBMITTING':
      expect('printing');
      return state;
    case 'PRINT_FINISHED':
      expect('printing');
      return { ...state, step: 'uploading', printJobId: fact.jobId, ...(fact.boardFile ? { boardFile: fact.boardFile } : {}) };
    case 'RECORD_QUEUED':
      expect('uploading');
      return { ...state, step: 'done', recordId: fact.recordId };
    case 'DELIVERY_FAILED':
      expect(...deliverySteps);
      return { ...state, step: 'refunding', reason: fact.reason };
    case 'SESSION_ENDED':
      if ((fact.outcome === 'undelivered') !== (state.step === 'refunding')) {
        throw new InvalidFactError(`session ${sessionId}: ended ${fact.outcome} in step ${state.step}`);
      }
      if (fact.outcome !== 'completed' && fact.outcome !== 'undelivered' && paidSteps.includes(state.step)) {
        throw new InvalidFactError(`session ${sessionId}: a paid session cannot end ${fact.outcome}`);
      }
      if (fact.outcome === 'completed' && state.step !== 'done') {
        throw new InvalidFactError(`session ${sessionId}: completed in step ${state.step}`);
      }
      return {
        ...state,
        step: 'idle',
        outcome: fact.outcome,
        ...(fact.reason ? { reason: fact.reason } : {}),
        ...(fact.keptCreditCents !== undefined ? { keptCreditCents: fact.keptCreditCents } : {}),
        ...(fact.refund ? { refund: fact.refund } : {}),
      };
  }
}

/** The state of a session from its facts, in journal order. */
export function replay(sessionId: string, facts: readonly Fact[]): SessionState | undefined {
  let state: SessionState | undefined;
  for (const fact of facts) state = evolve(state, sessionId, fact);
  return state;
}
