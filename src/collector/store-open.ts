// Which database the collector uses: the same as the ingest's (PostgreSQL with a postgres://
// URL, else fleet.db under the data directory).
import { resolve } from 'node:path';
import type { Logger } from '../log.ts';
import { isPostgresUrl, redactUrl } from '../fleet/operator/store-postgres.ts';
import type { CollectorStore } from './store.ts';
import { openPostgresCollectorStore } from './store-postgres.ts';
import { openSqliteCollectorStore } from './store-sqlite.ts';

export async function openCollectorStore(options: { db?: string | undefined; dataDir: string; logger?: Logger }): Promise<CollectorStore> {
  const db = options.db?.trim();
  if (!db) return openSqliteCollectorStore(resolve(options.dataDir));
  if (!isPostgresUrl(db)) throw new Error(`--db must be a PostgreSQL URL (postgres://user@host:port/database), got "${redactUrl(db)}"`);
  return openPostgresCollectorStore(db, options.logger ? { logger: options.logger } : {});
}
