// The operator's ingest: one shared subscription ($share/ingest/cabine/v1/+/records) so
// several ingest processes split the load; each record is verified (envelope, booth of the
// topic, Ed25519 signature with the booth's enrolled key, file hashes), stored idempotently
// by (booth, id), and only then acknowledged on the booth's `records/ack`. Messages are taken in small
// batches: one SQLite transaction and one ack message per booth per batch.
// A record that fails verification is not acknowledged (the booth keeps it: an unenrolled
// booth's records wait until it is enrolled) and is counted in `rejects`.
// Verification (JSON, Ed25519, file hashes) starts as each message arrives, on the main thread
// or on a pool of worker threads (`workers`, verify-pool.ts); the batch then waits for its
// verdicts in arrival order, so storage and acks stay in order on the main thread while the
// next batch is being verified.
// A redelivery is not verified again: when a delivery's bytes start the way sealRecord writes
// them (`{"v":1,"booth":"<topic's booth>","keyId":"…","record":"{\"id\":\"<id>\",…`), the
// (booth, id) and the signature they end with are looked up first (`FleetStore.redelivered`, one
// query per turn of the event loop); a record already stored for that booth with that signature
// (Ed25519 is deterministic: the same text under the same key) is acked at once and counted as
// a duplicate: storing it again would change nothing, and the stored one was verified. Another
// text under a stored (booth, id) is verified and then refused by the store as a conflict,
// never acknowledged. The booth is the
// topic's, which the broker's ACL guarantees, so no booth can have another booth's records
// acked. A delivery whose bytes do not start that way is verified as usual. (A crafted payload
// that repeats keys so its prefix names a stored id but its body another record only gets
// that other record ignored: it is never acked, so the booth that crafted it keeps it.)
import type { Logger } from '../../log.ts';
import type { FleetConnection } from '../connection.ts';
import { RECORD_ID_RE } from '../schemas.ts';
import { parseTopic, topics } from '../topics.ts';
import type { FleetStore, RecordKey, StoredRecord } from './store-types.ts';
import { createVerifyPool, inlineVerifier, type RecordVerifier } from './verify-pool.ts';
import type { Verdict } from './verify-record.ts';

export interface IngestOptions {
  group?: string;
  /** Longest a record waits for its batch to be stored. */
  batchMs?: number;
  batchMax?: number;
  /** Verification worker threads (0, the default: verify on the main thread). Ignored with `verifier`. */
  workers?: number;
  /** Heap bound of each verification worker in MB (verify-pool.ts; default 512). */
  workerHeapMb?: number;
  /** Where to verify (default from `workers`); the ingest closes the one it creates only. */
  verifier?: RecordVerifier;
}

export interface IngestStats {
  received: number;
  stored: number;
  duplicates: number;
  rejected: number;
  acksSent: number;
}

/** A delivery of a record already stored for its booth: acked without verification. */
interface Known {
  ok: 'known';
  booth: string;
  id: string;
}

interface Pending {
  /** Lookup, then verification, under way since the message arrived. */
  verdict: Promise<Verdict | Known>;
}

// The prefix sealRecord writes (JSON.stringify of the envelope, then of the record: `v`, `booth`,
// `keyId`, `record` in that order, the record's `id` first). Ids and booth ids never need escaping.
const SEALED_PREFIX = /^\{"v":1,"booth":"([^"\\]{1,64})","keyId":"[0-9a-f]{16}","record":"\{\\"id\\":\\"([^"\\]{1,128})\\",/;
const PREFIX_BYTES = 320;

// The signature sealRecord writes last (Ed25519: 64 bytes, 88 base64 characters).
const SEALED_SUFFIX = /,"sig":"([A-Za-z0-9+/]{86}==)"\}$/;

/** The signature a delivery's bytes end with, when they end as sealRecord writes them. */
export function claimedSig(payload: Buffer): string | undefined {
  return SEALED_SUFFIX.exec(payload.toString('latin1', Math.max(0, payload.length - 120)))?.[1];
}

/** The record id a delivery's bytes claim, when they start as sealRecord writes them for `booth`. */
export function claimedRecordId(booth: string, payload: Buffer): string | undefined {
  const m = SEALED_PREFIX.exec(payload.toString('latin1', 0, Math.min(payload.length, PREFIX_BYTES)));
  if (!m || m[1] !== booth) return undefined;
  const id = m[2];
  return id !== undefined && RECORD_ID_RE.test(id) ? id : undefined;
}

export class Ingest {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly stats: IngestStats = { received: 0, stored: 0, duplicates: 0, rejected: 0, acksSent: 0 };
  private readonly logger: Logger;
  private readonly listeners = new Set<(stats: IngestStats) => void>();
  private readonly verifier: RecordVerifier;
  private readonly ownsVerifier: boolean;
  private lookups: { key: RecordKey; resolve: (known: boolean) => void; reject: (err: unknown) => void }[] = [];
  private lookupTimer: NodeJS.Immediate | undefined;

