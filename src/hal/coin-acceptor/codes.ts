// What the bytes of an acceptor mean: coin ids (e.g. EU200A) and the error codes of the
// read-buffered-credit reply (ccTalk generic specification, table "coin acceptor error codes").

/** A coin id `CCVVVI`: country, value in the currency's smallest unit scaled, issue letter. */
export interface CoinId {
  id: string;
  country: string;
  /** Value in cents for euro coins (EU005A = 5 cents, EU200A = 2.00 EUR); undefined otherwise. */
  valueCents: number | undefined;
}

export function parseCoinId(raw: string): CoinId | undefined {
  const id = raw.trim();
  const m = /^([A-Z]{2})(\d{3})([A-Z])$/.exec(id);
  if (!m) return undefined; // unused position ("......") or a token code
  const country = m[1] as string;
  return { id, country, valueCents: country === 'EU' ? Number(m[2]) : undefined };
}

export type CoinErrorKind = 'rejected' | 'inhibited' | 'jam' | 'fraud' | 'fault' | 'info';

export interface CoinError {
  code: number;
  kind: CoinErrorKind;
  message: string;
  /** A coin may have gone into the cash box without credit, or someone tampers: alarm. */
  alarm: boolean;
}

const ERRORS: Record<number, [CoinErrorKind, string, boolean?]> = {
  0: ['info', 'null event'],
  1: ['rejected', 'coin rejected'],
  2: ['inhibited', 'coin inhibited (master inhibit)'],
  3: ['rejected', 'multiple window'],
  4: ['fault', 'wake-up timeout'],
  5: ['rejected', 'validation timeout'],
  6: ['fault', 'credit sensor timeout'],
  7: ['fault', 'sorter opto timeout'],
  8: ['fraud', 'second close coin error', true],
  9: ['fault', 'accept gate not ready'],
  10: ['fault', 'credit sensor not ready'],
  11: ['fault', 'sorter not ready'],
  12: ['jam', 'reject coin not cleared'],
  13: ['fault', 'validation sensor not ready'],
  14: ['jam', 'credit sensor blocked', true],
  15: ['jam', 'sorter opto blocked', true],
  16: ['fraud', 'credit sequence error', true],
  17: ['fraud', 'coin going backwards', true],
  18: ['fraud', 'coin too fast (credit sensor)', true],
  19: ['fraud', 'coin too slow (credit sensor)', true],
  20: ['fraud', 'coin-on-string mechanism activated', true],
  21: ['fault', 'DCE opto timeout'],
  22: ['fraud', 'DCE opto not seen', true],
  23: ['fraud', 'credit sensor reached too early', true],
  24: ['rejected', 'coin rejected (repeated sequential trip)'],
  25: ['rejected', 'slug rejected'],
  26: ['jam', 'reject sensor blocked', true],
  27: ['rejected', 'games overload'],
  28: ['fault', 'max coin meter pulses exceeded'],
  29: ['fault', 'accept gate open not closed', true],
  30: ['fault', 'accept gate closed not open'],
  31: ['fault', 'manifold opto timeout'],
  32: ['jam', 'manifold opto blocked', true],
  33: ['fault', 'manifold not ready'],
  34: ['fraud', 'security status changed', true],
  35: ['fault', 'motor exception', true],
  36: ['fraud', 'swallowed coin', true],
  37: ['rejected', 'coin too fast (validation sensor)'],
  38: ['rejected', 'coin too slow (validation sensor)'],
  39: ['fault', 'coin incorrectly sorted', true],
  40: ['fraud', 'external light attack', true],
  253: ['info', 'data block request'],
  254: ['info', 'coin return mechanism activated'],
  255: ['fault', 'unspecified alarm code', true],
};

export function decodeCoinError(code: number): CoinError {
  if (code >= 128 && code <= 159) return { code, kind: 'inhibited', message: `coin of type ${code - 127} inhibited`, alarm: false };
  const known = ERRORS[code];
  if (!known) return { code, kind: 'fault', message: `unknown error code ${code}`, alarm: false };
  return { code, kind: known[0], message: known[1], alarm: known[2] === true };
}
