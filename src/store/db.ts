// The one module that owns the SQLite connection. Every other module receives a Store and
// declares its own tables through `migrate(owner, steps)`: versioned per owner, applied once,
// each step in a transaction, so modules stay independent yet share one durable file.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

export interface Store {
  readonly db: Db;
  readonly path: string;
  /** Applies the migrations of `owner` not yet applied; steps are append-only SQL scripts. */
  migrate(owner: string, steps: readonly string[]): void;
  /** Runs `fn` in one IMMEDIATE transaction (all or nothing, durable once it returns). */
  transaction<T>(fn: () => T): T;
  close(): void;
}

export interface OpenStoreOptions {
  /** File name inside the data dir (default booth.db); ':memory:' for throw-away stores. */
  file?: string;
}

/**
 * Opens (creating if needed) the booth database in `dataDir`.
 * WAL so readers never block the session; synchronous=FULL because this file holds money,
 * codes and the session journal: a commit that returned survives a power cut.
 */
export function openStore(dataDir: string, options: OpenStoreOptions = {}): Store {
  const file = options.file ?? 'booth.db';
  let path = file;
  if (file !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    path = join(dataDir, file);
  }
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    owner TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (owner, version)
  )`);

  const currentVersion = db.prepare<[string], { v: number | null }>(
    'SELECT MAX(version) AS v FROM schema_migrations WHERE owner = ?',
  );
  const recordVersion = db.prepare<[string, number]>('INSERT INTO schema_migrations (owner, version) VALUES (?, ?)');

  return {
    db,
    path,
    migrate(owner, steps) {
      const applied = currentVersion.get(owner)?.v ?? 0;
      if (applied > steps.length) {
        throw new Error(`database schema of "${owner}" is at version ${applied}, newer than this software (${steps.length}); refusing to downgrade`);
      }
      for (let version = applied + 1; version <= steps.length; version++) {
        const sql = steps[version - 1] as string;
        db.transaction(() => {
          db.exec(sql);
          recordVersion.run(owner, version);
        }).immediate();
      }
    },
    transaction(fn) {
      return db.transaction(fn).immediate();
    },
    close() {
      if (db.open) db.close();
    },
  };
}
