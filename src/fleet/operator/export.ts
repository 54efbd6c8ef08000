// Export of the issued codes for the back-office: CSV (one line per code) or JSON, and
// optionally the photo and signature of each code written as files next to it.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordSchema } from '../schemas.ts';
import type { FleetStore } from './store-types.ts';

export interface ExportOptions {
  format: 'csv' | 'json';
  since?: string;
  booth?: string;
  /** Write `<code>-photo.jpg` / `<code>-signature.png` here. */
  filesDir?: string;
  /** Refunds by code (support's, from the collector's tables): exported with their code. */
  refunds?: ReadonlyMap<string, { at: string; reason: string }>;
}

export interface ExportedCode {
  code: string;
  booth: string;
  sessionId: string | null;
  recordId: string;
  expires: string | null;
  paidCents: number | null;
  issuedAt: string;
  photoSha256: string | null;
  signatureSha256: string | null;
  refundedAt: string | null;
  refundReason: string | null;
  photoFile?: string;
  signatureFile?: string;
}

// A Map, not an object literal: a mime from a booth's record such as "constructor" must not
// find Object.prototype's members (it named a file `...-photo.function Object() { [native code] }`).
const EXT: ReadonlyMap<string, string> = new Map([
  ['image/jpeg', 'jpg'],
  ['image/png', 'png'],
  ['application/pdf', 'pdf'],
]);

/**
 * One CSV field. Text that a spreadsheet would run as a formula (starting with = + - @, a tab or
 * a carriage return: `=HYPERLINK(...)` in a code) is prefixed with an apostrophe, as OWASP
 * recommends, so it is shown as text; numbers are written as they are.
 */
export function csvField(value: unknown): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Files written by the export hold customers' photos and signatures: the operator's account only. */
function writePrivate(path: string, data: string | Buffer): void {
  writeFileSync(path, data, { mode: 0o600 });
  chmodSync(path, 0o600); // mode applies on creation only; an older file keeps its own otherwise
}
export { writePrivate as writeExportFile };

export async function exportedCodes(db: FleetStore, options: Omit<ExportOptions, 'format'> = {}): Promise<ExportedCode[]> {
  if (options.filesDir) mkdirSync(options.filesDir, { recursive: true, mode: 0o700 });
  const rows = await db.codes({ ...(options.since ? { since: options.since } : {}), ...(options.booth ? { booth: options.booth } : {}) });
  const out: ExportedCode[] = [];
  // One record at a time: each may carry a few hundred KB of photo.
  for (const row of rows) {
    const record = recordSchema.parse(JSON.parse((await db.recordText(row.record_id, row.booth)) ?? '{}'));
    const code: ExportedCode = {
      code: row.code,
      booth: row.booth,
      sessionId: row.session_id,
      recordId: row.record_id,
      expires: row.expires,
      paidCents: row.paid_cents,
      issuedAt: row.issued_at,
      photoSha256: record.files.photo?.sha256 ?? null,
      signatureSha256: record.files.signature?.sha256 ?? null,
      refundedAt: options.refunds?.get(row.code)?.at ?? null,
      refundReason: options.refunds?.get(row.code)?.reason ?? null,
    };
    if (options.filesDir) {
      for (const name of ['photo', 'signature'] as const) {
        const file = record.files[name];
        if (!file?.base64) continue; // absent, or purged by the collector (docs/privacy.md)
        const path = join(options.filesDir, `${fileStem(row.code, row.booth, row.record_id)}-${name}.${EXT.get(file.mime) ?? 'bin'}`);
        writePrivate(path, Buffer.from(file.base64, 'base64'));
        code[name === 'photo' ? 'photoFile' : 'signatureFile'] = path;
      }
    }
    out.push(code);
  }
  return out;
}

export async function exportCodes(db: FleetStore, options: ExportOptions): Promise<string> {
  const rows = await exportedCodes(db, options);
  if (options.format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const columns: (keyof ExportedCode)[] = ['code', 'booth', 'sessionId', 'recordId', 'expires', 'paidCents', 'issuedAt', 'photoSha256', 'signatureSha256', 'refundedAt', 'refundReason'];
  if (options.filesDir) columns.push('photoFile', 'signatureFile');
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  return lines.join('\n') + '\n';
}

/**
 * The name a code's files get: the code itself when it is made of code characters only. The
 * code comes from a booth's record, so anything else (a `../`, a slash) must not reach a path;
 * such a code's files are named after the record's (booth, id), escaped so that the name is
 * injective: every character other than a letter, digit or `-` becomes `_` and its hex code
 * (ids `a.b` and `a:b` once gave the same file), and a `.` (escaped everywhere else) separates
 * the booth from the id. Codes are upper case and digits, so `record-` never names a code.
 */
export function fileStem(code: string, booth: string, recordId: string): string {
  if (/^[0-9A-Z]{1,64}$/.test(code)) return code;
  const escape = (text: string) => text.replace(/[^0-9A-Za-z-]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `record-${escape(booth)}.${escape(recordId)}`;
}
