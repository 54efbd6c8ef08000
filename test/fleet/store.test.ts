// The FleetStore behaviour suite against both implementations: SQLite (a temp dir) and
// PostgreSQL (our own server, a fresh database per case). Then what only PostgreSQL has:
// several ingests on one database, schema migration under concurrency, failed batches.
// Needs the Debian package `postgresql` (the test fails, with that said, without it).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openFleetStore } from '../../src/fleet/operator/store-open.ts';
import { durableTransaction, openPostgresFleetStore, POSTGRES_MIGRATIONS, redactUrl } from '../../src/fleet/operator/store-postgres.ts';
import { silentLogger } from '../../src/log.ts';
import { openSqliteFleetStore } from '../../src/fleet/operator/store-sqlite.ts';
import { SQLITE_MIGRATIONS } from '../../src/fleet/operator/db.ts';
import { openStore } from '../../src/store/db.ts';
import type { StoredRecord } from '../../src/fleet/operator/store-types.ts';
import { freePort } from './helpers/broker.ts';
import { startPostgres } from './helpers/postgres.ts';
import { fleetStoreSuite, sessionRecord, testBooth } from './helpers/store-suite.ts';

t.test('SQLite', async (t) => {
  fleetStoreSuite(t, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cabine-fleetstore-'));
    return { store: openSqliteFleetStore(dir), reopen: async () => openSqliteFleetStore(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  });
});

t.test('SQLite: a database made before records were keyed by (booth, id) is migrated with its content', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-fleetstore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const b = testBooth('MIG-1');
  const r1 = sessionRecord(b, 1, '2026-01-01T00:00:00.000Z');
  const old = openStore(dir, { file: 'fleet.db' });
  old.migrate('fleet', SQLITE_MIGRATIONS.slice(0, 1));
  old.db.prepare("INSERT INTO records (id, booth, type, at, received_at, key_id, record, sig, deliveries) VALUES (?, ?, 'session', ?, ?, ?, ?, ?, 2)").run(r1.record.id, b.id, r1.record.at, r1.record.at, r1.keyId, r1.recordText, r1.sig);
  old.db.prepare("INSERT INTO codes (code, record_id, booth, issued_at) VALUES ('MIGC0001', ?, ?, ?)").run(r1.record.id, b.id, r1.record.at);
  old.close();
  const store = openSqliteFleetStore(dir);
  t.teardown(() => store.close());
  t.same(await store.counts(), { records: 1, codes: 1, rejects: 0, deliveries: 2 }, 'records and codes kept');
  t.same(await store.storeBatch([r1]), ['duplicate'], 'and still recognised');
  const other = testBooth('MIG-2').record({ id: r1.record.id, type: 'payment', at: '2026-01-02T00:00:00.000Z', data: {} });
  t.same(await store.storeBatch([other]), ['new'], 'the same id from another booth is its own record');
});