  constructor(
    private readonly db: FleetStore,
    private readonly conn: FleetConnection,
    logger: Logger,
    private readonly options: IngestOptions = {},
  ) {
    this.logger = logger.child({ module: 'fleet.ingest' });
    this.ownsVerifier = !options.verifier;
    this.verifier = options.verifier ?? (options.workers ? createVerifyPool(options.workers, this.logger, options.workerHeapMb ? { maxHeapMb: options.workerHeapMb } : {}) : inlineVerifier());
  }

  /** Worker threads verifying records (0: the main thread). */
  get workers(): number {
    return this.verifier.workers;
  }

  start(): void {
    this.conn.subscribe('ingest', topics.ingestShare(this.options.group ?? 'ingest'), 1, (topic, payload) => this.accept(topic, payload));
  }

  /** Takes one message of `cabine/v1/<booth>/records` into the next batch. */
  accept(topic: string, payload: Buffer): void {
    this.stats.received++;
    const where = parseTopic(topic);
    if (!where || where.rest !== 'records') return;
    const booth = where.booth;
    const id = claimedRecordId(booth, payload);
    const sig = id ? claimedSig(payload) : undefined;
    const verdict: Promise<Verdict | Known> = id && sig
      ? this.lookup({ booth, id, sig }).then((known): Verdict | Known | Promise<Verdict> => (known ? { ok: 'known' as const, booth, id } : this.verify(booth, payload)))
      : this.verify(booth, payload);
    verdict.catch(() => undefined); // awaited by its batch, which fails (nothing acked) on an error
    this.queue.push({ verdict });
    if (this.queue.length >= (this.options.batchMax ?? 500)) this.schedule(0);
    else this.schedule(this.options.batchMs ?? 10);
  }

  private schedule(delay: number): void {
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush()).catch((err: unknown) => this.logger.error({ err }, 'ingest batch failed'));
    }, delay);
  }

  private async verify(booth: string, payload: Buffer): Promise<Verdict> {
    const key = await this.db.boothKeyDer(booth);
    return this.verifier.verify(booth, payload, key);
  }

  /** Whether (booth, id) is stored (and then counted as one more delivery); one query per turn. */
  private lookup(key: RecordKey): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.lookups.push({ key, resolve, reject });
      this.lookupTimer ??= setImmediate(() => {
        this.lookupTimer = undefined;
        const asked = this.lookups;
        this.lookups = [];
        this.db.redelivered(asked.map((l) => l.key)).then(
          (found) => asked.forEach((l, i) => l.resolve(found[i] === true)),
          (err: unknown) => asked.forEach((l) => l.reject(err)),
        );
      });
    });
  }

  /** Verifies, stores and acknowledges everything queued. */
  async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const good: StoredRecord[] = [];
    const ackIds = new Map<string, Set<string>>();
    const ack = (booth: string, id: string) => {
      const ids = ackIds.get(booth) ?? new Set<string>();
      ids.add(id);
      ackIds.set(booth, ids);
    };
    for (const verdict of await Promise.all(batch.map((p) => p.verdict))) {
      if (verdict.ok === 'known') {
        this.stats.duplicates++;
        ack(verdict.booth, verdict.id);
      } else if (verdict.ok) good.push(verdict.stored);
      else await this.rejectRecord(verdict.booth, verdict.id, verdict.reason);
    }
    if (good.length > 0) {
      const outcomes = await this.db.storeBatch(good);
      for (const [i, r] of good.entries()) {
        const outcome = outcomes[i];
        if (outcome === 'conflict') {
          // Another text under the same (booth, id): never acknowledged, the booth keeps it.
          await this.rejectRecord(r.record.booth, r.record.id, 'conflict: a different record with this id is stored for this booth');
          continue;
        }
        if (outcome === 'new') this.stats.stored++;
        else this.stats.duplicates++;
        ack(r.record.booth, r.record.id);
      }
    }
    if (ackIds.size === 0) return;
    // Stored (durably: the transaction returned) → acknowledge. A lost ack is harmless: the
    // booth sends the record again and this answers the duplicate with a new ack.
    // Not awaited: the next batch need not wait for these PUBACKs.
    for (const [booth, ids] of ackIds) {
      this.conn.publish(topics.recordsAck(booth), JSON.stringify({ ids: [...ids] }), { qos: 1 }).then(
        () => (this.stats.acksSent += ids.size),
        (err: Error) => this.logger.warn({ booth, count: ids.size, err: err.message }, 'ack not delivered; the booth will send again'),
      );
    }
    for (const listener of this.listeners) listener(this.getStats());
  }

  private async rejectRecord(booth: string, id: string | undefined, reason: string): Promise<void> {
    this.stats.rejected++;
    await this.db.reject(booth, id, reason);
    this.logger.warn({ booth, id, reason }, 'record rejected');
  }

  getStats(): IngestStats {
    return { ...this.stats };
  }

  /** Calls `listener` after every stored batch. */
  onBatch(listener: (stats: IngestStats) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.conn.unsubscribeOwner('ingest');
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
    if (this.ownsVerifier) await this.verifier.close();
  }
}
