// The verification of one delivery on `cabine/v1/<booth>/records`, as a pure function of the
// bytes and the booth's enrolled key: it runs on the ingest's main thread (workers = 0) or in
// the verification workers (verify-worker.ts), with the same verdict either way. Storage,
// rejects and acks stay with the caller (ingest.ts).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { isWellFormed } from '../../codes/code.ts';
import { openEnvelope, parseEnvelope } from '../records.ts';
import type { FleetRecord } from '../schemas.ts';
import type { StoredRecord } from './store-types.ts';

export type Verdict =
  | { ok: true; stored: StoredRecord }
  | { ok: false; booth: string; id?: string | undefined; reason: string };

/** A booth's key as the verifier takes it: parsed, SPKI DER bytes (parsed here), or none (not enrolled). */
export type VerifyKey = KeyObject | Uint8Array | null | undefined;

// SPKI DER of an Ed25519 key: this 12-byte header (SEQUENCE, AlgorithmIdentifier 1.3.101.112,
// BIT STRING of 33 bytes) and the 32-byte raw key.
// Stryker disable next-line StringLiteral: a fast path only; without it every key takes the DER parse, which gives the same key (docs/testing.md).
const ED25519_SPKI_HEADER = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * A public key from SPKI DER. An Ed25519 key (the only kind enrolment accepts) is imported from
 * its 32 raw bytes as a JWK: OpenSSL 3's DER/PEM decoders take ~190-330 µs per key, the raw
 * import ~15 µs (measured on this VM), which matters when 10,000 booths each send a few records.
 */
export function publicKeyOfDer(der: Buffer): KeyObject {
  // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: the fast path and the DER parse give the same key (tested); only the cost differs.
  if (der.length === 44 && der.subarray(0, 12).equals(ED25519_SPKI_HEADER)) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: der.subarray(12).toString('base64url') }, format: 'jwk' });
  }
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** Parsed keys by booth, kept while the booth's key bytes stay the same. */
export function keyCache(): (booth: string, key: VerifyKey) => KeyObject | undefined {
  const keys = new Map<string, { der: Buffer; key: KeyObject }>();
  return (booth, key) => {
    if (!key) return undefined;
    if (!(key instanceof Uint8Array)) return key;
    const cached = keys.get(booth);
    if (cached && cached.der.equals(key)) return cached.key;
    const der = Buffer.from(key);
    const parsed = publicKeyOfDer(der);
    keys.set(booth, { der, key: parsed });
    return parsed;
  };
}

/**
 * Envelope shape, booth named everywhere = the topic's booth, Ed25519 signature with the
 * enrolled key (`undefined`: booth not enrolled), record shape, each file's size and SHA-256.
 */
export function verifyRecord(booth: string, payload: Uint8Array, key: KeyObject | undefined): Verdict {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const parsed = parseEnvelope(bytes);
  if (!parsed.ok) return { ok: false, booth, reason: parsed.reason };
  if (!key) return { ok: false, booth, reason: 'booth not enrolled' };
  const opened = openEnvelope(parsed.envelope, booth, key);
  if (!opened.ok) return { ok: false, booth, id: opened.id, reason: opened.reason };
  const content = contentProblem(opened.record);
  if (content) return { ok: false, booth, id: opened.record.id, reason: content };
  // Only what is stored: the signed text (the evidence, which carries everything) and, parsed,
  // what the columns are made of — the record's top-level fields and the scalar values of its
  // data (the code, session id, expiry, amount). Nested values and the files' contents (base64
  // emptied; size and SHA-256 kept) stay in the text: what a worker sends back is then small and
  // flat, so no record can make the structured clone of a verdict deep or large.
  const files = Object.fromEntries(Object.entries(opened.record.files).map(([name, f]) => [name, { ...f, base64: '' }]));
  const data = Object.fromEntries(Object.entries(opened.record.data).filter(([, v]) => v === null || typeof v !== 'object'));
  return { ok: true, stored: { record: { ...opened.record, data, files }, keyId: parsed.envelope.keyId, recordText: parsed.envelope.record, sig: parsed.envelope.sig } };
}

/**
 * What a signed record may not carry even from an enrolled booth: a session's code that is not
 * a well-formed e-photo code (alphabet, length, check characters). The code is what the
 * operator's service, exports and support tools key on; a booth never issues anything else, so
 * a record with another value is refused (alone) rather than stored and passed on.
 */
export function contentProblem(record: FleetRecord): string | undefined {
  if (record.type !== 'session' || !Object.hasOwn(record.data, 'code')) return undefined;
  const code = record.data.code;
  if (typeof code !== 'string' || !isWellFormed(code)) return 'session code is not a well-formed e-photo code';
  return undefined;
}