t.test('PostgreSQL', async (t) => {
  const server = await startPostgres();
  t.teardown(() => server.stop());
  let n = 0;
  const freshDatabase = () => server.createDatabase(`fleet_${n++}`);

  t.test('behaviour suite', async (t) => {
    fleetStoreSuite(t, async () => {
      const url = await freshDatabase();
      return { store: await openPostgresFleetStore(url), reopen: () => openPostgresFleetStore(url), cleanup: async () => undefined };
    });
  });

  t.test('two ingests on one database: overlapping batches in opposite orders, each record once', async (t) => {
    const url = await freshDatabase();
    const one = await openPostgresFleetStore(url);
    const two = await openPostgresFleetStore(url);
    t.teardown(async () => {
      await one.close();
      await two.close();
    });
    const b = testBooth('CONC-1');
    const records = Array.from({ length: 400 }, (_, i) => sessionRecord(b, i, `2026-07-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`));
    const rounds = 5;
    const jobs: Promise<string[]>[] = [];
    for (let r = 0; r < rounds; r++) {
      jobs.push(one.storeBatch(records));
      jobs.push(two.storeBatch([...records].reverse()));
    }
    const results = await Promise.all(jobs);
    const fresh = results.reduce((sum, res) => sum + res.filter((o) => o === 'new').length, 0);
    t.equal(fresh, 400, 'each record reported new exactly once across both ingests');
    t.same(await one.counts(), { records: 400, codes: 400, rejects: 0, deliveries: 400 * 2 * rounds }, 'every delivery counted, nothing twice');
    t.same(await two.recordIds(), records.map((r) => r.record.id).sort(), 'each id once');
  });

  t.test('several processes opening a new database at once migrate it once', async (t) => {
    const url = await freshDatabase();
    const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresFleetStore(url)));
    t.teardown(() => Promise.all(stores.map((s) => s.close())));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    t.teardown(() => client.end());
    const rows = await client.query<{ owner: string; version: number }>('SELECT owner, version FROM cabine_schema_migrations ORDER BY version');
    t.same(rows.rows, POSTGRES_MIGRATIONS.map((_, i) => ({ owner: 'fleet', version: i + 1 })), 'one row per step');
    await client.query("INSERT INTO cabine_schema_migrations (owner, version) VALUES ('fleet', 99)");
    await t.rejects(openPostgresFleetStore(url), /schema of "fleet" is at version 99, newer than this software .*refusing to downgrade/, 'a newer schema is not touched');
  });

  t.test('a batch that fails stores nothing, and the store goes on', async (t) => {
    const store = await openPostgresFleetStore(await freshDatabase());
    t.teardown(() => store.close());
    const b = testBooth('ATOM-1');
    const good = sessionRecord(b, 1, '2026-08-01T00:00:00.000Z');
    // A raw U+0000 cannot come out of a verified record (JSON never holds one); forged here to
    // make the server refuse the second row of the batch.
    const bad: StoredRecord = { ...sessionRecord(b, 2, '2026-08-01T00:00:01.000Z'), recordText: 'broken\u0000text' };
    await t.rejects(store.storeBatch([good, bad]), /0x00|invalid byte sequence/, 'the server refuses the batch');
    t.same(await store.counts(), { records: 0, codes: 0, rejects: 0, deliveries: 0 }, 'not even the good record: one transaction');
    t.same(await store.storeBatch([good]), ['new'], 'the next batch is stored (the connection was given back clean)');
  });

  t.test('the server restarted under an open store: a failed call, then it works again', async (t) => {
    // The ingest does not ack a batch whose store call failed; the booth sends it again.
    const own = await startPostgres();
    t.teardown(() => own.stop());
    const store = await openPostgresFleetStore(await own.createDatabase('restart'));
    t.teardown(() => store.close());
    const b = testBooth('RST-1');
    t.same(await store.storeBatch([sessionRecord(b, 1, '2026-09-01T00:00:00.000Z')]), ['new']);
    const client = new pg.Client({ connectionString: own.url() });
    await client.connect();
    // every other connection is cut, as a server restart does
    await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname IS NOT NULL');
    await client.end();
    let stored: string[] | undefined;
    for (let i = 0; i < 3 && !stored; i++) stored = await store.storeBatch([sessionRecord(b, 2, '2026-09-01T00:00:01.000Z')]).catch(() => undefined);
    t.same(stored, ['new'], 'stored on a fresh connection');
    t.equal((await store.counts()).records, 2);
  });

  t.test('a connection cut between two statements of a transaction fails that call, not the process', async (t) => {
    const url = await freshDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    pool.on('error', () => undefined);
    t.teardown(() => pool.end());
    const cut = durableTransaction(pool, silentLogger(), async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      const killer = new pg.Client({ connectionString: url });
      await killer.connect();
      await killer.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await killer.end();
      await ended; // cut while checked out with no statement running: 'error' goes to the client
      await client.query('SELECT 1');
    });
    await t.rejects(cut, 'the call fails');
    t.same(await durableTransaction(pool, silentLogger(), async (client) => (await client.query<{ one: number }>('SELECT 1 AS one')).rows), [{ one: 1 }], 'the next call works on a fresh connection');
  });

  t.test('errors say where and why, without the password', async (t) => {
    const port = await freePort();
    const url = `postgres://fleet:s3cret@127.0.0.1:${port}/fleet`;
    const err = await openPostgresFleetStore(url, { connectTimeoutMs: 3000 }).then(
      () => undefined,
      (e: Error) => e,
    );
    t.ok(err, 'refused');
    t.match(err?.message, new RegExp(`cannot open the fleet database postgres://fleet:\\*\\*\\*@127\\.0\\.0\\.1:${port}/fleet: .*ECONNREFUSED`));
    t.notMatch(err?.message, /s3cret/);
    t.equal(redactUrl('postgresql://u:p%40ss@h/db?sslmode=require'), 'postgresql://u:***@h/db?sslmode=require');
    await t.rejects(openFleetStore({ db: 'mysql://x@y/z', dataDir: '/nonexistent' }), /--db must be a PostgreSQL URL/);
    const missing = await server.url('no_such_db');
    await t.rejects(openPostgresFleetStore(missing), /cannot open the fleet database .*no_such_db.*does not exist/);
  });

  t.test('openFleetStore: SQLite under the data dir without --db, PostgreSQL with it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cabine-fleetstore-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const lite = await openFleetStore({ dataDir: dir });
    t.equal(lite.kind, 'sqlite');
    t.equal(lite.location, join(dir, 'fleet.db'));
    await lite.close();
    const blank = await openFleetStore({ db: ' ', dataDir: dir });
    t.equal(blank.kind, 'sqlite', 'an empty CABINE_FLEET_DB means SQLite');
    await blank.close();
    const url = await freshDatabase();
    const pgStore = await openFleetStore({ db: url, dataDir: dir });
    t.equal(pgStore.kind, 'postgres');
    t.equal(pgStore.location, url);
    await pgStore.close();
  });
});
