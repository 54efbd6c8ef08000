// Business records as they travel: the record (JSON) is serialised once, signed as those exact
// bytes with the booth's Ed25519 key, and wrapped in an envelope. No canonical-JSON step is
// needed because the verifier checks the very string that was signed, then parses it.
// Files (photo, signature) are embedded as base64 with their SHA-256: a record is complete on
// its own, so it can wait days in the outbox even if the session folder is cleaned meanwhile.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { envelopeSchema, recordSchema, RECORD_ID_RE, type FleetRecord, type RecordEnvelope, type RecordFile } from './schemas.ts';
import { parseBoundedJson } from './json-limits.ts';
import { signBytes, verifyBytes, type SigningKey } from './signing.ts';

export interface RecordInput {
  /** Unique id (letters, digits, . _ : -; at most 128). */
  id: string;
  /** `session` (a served session and its issued code), `payment`, ... */
  type: string;
  /** Defaults to now. */
  at?: string;
  data: Record<string, unknown>;
  /** Files to embed, by name: a path or the bytes. */
  files?: Record<string, string | Buffer>;
}

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PDF_MAGIC = Buffer.from('%PDF-');

/** The type of a file from its first bytes (a shorter file has a shorter prefix: no match). */
export function mimeOf(data: Buffer): string {
  if (data.subarray(0, JPEG_MAGIC.length).equals(JPEG_MAGIC)) return 'image/jpeg';
  if (data.subarray(0, PNG_MAGIC.length).equals(PNG_MAGIC)) return 'image/png';
  if (data.subarray(0, PDF_MAGIC.length).equals(PDF_MAGIC)) return 'application/pdf';
  return 'application/octet-stream';
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function embed(name: string, source: string | Buffer): RecordFile {
  let data: Buffer;
  try {
    data = typeof source === 'string' ? readFileSync(source) : source;
  } catch (err) {
    throw new Error(`record file "${name}" cannot be read: ${(err as Error).message}`, { cause: err });
  }
  return { mime: mimeOf(data), bytes: data.length, sha256: sha256Hex(data), base64: data.toString('base64') };
}

/** Builds the signed envelope of a record (the bytes published on `records`). */
export function sealRecord(input: RecordInput, booth: string, key: SigningKey): Buffer {
  if (!RECORD_ID_RE.test(input.id)) throw new Error(`record id "${input.id}" is not valid (letters, digits, . _ : -, at most 128)`);
  const files: Record<string, RecordFile> = {};
  for (const [name, source] of Object.entries(input.files ?? {})) files[name] = embed(name, source);
  const record: FleetRecord = recordSchema.parse({
    id: input.id,
    booth,
    type: input.type,
    at: input.at ?? new Date().toISOString(),
    data: input.data,
    files,
  });
  const text = JSON.stringify(record);
  const envelope: RecordEnvelope = { v: 1, booth, keyId: key.keyId, record: text, sig: signBytes(key, Buffer.from(text)) };
  return Buffer.from(JSON.stringify(envelope));
}

export type OpenResult =
  | { ok: true; envelope: RecordEnvelope; record: FleetRecord; files: Record<string, Buffer> }
  | { ok: false; reason: string; id?: string; booth?: string };

/** Parses an envelope without verifying it (to find the booth and key it claims). */
export function parseEnvelope(payload: Buffer): { ok: true; envelope: RecordEnvelope } | { ok: false; reason: string } {
  // Size and nesting measured before parsing (json-limits.ts): the envelope, then the record it carries.
  const bounded = parseBoundedJson(payload.toString('utf8'));
  if (!bounded.ok) return { ok: false, reason: bounded.reason === 'not JSON' ? 'not JSON' : `envelope ${bounded.reason}` };
  const parsed = envelopeSchema.safeParse(bounded.value);
  // A failed zod parse has at least one issue.
  if (!parsed.success) return { ok: false, reason: `not a record envelope: ${parsed.error.issues[0]!.message}` };
  return { ok: true, envelope: parsed.data };
}

/**
 * Verifies an envelope received on `cabine/v1/<topicBooth>/records` with the booth's enrolled
 * public key: the signature, that the booth named everywhere is the topic's booth, the record's
 * shape and each file's size and SHA-256.
 */
export function openEnvelope(envelope: RecordEnvelope, topicBooth: string, publicKey: KeyObject): OpenResult {
  if (envelope.booth !== topicBooth) return { ok: false, reason: `envelope names booth ${envelope.booth} on ${topicBooth}'s topic` };
  if (!verifyBytes(publicKey, Buffer.from(envelope.record), envelope.sig)) {
    return { ok: false, reason: 'signature does not verify with the booth\'s enrolled key', booth: topicBooth };
  }
  const bounded = parseBoundedJson(envelope.record);
  if (!bounded.ok) return { ok: false, reason: `signed record is ${bounded.reason}`, booth: topicBooth };
  const parsed = recordSchema.safeParse(bounded.value);
  if (!parsed.success) return { ok: false, reason: `signed record is invalid: ${parsed.error.issues[0]!.message}`, booth: topicBooth };
  const record = parsed.data;
  if (record.booth !== topicBooth) return { ok: false, reason: `record names booth ${record.booth}`, id: record.id, booth: topicBooth };
  const files: Record<string, Buffer> = {};
  for (const [name, file] of Object.entries(record.files)) {
    const data = Buffer.from(file.base64, 'base64');
    if (data.length !== file.bytes || sha256Hex(data) !== file.sha256) {
      return { ok: false, reason: `file "${name}" does not match its size or SHA-256`, id: record.id, booth: topicBooth };
    }
    files[name] = data;
  }
  return { ok: true, envelope, record, files };
}

/**
 * The record of a served session (flows/ports.ts SessionRecord), structurally: its photo and
 * signature are embedded, the board is not (it is re-rendered from them).
 */
export function sessionRecordInput(session: {
  id: string;
  type: 'session';
  photoFile: string;
  signatureFile?: string;
  [key: string]: unknown;
}): RecordInput {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(session)) {
    if (key === 'id' || key === 'type' || key.endsWith('File')) continue;
    if (value !== undefined) data[key] = value;
  }
  const files: Record<string, string> = { photo: session.photoFile };
  if (session.signatureFile) files.signature = session.signatureFile;
  const completedAt = typeof session.completedAt === 'string' ? session.completedAt : undefined;
  return { id: session.id, type: 'session', ...(completedAt ? { at: completedAt } : {}), data, files };
}
