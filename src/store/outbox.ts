// The durable records outbox: business records (issued codes, payments, sessions) wait here
// until the fleet acknowledges them by id. A small interface (put / list / ack / depth), in the
// spirit of MQTT.js's Store, so the fleet code never sees SQL and tests can run the same
// behaviour suite against the SQLite outbox and the in-memory one.
//
// Rules every implementation keeps:
// - `put` is idempotent by id: putting an id already queued (or already acknowledged and
//   deleted, within the memory of acknowledged ids) changes nothing and says so;
// - items come out in insertion order (`seq` grows strictly);
// - `ack` deletes the item; acknowledging an unknown id is harmless (duplicate acks happen);
// - in the SQLite outbox, a `put` that returned survives a power cut (synchronous=FULL).
import type { Store } from './db.ts';

export interface OutboxItem {
  /** Order of insertion; strictly increasing, never reused. */
  seq: number;
  /** Unique id of the record (the ingest is idempotent by it). */
  id: string;
  /** The bytes to publish (a signed record envelope). */
  payload: Buffer;
  /** ISO time of insertion. */
  createdAt: string;
}

export interface PutResult {
  seq: number;
  /** False when the id was already queued or already acknowledged. */
  inserted: boolean;
}

export interface Outbox {
  put(id: string, payload: Buffer): PutResult;
  /** Up to `limit` items with seq > `afterSeq`, oldest first. */
  list(afterSeq: number, limit: number): OutboxItem[];
  get(id: string): OutboxItem | undefined;
  /** Deletes the item; true if it was queued. */
  ack(id: string): boolean;
  /** Deletes several items at once (one transaction); returns the ids that were queued. */
  ackMany(ids: readonly string[]): string[];
  depth(): number;
  /** Bytes of all payloads waiting. */
  bytes(): number;
  /** The oldest waiting item's insertion time, if any. */
  oldestAt(): string | undefined;
}

const MIGRATIONS = [
  `CREATE TABLE outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     payload BLOB NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE outbox_acked (
     id TEXT PRIMARY KEY,
     acked_at TEXT NOT NULL
   );`,
];

/** How many acknowledged ids each outbox remembers, so a late re-enqueue is not re-sent. */
const ACKED_MEMORY = 100_000;
/** The SQLite outbox forgets the acknowledged ids beyond its memory once per this many acks. */
const TRIM_EVERY_ACKS = 1000;

export interface OutboxOptions {
  /** Acknowledged ids remembered (default 100 000); the oldest are forgotten first. */
  ackedMemory?: number;
}

interface Row {
  seq: number;
  id: string;
  payload: Buffer;
  created_at: string;
}

const toItem = (row: Row): OutboxItem => ({ seq: row.seq, id: row.id, payload: row.payload, createdAt: row.created_at });

/** The outbox in the booth database (tables `outbox`, `outbox_acked`, migrations owner "outbox"). */
export function createSqliteOutbox(store: Store, options: OutboxOptions = {}): Outbox {
  const ackedMemory = options.ackedMemory ?? ACKED_MEMORY;
  store.migrate('outbox', MIGRATIONS);
  const db = store.db;
  const findQueued = db.prepare<[string], { seq: number }>('SELECT seq FROM outbox WHERE id = ?');
  const findAcked = db.prepare<[string], { id: string }>('SELECT id FROM outbox_acked WHERE id = ?');
  const insert = db.prepare<[string, Buffer, string]>('INSERT INTO outbox (id, payload, created_at) VALUES (?, ?, ?)');
  const list = db.prepare<[number, number], Row>('SELECT seq, id, payload, created_at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?');
  const get = db.prepare<[string], Row>('SELECT seq, id, payload, created_at FROM outbox WHERE id = ?');
  const del = db.prepare<[string]>('DELETE FROM outbox WHERE id = ?');
  const remember = db.prepare<[string, string]>('INSERT OR IGNORE INTO outbox_acked (id, acked_at) VALUES (?, ?)');
  const forget = db.prepare<[number]>(
    'DELETE FROM outbox_acked WHERE rowid <= (SELECT MAX(rowid) FROM outbox_acked) - ?',
  );
  const depth = db.prepare<[], { n: number; b: number | null; oldest: string | null }>(
    'SELECT COUNT(*) AS n, SUM(LENGTH(payload)) AS b, MIN(created_at) AS oldest FROM outbox',
  );
  let acksSinceTrim = 0;

  return {
    put(id, payload) {
      return store.transaction(() => {
        const queued = findQueued.get(id);
        if (queued) return { seq: queued.seq, inserted: false };
        if (findAcked.get(id)) return { seq: 0, inserted: false };
        const info = insert.run(id, payload, new Date().toISOString());
        return { seq: Number(info.lastInsertRowid), inserted: true };
      });
    },
    list(afterSeq, limit) {
      return list.all(afterSeq, limit).map(toItem);
    },
    get(id) {
      const row = get.get(id);
      return row ? toItem(row) : undefined;
    },
    ack(id) {
      return this.ackMany([id]).length === 1;
    },
    ackMany(ids) {
      return store.transaction(() => {
        const now = new Date().toISOString();
        const removed: string[] = [];
        for (const id of ids) {
          if (del.run(id).changes === 0) continue;
          removed.push(id);
          remember.run(id, now);
          acksSinceTrim++;
        }
        if (acksSinceTrim >= TRIM_EVERY_ACKS) {
          acksSinceTrim = 0;
          forget.run(ackedMemory);
        }
        return removed;
      });
    },
    // An aggregate without GROUP BY always returns one row; SUM and MIN are NULL when empty.
    depth() {
      return depth.get()!.n;
    },
    bytes() {
      return depth.get()!.b ?? 0;
    },
    oldestAt() {
      return depth.get()!.oldest ?? undefined;
    },
  };
}

/** An outbox in memory: for tests and for tools that need no durability. */
export function createMemoryOutbox(options: OutboxOptions = {}): Outbox {
  const ackedMemory = options.ackedMemory ?? ACKED_MEMORY;
  const items = new Map<string, OutboxItem>();
  const acked = new Set<string>();
  let lastSeq = 0;
  return {
    put(id, payload) {
      const queued = items.get(id);
      if (queued) return { seq: queued.seq, inserted: false };
      if (acked.has(id)) return { seq: 0, inserted: false };
      const item = { seq: ++lastSeq, id, payload: Buffer.from(payload), createdAt: new Date().toISOString() };
      items.set(id, item);
      return { seq: item.seq, inserted: true };
    },
    list(afterSeq, limit) {
      const out: OutboxItem[] = [];
      for (const item of items.values()) {
        // Map iteration is insertion order, which is seq order.
        if (item.seq > afterSeq) out.push(item);
        if (out.length >= limit) break;
      }
      return out;
    },
    get(id) {
      return items.get(id);
    },
    ackMany(ids) {
      return ids.filter((id) => this.ack(id));
    },
    ack(id) {
      const removed = items.delete(id);
      if (removed) {
        acked.add(id);
        // A Set iterates in insertion order: the first is the oldest acknowledged id.
        if (acked.size > ackedMemory) acked.delete(acked.values().next().value as string);
      }
      return removed;
    },
    depth() {
      return items.size;
    },
    bytes() {
      let total = 0;
      for (const item of items.values()) total += item.payload.length;
      return total;
    },
    oldestAt() {
      return items.values().next().value?.createdAt;
    },
  };
}
