// Codes in a collector store as the ingest leaves them: signed session records with a photo
// and a signature, stored through the fleet store (the same path as `cabine fleet ingest`).
import { generateCode } from '../../../src/codes/code.ts';
import type { CollectorStore } from '../../../src/collector/store.ts';
import { testBooth, type Booth } from '../../fleet/helpers/store-suite.ts';

export const PHOTO = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(3000, 7)]);
export const SIGNATURE = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(500, 3)]);

let n = 0;
const booths = new Map<string, Booth>();

export interface Seeded {
  code: string;
  booth: string;
  recordId: string;
  sessionId: string;
}

/** Stores one issued code; `issuedAt` defaults to now. */
export async function seedCode(store: CollectorStore, options: { booth?: string; issuedAt?: string; expires?: string; paidCents?: number; noFiles?: boolean } = {}): Promise<Seeded> {
  const boothId = options.booth ?? 'BOOTH-A';
  const booth = booths.get(boothId) ?? testBooth(boothId);
  booths.set(boothId, booth);
  const code = generateCode('9PMT');
  const i = n++;
  const sessionId = `sess-${i}`;
  const recordId = `${boothId}-rec-${i}`;
  const issuedAt = options.issuedAt ?? new Date().toISOString();
  const stored = booth.record({
    id: recordId,
    type: 'session',
    at: issuedAt,
    data: { code, sessionId, paidCents: options.paidCents ?? 800, ...(options.expires ? { expires: options.expires } : {}) },
    ...(options.noFiles ? {} : { files: { photo: PHOTO, signature: SIGNATURE } }),
  });
  await store.fleet.storeBatch([stored]);
  return { code, booth: boothId, recordId, sessionId };
}

/** Stores the payment record of a seeded session. */
export async function seedPayment(store: CollectorStore, seeded: Seeded, cents = 800): Promise<string> {
  const booth = booths.get(seeded.booth) as Booth;
  const id = `payment-${seeded.sessionId}`;
  await store.fleet.storeBatch([
    booth.record({
      id,
      type: 'payment',
      at: new Date().toISOString(),
      data: { sessionId: seeded.sessionId, outcome: 'settled', dueCents: cents, coinCents: cents, appliedCreditCents: 0, spentCents: cents, storedCreditCents: 0, coins: [{ coin: '2.00', cents: 200, at: new Date().toISOString() }] },
    }),
  ]);
  return id;
}

/** A well-formed code that no booth issued. */
export const unissuedCode = (): string => generateCode('9PMT');

/** `code` with one character changed to another symbol of the alphabet. */
export function mistype(code: string, at = 7): string {
  const c = code[at] === '2' ? '3' : '2';
  return code.slice(0, at) + c + code.slice(at + 1);
}
