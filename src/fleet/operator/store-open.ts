// Which fleet store the operator's tools use: PostgreSQL when a postgres:// URL is given
// (`--db`, or CABINE_FLEET_DB), else the SQLite file `fleet.db` under the data directory.
import { resolve } from 'node:path';
import type { Logger } from '../../log.ts';
import { isPostgresUrl, openPostgresFleetStore, redactUrl } from './store-postgres.ts';
import { openSqliteFleetStore } from './store-sqlite.ts';
import type { FleetStore } from './store-types.ts';

export interface FleetStoreOptions {
  /** postgres://user[:password]@host[:port]/database[?sslmode=...]; absent or '' = SQLite. */
  db?: string | undefined;
  /** Directory of the SQLite file (used when `db` is absent). */
  dataDir: string;
  logger?: Logger;
}

export async function openFleetStore(options: FleetStoreOptions): Promise<FleetStore> {
  const db = options.db?.trim();
  if (!db) return openSqliteFleetStore(resolve(options.dataDir));
  if (!isPostgresUrl(db)) {
    throw new Error(`--db must be a PostgreSQL URL (postgres://user@host:port/database), got "${redactUrl(db)}"; leave it out to use the SQLite file under --data`);
  }
  return openPostgresFleetStore(db, options.logger ? { logger: options.logger } : {});
}
