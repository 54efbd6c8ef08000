// The booth's own guard on its control socket: the socket is the booth's, so the booth (not
// the console that connects to it) checks the technician PIN, applies the lockout, grants a
// session, and writes the audit trail. A client that has not proven the PIN on its
// connection gets nothing but the login state (whether a PIN is set, the lockout): no device,
// cash, customer or config data, no change.
//
// - The PIN hash lives in its own file (`console.pinFile`, default data.dir/console-pin.hash),
//   readable by the booth's user only: a file that group or others may read is refused.
// - A successful login grants a random token (kept hashed in the booth's database, expiring
//   after `console.idleTimeoutSeconds` without a request), so the console resumes its session
//   after the booth restarts without sending the PIN again.
// - Audit entries (`console_audit`) are written here, and sent to the fleet as `console.<kind>`
//   events: a client cannot write or forge one.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { writeFileDurably } from '../store/files.ts';
import type { Store } from '../store/db.ts';
import { openAuditLog, type AuditLog } from './audit.ts';
import { checkPinHash, defaultLockoutPolicy, openLockout, verifyPin, type LockoutPolicy } from './auth.ts';
import type { AuditEvent, LoginResult, LoginState } from './protocol.ts';

export interface ControlGateOptions {
  store: Store;
  pinFile: string;
  lockout: LockoutPolicy;
  /** A granted session ends after this long without a request. */
  idleTimeoutMs: number;
  logger: Logger;
  /** Sends an audit entry to the fleet as an event; false when it could not be sent now. */
  publish?: (event: AuditEvent) => boolean;
  now?: () => number;
}

/** A connection's proof of the PIN. */
export interface Grant {
  readonly tokenHash: string;
  readonly port: string;
}

export interface ControlGate {
  state(): LoginState;
  /** Checks the PIN (unless locked out); a good one grants a session. */
  login(pin: string, port: string): Promise<{ result: LoginResult; grant?: Grant }>;
  /** The session of a token granted earlier (and not expired), or undefined. */
  resume(token: string, port: string): Grant | undefined;
  /** Whether the grant is still valid; each use pushes its expiry back. */
  touch(grant: Grant): boolean;
  end(grant: Grant, kind: 'logout' | 'idle-timeout' | 'disconnect', detail?: string | null): void;
  record(event: Omit<AuditEvent, 'at'>): void;
}

const TOKEN_BYTES = 32;
/** A token is a session, not a password: expired ones are swept at each login. */
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const gateMigrations: readonly string[] = [
  `CREATE TABLE console_grants (
     token_hash TEXT PRIMARY KEY,
     port TEXT NOT NULL,
     granted_at_ms INTEGER NOT NULL,
     expires_ms INTEGER NOT NULL
   );`,
];

/** Reads the PIN hash file: undefined when none is set; throws when it cannot be trusted. */
export function readPinFile(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) throw new Error(`the PIN file ${file} may be read by others (mode ${mode.toString(8).padStart(4, '0')}); run \`cabine console --set-pin\` again or chmod 600 it`);
  const hash = readFileSync(file, 'utf8').trim();
  if (!hash) return undefined;
  checkPinHash(hash);
  return hash;
}

