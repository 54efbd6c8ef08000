// What the booth needs from a coin acceptor (and hopper), whatever drives it.
import type { Device } from '../device.ts';
import type { CoinError } from './codes.ts';

export interface AcceptorIdentity {
  category: string;
  manufacturer: string;
  product: string;
  /** Serial number as 6 hex digits (3 bytes, most significant first). */
  serial: string;
  software?: string;
}

export interface CoinSlot {
  /** Coin position in the acceptor (1-16), the "credit" code of buffered events. */
  position: number;
  coin: string;
  /** Cents for euro coins; undefined for other currencies and tokens. */
  valueCents: number | undefined;
}

/** A coin the acceptor accepted into the cash box. */
export interface CoinCreditEvent {
  coin: string;
  valueCents: number;
  /** Coin position (channel) 1-16. */
  channel: number;
  sorterPath: number;
  /** The acceptor's event counter of this event (1-255, wraps 255 → 1). */
  counter: number;
  /** Serial number of the acceptor that counted it. */
  serial: string;
  at: string;
}

export interface CoinErrorEvent extends CoinError {
  counter: number;
  at: string;
}

export type AlarmKind = 'reset' | 'missed-events' | 'unknown-coin' | 'record-failed' | 'coin-alarm';

export interface AcceptorAlarm {
  kind: AlarmKind;
  message: string;
  /** Events lost (missed-events). */
  missed?: number;
  counter?: number;
  at: string;
}

/**
 * Records a credit durably before anything else learns of it; throwing means "not recorded":
 * the driver keeps the event and offers it again at the next poll (the acceptor's buffer
 * still holds it), and inhibits the acceptor meanwhile.
 */
export type CreditSink = (credit: CoinCreditEvent) => void;

/** Where the driver resumes counting for an acceptor: the last counter recorded for `serial`. */
export type ResumePoint = (serial: string) => number | undefined;

/**
 * Persists a counter the driver counts from that no credit recorded: the device's counter at
 * the first connection of an acceptor the ledger has never seen, and 0 after a device reset.
 * A restart then resumes from there (coins taken before the first journaled coin, or after a
 * reset, are not skipped). Throwing means "not persisted" (connection retried).
 */
export type CounterMark = (serial: string, counter: number) => void;

/**
 * More events happened between two buffer reads than the acceptor holds (5): `missed` events
 * (coins or refusals: the device cannot say which) after `fromCounter` up to `toCounter` are
 * gone; the 5 after `toCounter` are still offered as credits. The ledger records it durably as
 * a money incident and stores `toCounter` as the acceptor's counter in the same transaction
 * (a restart resumes after the gap, never reports it twice). Throwing means "not recorded":
 * nothing after `fromCounter` is processed, the acceptor is inhibited, the next poll retries.
 */
export interface CounterGap {
  serial: string;
  fromCounter: number;
  toCounter: number;
  missed: number;
  at: string;
}
export type GapSink = (gap: CounterGap) => void;

export interface CoinAcceptorDevice extends Device {
  identity(): AcceptorIdentity | undefined;
  coinTable(): CoinSlot[];
  /** Coins (ids such as EU200A) the acceptor should accept; [] inhibits every coin. */
  setAcceptance(coins: readonly string[]): Promise<void>;
  /** Coins accepted now (as last applied to the device). */
  acceptance(): readonly string[];
  setCreditSink(sink: CreditSink | undefined, resume?: ResumePoint, mark?: CounterMark, gap?: GapSink): void;
  readonly hopper: HopperDevice | undefined;
  on(event: 'credit', listener: (credit: CoinCreditEvent) => void): this;
  on(event: 'coin-error', listener: (error: CoinErrorEvent) => void): this;
  on(event: 'alarm', listener: (alarm: AcceptorAlarm) => void): this;
  on(event: 'fault', listener: (fault: import('../device.ts').DeviceFault) => void): this;
  on(event: 'recovered', listener: (device: string) => void): this;
  off(event: 'credit', listener: (credit: CoinCreditEvent) => void): this;
  off(event: 'coin-error', listener: (error: CoinErrorEvent) => void): this;
  off(event: 'alarm', listener: (alarm: AcceptorAlarm) => void): this;
  off(event: 'fault', listener: (fault: import('../device.ts').DeviceFault) => void): this;
  off(event: 'recovered', listener: (device: string) => void): this;
}

export interface PayoutResult {
  requested: number;
  paid: number;
  unpaid: number;
}

export interface HopperDevice extends Device {
  /** The coin it pays out and its value, once identified. */
  coin(): { coin: string; valueCents: number } | undefined;
  /** Pays `count` coins; resolves when the payout ends with what was paid and not paid. */
  dispense(count: number): Promise<PayoutResult>;
}
