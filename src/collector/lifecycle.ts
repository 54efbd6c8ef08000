// The life of an e-photo code as the collector answers it, from the facts the store holds
// (pure: no I/O, so the API, the status page, support and the purge agree by construction).
//   pending  its record is stored but not yet acknowledged by every push target, or it
//            cannot be served (its photo is missing from the record);
//   active   stored and servable: the state's system can fetch it now;
//   used     fetched once through the pull API (single use);
//   expired  6 calendar months after issue (or the booth's own earlier expiry), unless used.
// A code the store does not hold is "unknown"; a string that is not a well-formed code is
// "invalid". Used wins over expired: a code used before it expired stays "used".
import { addMonths } from '../codes/registry.ts';

export const VALIDITY_MONTHS = 6;

export type CodeStatus = 'pending' | 'active' | 'used' | 'expired';

export interface CodeFacts {
  issuedAt: string;
  /** The booth's own expiry (ISO date or time), when its record carried one. */
  expires: string | null;
  usedAt: string | null;
  /** Photo and signature are in the store (not purged, present in the record). */
  filesPresent: boolean;
  /** Push targets that have not acknowledged it yet. */
  pushesPending?: number;
}

/** When the code stops working: issue + 6 months, or the booth's expiry when that is earlier. */
export function expiresAtOf(issuedAt: string, boothExpires: string | null): string {
  const issued = Date.parse(issuedAt);
  const byRule = Number.isFinite(issued) ? addMonths(new Date(issued), VALIDITY_MONTHS) : new Date(0);
  const byBooth = boothExpires ? Date.parse(boothExpires) : NaN;
  const at = Number.isFinite(byBooth) && byBooth < byRule.getTime() ? new Date(byBooth) : byRule;
  return at.toISOString();
}

export function statusOf(facts: CodeFacts, now: Date): CodeStatus {
  if (facts.usedAt) return 'used';
  if (now.getTime() >= Date.parse(expiresAtOf(facts.issuedAt, facts.expires))) return 'expired';
  if (!facts.filesPresent || (facts.pushesPending ?? 0) > 0) return 'pending';
  return 'active';
}
