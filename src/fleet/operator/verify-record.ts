// The verification of one delivery on `cabine/v1/<booth>/records`, as a pure function of the
// bytes and the booth's enrolled key: it runs on the ingest's main thread (workers = 0) or in
// the verification workers (verify-worker.ts), with the same verdict either way. Storage,
// rejects and acks stay with the caller (ingest.ts).
import type { KeyObject } from 'node:crypto';
import { openEnvelope, parseEnvelope } from '../records.ts';
import type { StoredRecord } from './store-types.ts';

export type Verdict =
  | { ok: true; stored: StoredRecord }
  | { ok: false; booth: string; id?: string | undefined; reason: string };

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
  return { ok: true, stored: { record: opened.record, keyId: parsed.envelope.keyId, recordText: parsed.envelope.record, sig: parsed.envelope.sig } };
}
