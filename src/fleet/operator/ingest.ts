// The operator's ingest: one shared subscription ($share/ingest/cabine/v1/+/records) so
// several ingest processes split the load; each record is verified (envelope, booth of the
// topic, Ed25519 signature with the booth's enrolled key, file hashes), stored idempotently
// by id, and only then acknowledged on the booth's `records/ack`. Messages are taken in small
// batches: one SQLite transaction and one ack message per booth per batch.
// A record that fails verification is not acknowledged (the booth keeps it: an unenrolled
// booth's records wait until it is enrolled) and is counted in `rejects`.
// Verification (JSON, Ed25519, file hashes) starts as each message arrives, on the main thread
// or on a pool of worker threads (`workers`, verify-pool.ts); the batch then waits for its
// verdicts in arrival order, so storage and acks stay in order on the main thread while the
// next batch is being verified.
import type { Logger } from '../../log.ts';
import type { FleetConnection } from '../connection.ts';
import { parseTopic, topics } from '../topics.ts';
import type { FleetStore, StoredRecord } from './store-types.ts';
import { createVerifyPool, inlineVerifier, type RecordVerifier } from './verify-pool.ts';
import type { Verdict } from './verify-record.ts';

export interface IngestOptions {
  group?: string;
  /** Longest a record waits for its batch to be stored. */
  batchMs?: number;
  batchMax?: number;
  /** Verification worker threads (0, the default: verify on the main thread). Ignored with `verifier`. */
  workers?: number;
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

interface Pending {
  /** Verification under way since the message arrived. */
  verdict: Promise<Verdict>;
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

  constructor(
    private readonly db: FleetStore,
    private readonly conn: FleetConnection,
    logger: Logger,
    private readonly options: IngestOptions = {},
  ) {
    this.logger = logger.child({ module: 'fleet.ingest' });
    this.ownsVerifier = !options.verifier;
    this.verifier = options.verifier ?? (options.workers ? createVerifyPool(options.workers, this.logger) : inlineVerifier());
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
    const verdict = this.verify(where.booth, payload);
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
    const key = await this.db.boothKey(booth);
    return this.verifier.verify(booth, payload, key);
  }

  /** Verifies, stores and acknowledges everything queued. */
  async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const good: StoredRecord[] = [];
    for (const verdict of await Promise.all(batch.map((p) => p.verdict))) {
      if (verdict.ok) good.push(verdict.stored);
      else await this.rejectRecord(verdict.booth, verdict.id, verdict.reason);
    }
    if (good.length === 0) return;
    const fresh = await this.db.storeBatch(good);
    const ackIds = new Map<string, Set<string>>();
    good.forEach((r, i) => {
      if (fresh[i]) this.stats.stored++;
      else this.stats.duplicates++;
      const ids = ackIds.get(r.record.booth) ?? new Set<string>();
      ids.add(r.record.id);
      ackIds.set(r.record.booth, ids);
    });
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
