// What the booth needs from a card reader (MDB cashless level 1), whatever drives it.
import type { Device, DeviceFault } from '../device.ts';

export interface ReaderIdentity {
  manufacturer: string;
  serial: string;
  model: string;
  software: string;
  /** MDB feature level reported at SETUP (1, 2 or 3; the booth uses level 1 commands). */
  featureLevel: number;
  /** ISO 4217 numeric code of the reader's currency (978 = euro). */
  currency: number;
}

/** A card was presented: the reader opened a session. */
export interface CardSessionEvent {
  /** Funds the reader announced, in cents; undefined when unknown (contactless usually). */
  fundsCents: number | undefined;
  at: string;
}

export type VendOutcome =
  | { result: 'approved'; cents: number }
  | { result: 'denied' | 'timeout' | 'reset' | 'fault' | 'no-session'; reason: string };

/** How an approved vend ended: charged (VEND SUCCESS), released (VEND FAILURE), or lost with a reader reset. */
export type VendEnd = 'charged' | 'released' | 'voided';

export interface CardReaderAlarm {
  kind: 'reset' | 'malfunction' | 'out-of-sequence' | 'currency';
  message: string;
  at: string;
}

export interface CardReaderDevice extends Device {
  identity(): ReaderIdentity | undefined;
  /** Whether the reader should take cards (READER ENABLE / DISABLE); re-applied after a reset. */
  setEnabled(enabled: boolean): Promise<void>;
  enabled(): boolean;
  /** A reader session is open (a card was presented and the session not completed). */
  inSession(): boolean;
  /**
   * VEND REQUEST for `cents` of item `item` in the open session; resolves with the reader's
   * answer (or timeout after the reader's max response time: the vend is then cancelled).
   */
  requestVend(cents: number, item: number): Promise<VendOutcome>;
  /**
   * Ends the approved vend: delivered → VEND SUCCESS (the card is charged), not delivered →
   * VEND FAILURE (released); then SESSION COMPLETE. `voided` when the reader lost the
   * approval (it was reset): the card is not charged.
   */
  finishVend(delivered: boolean, item: number): Promise<VendEnd>;
  /** SESSION COMPLETE for a session without (or after a denied) vend. */
  endSession(): Promise<void>;
  on(event: 'card', listener: (session: CardSessionEvent) => void): this;
  on(event: 'session-ended', listener: (reason: string) => void): this;
  on(event: 'alarm', listener: (alarm: CardReaderAlarm) => void): this;
  on(event: 'fault', listener: (fault: DeviceFault) => void): this;
  on(event: 'recovered', listener: (device: string) => void): this;
  off(event: 'card', listener: (session: CardSessionEvent) => void): this;
  off(event: 'session-ended', listener: (reason: string) => void): this;
  off(event: 'alarm', listener: (alarm: CardReaderAlarm) => void): this;
  off(event: 'fault', listener: (fault: DeviceFault) => void): this;
  off(event: 'recovered', listener: (device: string) => void): this;
}