export function createControlGate(options: ControlGateOptions): ControlGate {
  const { store } = options;
  const now = options.now ?? Date.now;
  const log = options.logger.child({ module: 'console-gate' });
  const audit: AuditLog = openAuditLog(store);
  const lockout = openLockout(store, options.lockout);
  store.migrate('console-gate', gateMigrations);
  const db = store.db;
  const insertGrant = db.prepare<[string, string, number, number]>('INSERT INTO console_grants (token_hash, port, granted_at_ms, expires_ms) VALUES (?, ?, ?, ?)');
  const findGrant = db.prepare<[string, number], { port: string }>('SELECT port FROM console_grants WHERE token_hash = ? AND expires_ms > ?');
  const extendGrant = db.prepare<[number, string, number]>('UPDATE console_grants SET expires_ms = ? WHERE token_hash = ? AND expires_ms > ?');
  const dropGrant = db.prepare<[string]>('DELETE FROM console_grants WHERE token_hash = ?');
  const sweepGrants = db.prepare<[number]>('DELETE FROM console_grants WHERE expires_ms <= ?');

  const record = (event: Omit<AuditEvent, 'at'>): void => {
    const full: AuditEvent = { ...event, at: new Date(now()).toISOString() };
    try {
      const entry = audit.record(full);
      if (options.publish?.(full)) audit.markForwarded(entry.id);
    } catch (err) {
      // A full disk must not lock the technician out of the booth they came to fix.
      log.error({ err }, 'console audit not written');
    }
  };

  const pinHash = (): { hash?: string; problem?: string } => {
    try {
      const hash = readPinFile(options.pinFile);
      return hash ? { hash } : {};
    } catch (err) {
      return { problem: (err as Error).message };
    }
  };

  const state = (): LoginState => {
    const pin = pinHash();
    const lock = lockout.state(now());
    return {
      pinSet: pin.hash !== undefined,
      ...(pin.problem ? { problem: pin.problem } : {}),
      failures: lock.failures,
      lockedUntil: lock.lockedUntil !== null ? new Date(lock.lockedUntil).toISOString() : null,
    };
  };

  return {
    state,
    async login(pin, port) {
      const before = lockout.state(now());
      // Typed while locked: not even checked (and not recorded, so a flood cannot fill the disk).
      if (before.lockedUntil !== null) return { result: { outcome: 'locked', failures: before.failures, lockedUntil: new Date(before.lockedUntil).toISOString() } };
      const stored = pinHash();
      if (!stored.hash) {
        const detail = stored.problem ?? 'no PIN set';
        record({ kind: 'login-failed', port, command: null, outcome: 'refused', detail });
        return { result: { outcome: 'no-pin', detail } };
      }
      const good = await verifyPin(pin, stored.hash);
      if (good) {
        lockout.success();
        const token = randomBytes(TOKEN_BYTES).toString('base64url');
        const grant: Grant = { tokenHash: sha256(token), port };
        sweepGrants.run(now());
        insertGrant.run(grant.tokenHash, port, now(), now() + options.idleTimeoutMs);
        record({ kind: 'login', port, command: null, outcome: 'ok', detail: null });
        return { result: { outcome: 'ok', token }, grant };
      }
      const after = lockout.failure(now());
      record({ kind: 'login-failed', port, command: null, outcome: 'refused', detail: `wrong PIN (${after.failures} in a row)` });
      const lockedUntil = after.lockedUntil !== null ? new Date(after.lockedUntil).toISOString() : null;
      if (after.lockedUntil !== null) {
        const seconds = Math.ceil((after.lockedUntil - now()) / 1000);
        record({ kind: 'locked-out', port, command: null, outcome: 'refused', detail: `${after.failures} wrong PINs, locked ${seconds} s` });
      }
      return { result: { outcome: 'wrong', failures: after.failures, lockedUntil } };
    },
    resume(token, port) {
      const tokenHash = sha256(token);
      const row = findGrant.get(tokenHash, now());
      if (!row) return undefined;
      extendGrant.run(now() + options.idleTimeoutMs, tokenHash, now());
      return { tokenHash, port };
    },
    touch(grant) {
      return extendGrant.run(now() + options.idleTimeoutMs, grant.tokenHash, now()).changes === 1;
    },
    end(grant, kind, detail = null) {
      dropGrant.run(grant.tokenHash);
      record({ kind, port: grant.port, command: null, outcome: 'ok', detail });
    },
    record,
  };
}

/** The PIN hash file: `console.pinFile`, or `console-pin.hash` in the data dir. */
export function pinFileOf(config: Config): string {
  return config.console.pinFile ?? join(config.data.dir, 'console-pin.hash');
}

/**
 * A booth provisioned before the PIN file existed has its hash in the config file: it is
 * moved to the PIN file (0600) once, and the booth says the config key should go.
 */
export function moveLegacyPinHash(config: Config, logger: Logger): void {
  const legacy = config.console.pinHash;
  if (!legacy) return;
  const file = pinFileOf(config);
  const log = logger.child({ module: 'console-gate' });
  if (!existsSync(file)) {
    checkPinHash(legacy);
    writeFileDurably(file, legacy + '\n', 0o600);
    log.warn({ pinFile: file }, 'console.pinHash moved from the config to the PIN file; remove it from the config (cabine console --set-pin does)');
  } else {
    log.warn({ pinFile: file }, 'console.pinHash in the config is ignored: the PIN file holds the PIN; remove the key');
  }
}

/** The fleet event an audit entry becomes (`console.login`, `console.command`...). */
export function auditFleetEvent(event: AuditEvent): { type: string; severity: 'info' | 'warning'; message: string; at: string; data: Record<string, unknown> } {
  return {
    type: `console.${event.kind}`,
    severity: event.kind === 'locked-out' ? 'warning' : 'info',
    message: `console ${event.kind}${event.command ? `: ${event.command}` : ''}${event.detail ? ` (${event.detail})` : ''}`,
    at: event.at,
    data: { ...event },
  };
}

/** The booth's gate, from its config (the composition root calls this). */
export function controlGateFor(config: Config, store: Store, logger: Logger, publishEvent?: (event: ReturnType<typeof auditFleetEvent>) => boolean): ControlGate {
  moveLegacyPinHash(config, logger);
  return createControlGate({
    store,
    pinFile: pinFileOf(config),
    lockout: { ...defaultLockoutPolicy, freeFailures: config.console.freeFailures, baseSeconds: config.console.lockoutSeconds },
    idleTimeoutMs: config.console.idleTimeoutSeconds * 1000,
    logger,
    ...(publishEvent ? { publish: (event: AuditEvent) => publishEvent(auditFleetEvent(event)) } : {}),
  });
}
