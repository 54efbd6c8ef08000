// Storage alone, without MQTT or signature checks: records/s stored by FleetStore.storeBatch
// in batches of 500 (the ingest's batch), SQLite (fleet.db, WAL, synchronous=FULL) against
// PostgreSQL (our own server, fsync on, synchronous_commit on), and PostgreSQL with two
// stores writing at once (two ingest processes sharing the database).
// Run: node --import tsx bench/fleet-store.ts [records=20000] [photoBytes=2000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresFleetStore } from '../src/fleet/operator/store-postgres.ts';
import { openSqliteFleetStore } from '../src/fleet/operator/store-sqlite.ts';
import type { FleetStore, StoredRecord } from '../src/fleet/operator/store-types.ts';
import { startPostgres } from '../test/fleet/helpers/postgres.ts';
import { testBooth } from '../test/fleet/helpers/store-suite.ts';

const count = Number(process.argv[2] ?? 20_000);
const photoBytes = Number(process.argv[3] ?? 2000);
const booth = testBooth('BENCH-STORE');
const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(photoBytes, 1)]);
const records: StoredRecord[] = Array.from({ length: count }, (_, i) =>
  booth.record({ id: `r${i}`, type: 'session', at: new Date(1_780_000_000_000 + i * 1000).toISOString(), data: { code: `C${i}`, sessionId: `s${i}`, paidCents: 800 }, files: { photo } }),
);
const batches = (list: StoredRecord[]) => Array.from({ length: Math.ceil(list.length / 500) }, (_, i) => list.slice(i * 500, i * 500 + 500));

async function run(name: string, stores: FleetStore[]): Promise<void> {
  // each store takes every other batch, as ingests sharing a subscription would
  const all = batches(records);
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (store, k) => {
      for (let i = k; i < all.length; i += stores.length) await store.storeBatch(all[i]!);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const counts = await stores[0]!.counts();
  const t1 = performance.now();
  await stores[0]!.storeBatch(records.slice(0, 500));
  const dupMs = performance.now() - t1;
  console.log(`${name}: ${Math.round(count / s)} records/s stored (${counts.records} rows, ${counts.codes} codes); a batch of 500 duplicates in ${dupMs.toFixed(0)} ms`);
}

const dir = mkdtempSync(join(tmpdir(), 'cabine-bench-store-'));
const lite = openSqliteFleetStore(dir);
await run('SQLite', [lite]);
await lite.close();
rmSync(dir, { recursive: true, force: true });

const server = await startPostgres({ durable: true });
try {
  const one = await openPostgresFleetStore(await server.createDatabase('bench_one'));
  await run('PostgreSQL, one ingest', [one]);
  await one.close();
  const url = await server.createDatabase('bench_two');
  const two = [await openPostgresFleetStore(url), await openPostgresFleetStore(url)];
  await run('PostgreSQL, two ingests on one database', two);
  await Promise.all(two.map((s) => s.close()));
} finally {
  await server.stop();
}
console.log(`${count} records of ~${Math.round((photoBytes * 4) / 3 / 1000)} KB; machine shared with other jobs (2 cores): run several times`);
