// The e-photo service's behaviour suite on SQLite and on PostgreSQL (our own server).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresCollectorStore } from '../../src/collector/store-postgres.ts';
import { openSqliteCollectorStore } from '../../src/collector/store-sqlite.ts';
import { startPostgres } from '../fleet/helpers/postgres.ts';
import { collectorSuite } from './helpers/suite.ts';

t.test('SQLite', async (t) => {
  collectorSuite(t, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cabine-collector-'));
    return { store: openSqliteCollectorStore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });
});

t.test('PostgreSQL', async (t) => {
  const server = await startPostgres();
  t.teardown(() => server.stop());
  let n = 0;
  collectorSuite(t, async () => ({ store: await openPostgresCollectorStore(await server.createDatabase(`collector_${n++}`)), cleanup: async () => undefined }));
});
