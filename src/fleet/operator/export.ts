// Export of the issued codes for the back-office: CSV (one line per code) or JSON, and
// optionally the photo and signature of each code written as files next to it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordSchema } from '../schemas.ts';
import type { FleetDb } from './db.ts';

export interface ExportOptions {
  format: 'csv' | 'json';
  since?: string;
  booth?: string;
  /** Write `<code>-photo.jpg` / `<code>-signature.png` here. */
  filesDir?: string;
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
  photoFile?: string;
  signatureFile?: string;
}

const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' };

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function exportedCodes(db: FleetDb, options: Omit<ExportOptions, 'format'> = {}): ExportedCode[] {
  if (options.filesDir) mkdirSync(options.filesDir, { recursive: true });
  return db.codes({ ...(options.since ? { since: options.since } : {}), ...(options.booth ? { booth: options.booth } : {}) }).map((row) => {
    const record = recordSchema.parse(JSON.parse(db.recordText(row.record_id) ?? '{}'));
    const out: ExportedCode = {
      code: row.code,
      booth: row.booth,
      sessionId: row.session_id,
      recordId: row.record_id,
      expires: row.expires,
      paidCents: row.paid_cents,
      issuedAt: row.issued_at,
      photoSha256: record.files.photo?.sha256 ?? null,
      signatureSha256: record.files.signature?.sha256 ?? null,
    };
    if (options.filesDir) {
      for (const name of ['photo', 'signature'] as const) {
        const file = record.files[name];
        if (!file) continue;
        const path = join(options.filesDir, `${row.code}-${name}.${EXT[file.mime] ?? 'bin'}`);
        writeFileSync(path, Buffer.from(file.base64, 'base64'));
        out[name === 'photo' ? 'photoFile' : 'signatureFile'] = path;
      }
    }
    return out;
  });
}

export function exportCodes(db: FleetDb, options: ExportOptions): string {
  const rows = exportedCodes(db, options);
  if (options.format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const columns: (keyof ExportedCode)[] = ['code', 'booth', 'sessionId', 'recordId', 'expires', 'paidCents', 'issuedAt', 'photoSha256', 'signatureSha256'];
  if (options.filesDir) columns.push('photoFile', 'signatureFile');
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c])).join(','));
  return lines.join('\n') + '\n';
}
