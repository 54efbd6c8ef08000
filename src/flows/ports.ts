// What the session machine needs from the rest of the booth, as narrow ports. The
// composition root adapts the real modules (camera, vision, touch panel, payment ledger,
// print queue, code registry, fleet outbox) to these; tests use in-memory doubles.
//
// Idempotency is part of the contract wherever an effect can be repeated after a power cut:
// the machine journals its intent, calls the port, then journals the result, so at boot it
// calls again every effect whose result is not in the journal.
import type { BoardOrder } from '../print/queue.ts';

/** One ANTS check of a photo, as in the validation report (DESIGN.md). */
export interface PhotoCheck {
  id: string;
  pass: boolean;
  value?: unknown;
  limit?: unknown;
  /** What the customer should do to pass it (message key or text). */
  hint?: string;
}

export interface PhotoValidation {
  compliant: boolean;
  checks: PhotoCheck[];
}

export interface CameraPort {
  /**
   * Lights up, runs the preview and guidance, fires the shutter and returns the photo (JPEG).
   * Rejects on a camera fault; must stop and reject when `signal` aborts (customer gone).
   */
  capture(signal: AbortSignal): Promise<Buffer>;
}

export interface ValidatorPort {
  validate(jpeg: Buffer, signal: AbortSignal): Promise<PhotoValidation>;
}

export interface SignaturePort {
  /** Clears the panel and starts recording strokes (entering the signature step, and redo). */
  begin(): Promise<void>;
  /** The signature drawn so far, as PNG; null when nothing (or too little) was drawn. */
  finish(): Promise<Buffer | null>;
  /** Stops recording (leaving the step). */
  end(): Promise<void>;
}

export interface CoinCredit {
  /** The session the payment module credited the coin to. */
  sessionId: string;
  /** Unique id of the coin in the payment ledger (a repeated id is the same coin). */
  coinId: string;
  cents: number;
}

export interface PaymentPort {
  /**
   * Opens the payment of `sessionId` for `dueCents`: applies stored credit left by earlier
   * customers (returns how much) and, if more is due, enables the acceptor. Idempotent.
   * `sold`: the product (catalogue id, in the payment record) and its item number, as a card
   * reader's VEND REQUEST names it.
   */
  open(sessionId: string, dueCents: number, sold?: { product: string; item: number }): Promise<{ appliedCreditCents: number }>;
  /** Inhibits the acceptor (idempotent). Called at paid, cancel, timeout and on any fault. */
  inhibit(): Promise<void>;
  /** Coins credited; returns the unsubscribe function. */
  onCredit(listener: (credit: CoinCredit) => void): () => void;
  /** Everything counted towards `sessionId` (applied stored credit + coins), from the ledger. */
  sessionCreditCents(sessionId: string): Promise<number>;
  /** The session is served: `cents` of its credit are spent, any surplus stays credit. Idempotent. */
  settle(sessionId: string, cents: number): Promise<void>;
  /**
   * The session ends unserved: its credit becomes stored credit for the next customer (or is
   * refunded by a hopper). Idempotent; returns the cents refunded.
   */
  keepAsCredit(sessionId: string): Promise<{ refundedCents: number }>;
  /**
   * The session's board is printed: card approvals are charged now (MDB VEND SUCCESS), never
   * before. Idempotent (called again after a restart in the uploading step).
   */
  delivered?(sessionId: string): Promise<void>;
  /**
   * The paid delivery failed: card approvals are released (not charged), the cash credit is
   * paid back by the hopper where there is one, and the rest becomes a refund claim sent to
   * the operator. Idempotent (the same claim after a restart).
   */
  refund?(sessionId: string, reason: string): Promise<RefundOutcome>;
}

export interface RefundOutcome {
  paidBackCents: number;
  claimCents: number;
  /** The code the customer quotes to be paid back (null when nothing is owed). */
  claimCode: string | null;
  releasedCardCents: number;
}

/** What the printer is asked to print for a session: the print queue's order. */
export type BoardRequest = BoardOrder;

export interface PrinterPort {
  /**
   * Makes sure the board of `sessionId` is printed exactly once: if a job for this session
   * completed, returns it; if one is pending, waits for it; otherwise renders and submits
   * one. Rejects on a printer fault or a job that fails or times out.
   */
  ensurePrinted(board: BoardRequest, signal: AbortSignal): Promise<{ jobId: string; boardFile?: string }>;
}

export interface CodesPort {
  /** The code of the session, issued now if it has none (idempotent; see codes/registry.ts). */
  issueForSession(sessionId: string): { code: string; expires: string };
}

export interface SessionRecord {
  /** Unique id: ingest at the fleet is idempotent by it. */
  id: string;
  type: 'session';
  sessionId: string;
  /** The product sold (catalogue id) and what it delivered. */
  product: string;
  delivers: 'ephoto' | 'prints';
  code?: string;
  expires?: string;
  photoFile: string;
  signatureFile?: string;
  boardFile?: string;
  paidCents: number;
  startedAt: string;
  completedAt: string;
}

export interface OutboxPort {
  /** Queues a business record durably for upload (idempotent by `record.id`). */
  enqueue(record: SessionRecord): void | Promise<void>;
}

export interface BoothHealthPort {
  /** Whether the booth can serve a session now (printer ready, camera ok, disk space...). */
  canDeliver(): { ok: true } | { ok: false; reason: string };
}

export interface SessionEvent {
  type: 'session.started' | 'session.ended' | 'session.retake' | 'session.fault' | 'session.blocked' | 'session.resumed' | 'session.recovered';
  severity: 'info' | 'warning' | 'error';
  sessionId?: string;
  device?: string;
  message: string;
  at: string;
  data?: Record<string, unknown>;
}

export interface EventsPort {
  publish(event: SessionEvent): void;
}

export interface MediaPort {
  /** Saves a session file durably (fsync) and returns its absolute path. */
  save(sessionId: string, name: 'photo.jpg' | 'signature.png', data: Buffer): Promise<string>;
  read(file: string): Promise<Buffer>;
}

export interface SessionPorts {
  camera: CameraPort;
  validator: ValidatorPort;
  signature: SignaturePort;
  payment: PaymentPort;
  printer: PrinterPort;
  codes: CodesPort;
  outbox: OutboxPort;
  health: BoothHealthPort;
  events: EventsPort;
  media: MediaPort;
}

/** Time, injectable so tests drive timeouts with a fake clock: the one Clock of src/hal/clock.ts. */
export { systemClock, type Clock } from '../hal/clock.ts';
