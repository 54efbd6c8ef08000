// What the customer's screen shows, as data: the booth publishes a ScreenState, the page
// renders it, and the page sends back CustomerActions. Both are validated with zod at the
// edge (the page is a browser: its messages are external input).
import { z } from 'zod';

export const languages = ['fr', 'en', 'es', 'de', 'ar'] as const;
export type Language = (typeof languages)[number];

export const screenNames = ['attract', 'confirm', 'capture', 'review', 'signature', 'payment', 'printing', 'done', 'fault', 'closed'] as const;
export type ScreenName = (typeof screenNames)[number];

export interface CheckView {
  id: string;
  pass: boolean;
  /** Hint key chosen by the failing check (src/vision/hints.ts; shown as i18n `hint.<key>`). */
  hint?: string;
}

/** A product as the attract and confirmation screens show it, in the screen's language. */
export interface ProductView {
  id: string;
  name: string;
  /** The plain sentence on which procedures accept it. */
  accepts: string;
  priceCents: number;
  delivers: 'ephoto' | 'prints';
  /** Photos printed (four per 10x15 sheet). */
  photos: number;
}

export interface ScreenState {
  screen: ScreenName;
  lang: Language;
  priceCents: number;
  /** Attract: the products on sale. */
  products?: ProductView[];
  /** Confirm: the product chosen, awaiting the customer's yes. */
  chosen?: ProductView;
  /** The one guidance hint that matters now (hint key, shown as i18n `hint.<key>`), or "hold still". */
  hint?: string;
  /** Live guidance: all checks pass and the shutter is about to fire. */
  ready?: boolean;
  /** Retake screen: the validation result, check by check. */
  checks?: CheckView[];
  retakesLeft?: number;
  /** Review: the photo can be kept (compliant, or a product that allows it). */
  canAccept?: boolean;
  /** Last captured photo, as a data URL (review screen). */
  photo?: string;
  /** Signature strokes being drawn, in panel units normalised to 0..1. */
  strokes?: { x: number; y: number }[][];
  dueCents?: number;
  paidCents?: number;
  /** Coins larger than what remains are refused: no change is given. */
  noChange?: boolean;
  /** Coins of this payment may not have been counted (acceptor events lost): quote the incident for a refund. */
  coinsLost?: { incidentId: number };
  /** Credit left by a previous customer, applied to this session. */
  storedCreditCents?: number;
  /** Printing progress 0..1. */
  progress?: number;
  code?: string;
  /** QR code of the code, as an SVG string. */
  qrSvg?: string;
  expires?: string;
  /** Fault screen: message key (e.g. fault.paper) and whether coins were returned. */
  fault?: {
    key: string;
    refundedCents?: number;
    /** A paid delivery that failed: what the hopper paid back, the refund claim, the card released. */
    refund?: { paidBackCents: number; claimCents: number; claimCode: string | null; cardReleased: boolean };
  };
  /** Printing blocked by a fault: the customer may ask for the money back. */
  canRefund?: boolean;
  /** Payment: the card reader takes cards, and what it is doing. */
  card?: { activity: 'idle' | 'authorising' | 'approved' | 'denied' };
  /** Seconds left before the current step times out; set when the warning is due. */
  timeoutWarning?: number;
  /** A message the voice says now (message key); also shown as a subtitle. */
  say?: string;
  /** Values of the message's {placeholders} (the refund code, spelled out by the voice). */
  sayValues?: Record<string, string>;
}

export const customerActionSchema = z.discriminatedUnion('type', [
  /** Offers the catalogue's first product for confirmation (a one-tap start). */
  z.object({ type: z.literal('start') }),
  z.object({ type: z.literal('choose'), product: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/) }),
  z.object({ type: z.literal('confirm') }),
  z.object({ type: z.literal('back') }),
  z.object({ type: z.literal('language'), lang: z.enum(languages) }),
  z.object({ type: z.literal('accept-photo') }),
  z.object({ type: z.literal('retake') }),
  z.object({ type: z.literal('signature-clear') }),
  z.object({ type: z.literal('signature-done') }),
  z.object({ type: z.literal('cancel') }),
  z.object({ type: z.literal('still-here') }),
  z.object({ type: z.literal('finish') }),
  z.object({ type: z.literal('refund') }),
]);
export type CustomerAction = z.infer<typeof customerActionSchema>;

/** Where the screen gets its state and sends the customer's actions (the session flow). */
export interface ScreenSource {
  current(): ScreenState;
  subscribe(listener: (state: ScreenState) => void): () => void;
  act(action: CustomerAction): void;
  /** Live preview frames (JPEG) while capturing, if the camera provides them. */
  subscribePreview?(listener: (jpeg: Buffer) => void): () => void;
}
