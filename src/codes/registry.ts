// The issuance registry: every code the booth ever made, in SQLite. A code is unique (the
// primary key; a random collision is retried, never issued), bound to at most one session
// (issuing twice for a session returns the same code: recovery after a power cut relies on
// it), valid 6 months and usable once. Test codes (`cabine code generate`) are registered
// too, so a real session can never receive one, but are marked as not issued.
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/db.ts';
import { generateCode, isValidPrefix, normaliseCode } from './code.ts';

export type CodeKind = 'issued' | 'test';

export interface RegisteredCode {
  code: string;
  /** Session the code was issued for (null for test codes). */
  sessionId: string | null;
  kind: CodeKind;
  createdAt: string;
  /** ISO timestamp after which the code is no longer accepted. */
  expires: string;
  /** When the code was used (null while unused). */
  usedAt: string | null;
}

export type CodeState = 'unknown' | 'test' | 'valid' | 'expired' | 'used';

export interface CodeRegistryOptions {
  /** Operator prefix (`booth.operatorPrefix`). */
  prefix: string;
  /** Validity in calendar months (default 6). */
  validityMonths?: number;
  now?: () => Date;
  /** 10 random bytes per code (default crypto.randomBytes); replaceable to test collisions. */
  random?: () => Buffer;
  /** Attempts before giving up on a collision-free code (default 8; each collides with probability n/2^80). */
  maxAttempts?: number;
}

export interface CodeRegistry {
  /** The code of `sessionId`, issued now if it has none yet (idempotent). */
  issueForSession(sessionId: string): RegisteredCode;
  /** The code already issued for `sessionId`, if any. */
  forSession(sessionId: string): RegisteredCode | undefined;
  /** `count` fresh test codes, registered as not issued. */
  generateTest(count: number): RegisteredCode[];
  lookup(code: string): RegisteredCode | undefined;
  state(code: string): CodeState;
  /** Marks a code used (one use); throws if it is unknown, a test code, expired or used. */
  redeem(code: string): RegisteredCode;
}

export const codesMigrations: readonly string[] = [
  `CREATE TABLE codes (
     code TEXT PRIMARY KEY,
     session_id TEXT UNIQUE,
     kind TEXT NOT NULL CHECK (kind IN ('issued', 'test')),
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL,
     used_at TEXT,
     CHECK ((kind = 'issued') = (session_id IS NOT NULL))
   ) WITHOUT ROWID`,
];

interface Row {
  code: string;
  session_id: string | null;
  kind: CodeKind;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

const fromRow = (r: Row): RegisteredCode => ({
  code: r.code,
  sessionId: r.session_id,
  kind: r.kind,
  createdAt: r.created_at,
  expires: r.expires_at,
  usedAt: r.used_at,
});

/** `date` plus `months` calendar months, clamped to the end of a shorter month (31 Aug + 6 → 28/29 Feb). */
export function addMonths(date: Date, months: number): Date {
  const out = new Date(date.getTime());
  const day = out.getUTCDate();
  out.setUTCDate(1);
  out.setUTCMonth(out.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(out.getUTCFullYear(), out.getUTCMonth() + 1, 0)).getUTCDate();
  out.setUTCDate(Math.min(day, lastDay));
  return out;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function createCodeRegistry(store: Store, options: CodeRegistryOptions): CodeRegistry {
  if (!isValidPrefix(options.prefix)) throw new RangeError(`invalid operator prefix "${options.prefix}"`);
  store.migrate('codes', codesMigrations);
  const now = options.now ?? (() => new Date());
  const random = options.random ?? (() => randomBytes(10));
  const months = options.validityMonths ?? 6;
  const maxAttempts = options.maxAttempts ?? 8;
  const db = store.db;
  const bySession = db.prepare<[string], Row>('SELECT * FROM codes WHERE session_id = ?');
  const byCode = db.prepare<[string], Row>('SELECT * FROM codes WHERE code = ?');
  const insert = db.prepare<[string, string | null, CodeKind, string, string]>(
    'INSERT INTO codes (code, session_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const markUsed = db.prepare<[string, string]>('UPDATE codes SET used_at = ? WHERE code = ? AND used_at IS NULL');

  /** Inserts a fresh code; a collision with an existing code draws again (never reuses it). */
  const insertFresh = (sessionId: string | null, kind: CodeKind): RegisteredCode => {
    const created = now();
    const row: Row = {
      code: '',
      session_id: sessionId,
      kind,
      created_at: created.toISOString(),
      expires_at: addMonths(created, months).toISOString(),
      used_at: null,
    };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      row.code = generateCode(options.prefix, random());
      try {
        insert.run(row.code, row.session_id, row.kind, row.created_at, row.expires_at);
        return fromRow(row);
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
    }
    throw new Error(`could not draw a unique code in ${maxAttempts} attempts: is the random source broken?`);
  };

  const lookup = (code: string): RegisteredCode | undefined => {
    const row = byCode.get(normaliseCode(code));
    return row ? fromRow(row) : undefined;
  };

  const stateOf = (found: RegisteredCode | undefined): CodeState => {
    if (!found) return 'unknown';
    if (found.kind === 'test') return 'test';
    if (found.usedAt) return 'used';
    if (now().getTime() >= Date.parse(found.expires)) return 'expired';
    return 'valid';
  };

  return {
    issueForSession(sessionId) {
      if (!sessionId) throw new RangeError('a session id is required to issue a code');
      return store.transaction(() => {
        const existing = bySession.get(sessionId);
        return existing ? fromRow(existing) : insertFresh(sessionId, 'issued');
      });
    },
    forSession(sessionId) {
      const row = bySession.get(sessionId);
      return row ? fromRow(row) : undefined;
    },
    generateTest(count) {
      if (!Number.isInteger(count) || count < 1) throw new RangeError('count must be a positive integer');
      return store.transaction(() => Array.from({ length: count }, () => insertFresh(null, 'test')));
    },
    lookup,
    state: (code) => stateOf(lookup(code)),
    redeem(code) {
      return store.transaction(() => {
        const found = lookup(code);
        const state = stateOf(found);
        if (!found || state !== 'valid') throw new Error(`code ${normaliseCode(code)} cannot be used: ${state}`);
        const usedAt = now().toISOString();
        markUsed.run(usedAt, found.code);
        return { ...found, usedAt };
      });
    },
  };
}
