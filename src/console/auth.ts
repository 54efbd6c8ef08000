// The technician PIN: stored as an scrypt hash (node:crypto, memory-hard, salted), compared
// in constant time. Lockout with a growing delay after repeated failures, kept in the
// booth's database so pulling the cable, restarting the console or rebooting does not
// reset it.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Store } from '../store/db.ts';
import { consoleMigrations } from './audit.ts';

/** 6 to 12 digits, as provisioning asks for. */
export const PIN_RE = /^[0-9]{6,12}$/;

const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Cost parameters: N=2^15 takes ~0.1 s and 32 MiB on a Pi 4, enough to make offline guessing slow. */
const DEFAULT_COST = { N: 32768, r: 8, p: 1 } as const;

function scrypt(secret: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(secret, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export function checkPinFormat(pin: string): void {
  if (!PIN_RE.test(pin)) throw new Error('the PIN must be 6 to 12 digits');
}

/** `scrypt$N$r$p$salt$key` (salt and key in base64). */
export async function hashPin(pin: string, cost: { N: number; r: number; p: number } = DEFAULT_COST): Promise<string> {
  checkPinFormat(pin);
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(pin, salt, KEY_BYTES, { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 });
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

const HASH_RE = /^scrypt\$(\d{1,7})\$(\d{1,3})\$(\d{1,3})\$([A-Za-z0-9+/=]{16,})\$([A-Za-z0-9+/=]{16,})$/;

/** Throws a clear message when the stored hash is not one `hashPin` writes. */
export function checkPinHash(hash: string): void {
  const m = HASH_RE.exec(hash);
  if (!m) throw new Error('the stored PIN is not a PIN hash written by `cabine console --set-pin`');
  const N = Number(m[1]);
  if (N < 2 || (N & (N - 1)) !== 0) throw new Error('the stored PIN hash: scrypt N must be a power of two');
}

/** Whether `pin` matches `hash`; the comparison takes the same time whatever the PIN. */
export async function verifyPin(pin: string, hash: string): Promise<boolean> {
  checkPinHash(hash);
  const m = HASH_RE.exec(hash)!;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const salt = Buffer.from(m[4]!, 'base64');
  const expected = Buffer.from(m[5]!, 'base64');
  // Any input is hashed (even one that is not a well-formed PIN) so timing says nothing.
  const key = await scrypt(pin.slice(0, 64), salt, expected.length, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return timingSafeEqual(key, expected) && PIN_RE.test(pin);
}

export interface LockoutPolicy {
  /** Failures allowed before the first lockout. */
  freeFailures: number;
  /** First lockout; each further failure doubles it. */
  baseSeconds: number;
  /** Longest lockout. */
  maxSeconds: number;
  /** Failures older than this are forgotten. */
  forgetSeconds: number;
}

export const defaultLockoutPolicy: LockoutPolicy = { freeFailures: 3, baseSeconds: 30, maxSeconds: 3600, forgetSeconds: 24 * 3600 };

export interface LockoutState {
  failures: number;
  /** ms since epoch until which PIN attempts are refused, or null. */
  lockedUntil: number | null;
}

export interface Lockout {
  state(now: number): LockoutState;
  /** Records a failed attempt; returns the new state (locked when the policy says so). */
  failure(now: number): LockoutState;
  success(): void;
}

export function openLockout(store: Store, policy: LockoutPolicy, scope = 'pin'): Lockout {
  store.migrate('console', consoleMigrations);
  const db = store.db;
  const get = db.prepare<[string], { failures: number; last_failure_ms: number; locked_until_ms: number | null }>(
    'SELECT failures, last_failure_ms, locked_until_ms FROM console_lockout WHERE scope = ?',
  );
  const put = db.prepare<[string, number, number, number | null]>(
    `INSERT INTO console_lockout (scope, failures, last_failure_ms, locked_until_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT (scope) DO UPDATE SET failures = excluded.failures, last_failure_ms = excluded.last_failure_ms, locked_until_ms = excluded.locked_until_ms`,
  );
  const clear = db.prepare<[string]>('DELETE FROM console_lockout WHERE scope = ?');
  const read = (now: number): LockoutState => {
    const row = get.get(scope);
    if (!row || now - row.last_failure_ms > policy.forgetSeconds * 1000) return { failures: 0, lockedUntil: null };
    return { failures: row.failures, lockedUntil: row.locked_until_ms !== null && row.locked_until_ms > now ? row.locked_until_ms : null };
  };
  return {
    state: read,
    failure(now) {
      return store.transaction(() => {
        const failures = read(now).failures + 1;
        const over = failures - policy.freeFailures;
        const lockedUntil = over >= 0 ? now + Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.min(over, 30)) * 1000 : null;
        put.run(scope, failures, now, lockedUntil);
        return { failures, lockedUntil };
      });
    },
    success() {
      clear.run(scope);
    },
  };
}
