// The console's audit trail: every login, failure, lockout, logout and command, in the
// booth's database before it is acted on, and forwarded to the booth (which sends it to the
// fleet as an event). Entries the booth could not take (booth down) stay marked unforwarded
// and are sent on the next successful contact.
import type { Store } from '../store/db.ts';
import type { AuditEvent } from './protocol.ts';

export const consoleMigrations: readonly string[] = [
  `CREATE TABLE console_audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     port TEXT NOT NULL,
     kind TEXT NOT NULL,
     command TEXT,
     outcome TEXT,
     detail TEXT,
     forwarded INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX console_audit_unforwarded ON console_audit (forwarded, id);
   CREATE TABLE console_lockout (
     scope TEXT PRIMARY KEY,
     failures INTEGER NOT NULL,
     last_failure_ms INTEGER NOT NULL,
     locked_until_ms INTEGER
   );`,
  `CREATE TABLE console_sales (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     enabled INTEGER NOT NULL,
     reason TEXT,
     at TEXT NOT NULL
   );`,
];

export interface AuditEntry extends AuditEvent {
  id: number;
}

export interface AuditLog {
  record(event: AuditEvent): AuditEntry;
  unforwarded(limit: number): AuditEntry[];
  markForwarded(id: number): void;
  tail(limit: number): AuditEntry[];
}

interface Row {
  id: number;
  at: string;
  port: string;
  kind: AuditEvent['kind'];
  command: string | null;
  outcome: AuditEvent['outcome'];
  detail: string | null;
}

const toEntry = (r: Row): AuditEntry => ({ id: r.id, at: r.at, port: r.port, kind: r.kind, command: r.command, outcome: r.outcome, detail: r.detail });

/** Creates the console tables (idempotent) and returns the audit log. */
export function openAuditLog(store: Store): AuditLog {
  store.migrate('console', consoleMigrations);
  const db = store.db;
  const insert = db.prepare<[string, string, string, string | null, string | null, string | null]>(
    'INSERT INTO console_audit (at, port, kind, command, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const pending = db.prepare<[number], Row>('SELECT * FROM console_audit WHERE forwarded = 0 ORDER BY id LIMIT ?');
  const mark = db.prepare<[number]>('UPDATE console_audit SET forwarded = 1 WHERE id = ?');
  const last = db.prepare<[number], Row>('SELECT * FROM (SELECT * FROM console_audit ORDER BY id DESC LIMIT ?) ORDER BY id');
  return {
    record(event) {
      const info = insert.run(event.at, event.port, event.kind, event.command, event.outcome, event.detail);
      return { ...event, id: Number(info.lastInsertRowid) };
    },
    unforwarded: (limit) => pending.all(limit).map(toEntry),
    markForwarded: (id) => void mark.run(id),
    tail: (limit) => last.all(limit).map(toEntry),
  };
}
