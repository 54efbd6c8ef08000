// The session journal: every fact of every session, appended to SQLite (synchronous=FULL,
// one transaction per entry) before the machine acts on it. Read back at boot to finish what
// was paid for. Entries are validated on the way out: a damaged row is reported by number.
import type { Store } from '../store/db.ts';
import { factSchema, type Fact } from './model.ts';

export interface JournalEntry {
  seq: number;
  sessionId: string;
  at: string;
  fact: Fact;
}

export interface Journal {
  /** Appends one fact at `at` (the machine's clock); durable when it returns (throws e.g. SQLITE_FULL on a full disk). */
  append(sessionId: string, fact: Fact, at: Date): JournalEntry;
  /** The facts of one session, in order. */
  entries(sessionId: string): JournalEntry[];
  /** Sessions whose SESSION_ENDED is not in the journal, oldest first. */
  openSessions(): string[];
  /** Every session id, oldest first (for audits and tests). */
  sessions(): string[];
}

export const flowsMigrations: readonly string[] = [
  `CREATE TABLE flows_journal (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     session_id TEXT NOT NULL,
     at TEXT NOT NULL,
     type TEXT NOT NULL,
     data TEXT NOT NULL
   );
   CREATE INDEX flows_journal_session ON flows_journal (session_id, seq);
   CREATE TABLE flows_sessions (
     session_id TEXT PRIMARY KEY,
     first_seq INTEGER NOT NULL,
     ended_seq INTEGER,
     outcome TEXT
   );`,
];

export class JournalCorruptError extends Error {
  constructor(
    readonly seq: number,
    readonly sessionId: string,
    detail: string,
  ) {
    super(`journal entry #${seq} of session ${sessionId} is damaged: ${detail}`);
    this.name = 'JournalCorruptError';
  }
}

interface Row {
  seq: number;
  session_id: string;
  at: string;
  type: string;
  data: string;
}

export function openJournal(store: Store): Journal {
  store.migrate('flows', flowsMigrations);
  const db = store.db;
  const insert = db.prepare<[string, string, string, string]>('INSERT INTO flows_journal (session_id, at, type, data) VALUES (?, ?, ?, ?)');
  const startSession = db.prepare<[string, number]>('INSERT INTO flows_sessions (session_id, first_seq) VALUES (?, ?)');
  const endSession = db.prepare<[number, string, string]>('UPDATE flows_sessions SET ended_seq = ?, outcome = ? WHERE session_id = ?');
  const bySession = db.prepare<[string], Row>('SELECT * FROM flows_journal WHERE session_id = ? ORDER BY seq');
  const open = db.prepare<[], { session_id: string }>('SELECT session_id FROM flows_sessions WHERE ended_seq IS NULL ORDER BY first_seq');
  const all = db.prepare<[], { session_id: string }>('SELECT session_id FROM flows_sessions ORDER BY first_seq');

  const parse = (row: Row): JournalEntry => {
    let data: unknown;
    try {
      data = JSON.parse(row.data);
    } catch {
      throw new JournalCorruptError(row.seq, row.session_id, 'not JSON');
    }
    const parsed = factSchema.safeParse(data);
    if (!parsed.success) throw new JournalCorruptError(row.seq, row.session_id, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (parsed.data.type !== row.type) throw new JournalCorruptError(row.seq, row.session_id, `type column ${row.type} differs from ${parsed.data.type}`);
    return { seq: row.seq, sessionId: row.session_id, at: row.at, fact: parsed.data };
  };

  return {
    append(sessionId, fact, at) {
      const checked = factSchema.parse(fact);
      return store.transaction(() => {
        const info = insert.run(sessionId, at.toISOString(), checked.type, JSON.stringify(checked));
        const seq = Number(info.lastInsertRowid);
        if (checked.type === 'SESSION_STARTED') startSession.run(sessionId, seq);
        if (checked.type === 'SESSION_ENDED') endSession.run(seq, checked.outcome, sessionId);
        return { seq, sessionId, at: at.toISOString(), fact: checked };
      });
    },
    entries: (sessionId) => bySession.all(sessionId).map(parse),
    openSessions: () => open.all().map((r) => r.session_id),
    sessions: () => all.all().map((r) => r.session_id),
  };
}
