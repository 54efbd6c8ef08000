// Which coins the booth takes, given what is still due and whether it can give change.
import type { CoinSlot } from '../hal/coin-acceptor/index.ts';

/** Euro coins the booth accepts: 0.10 to 2.00 EUR. */
export const MIN_COIN_CENTS = 10;
export const MAX_COIN_CENTS = 200;

export function isAcceptedValue(cents: number | undefined): cents is number {
  return cents !== undefined && cents >= MIN_COIN_CENTS && cents <= MAX_COIN_CENTS;
}

export interface AcceptancePlan {
  coins: string[];
  /** Coins larger than what remains are refused because no change can be given. */
  noChange: boolean;
}

/**
 * The coins to enable when `remainingCents` are due.
 * - With a working hopper paying `changeCents` coins: any coin whose surplus the hopper can
 *   pay back exactly (surplus a multiple of its coin), and every coin up to the remainder.
 * - Without: only coins up to the remainder ("no change given"); if none fits (the remainder
 *   is smaller than the smallest coin) the smallest coin above it, the least overpayment.
 */
export function planAcceptance(slots: readonly CoinSlot[], remainingCents: number, changeCents: number | undefined): AcceptancePlan {
  if (remainingCents <= 0) return { coins: [], noChange: changeCents === undefined };
  const euro = slots.filter((s) => isAcceptedValue(s.valueCents)) as (CoinSlot & { valueCents: number })[];
  const fits = (v: number) => v <= remainingCents || (changeCents !== undefined && (v - remainingCents) % changeCents === 0);
  let chosen = euro.filter((s) => fits(s.valueCents));
  if (chosen.length === 0 && euro.length > 0) {
    const smallest = Math.min(...euro.map((s) => s.valueCents));
    chosen = euro.filter((s) => s.valueCents === smallest);
  }
  const coins = [...new Set(chosen.map((s) => s.coin))].sort();
  return { coins, noChange: changeCents === undefined };
}
