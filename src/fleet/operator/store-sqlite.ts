// The SQLite FleetStore: the synchronous FleetDb (db.ts) behind the async interface. Each call
// runs to completion before its promise settles, so the order of calls is the order of effects.
import { openFleetDb, type FleetDb } from './db.ts';
import type { FleetStore } from './store-types.ts';

/** Wraps an open FleetDb; `close()` closes it. */
export function sqliteFleetStore(db: FleetDb): FleetStore {
  // Every method runs synchronously inside an async function: a thrown error becomes a rejection.
  return {
    kind: 'sqlite',
    location: db.store.path,
    enrol: async (booth, publicKeyPem, certSerial) => db.enrol(booth, publicKeyPem, certSerial),
    boothKey: async (booth) => db.boothKey(booth),
    boothKeyDer: async (booth) => db.boothKeyDer(booth),
    booths: async () => db.booths(),
    storeBatch: async (records) => db.storeBatch(records),
    redelivered: async (keys) => db.redelivered(keys),
    reject: async (booth, recordId, reason) => db.reject(booth, recordId, reason),
    rejects: async () => db.rejects(),
    counts: async () => db.counts(),
    codes: async (options) => db.codes(options),
    recordText: async (id, booth) => db.recordText(id, booth),
    recordIds: async () => db.recordIds(),
    boothActivity: async () => db.boothActivity(),
    close: async () => db.close(),
  };
}

/** Opens (creating if needed) `<dir>/<file>` as a FleetStore. */
export function openSqliteFleetStore(dir: string, file = 'fleet.db'): FleetStore {
  return sqliteFleetStore(openFleetDb(dir, file));
}
