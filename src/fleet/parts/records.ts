// Records: the durable outbox drained to `records`, oldest first, with at most `window`
// records awaiting their application-level ack. A PUBACK only says the broker has it; a record
// leaves the outbox when the fleet's ingest names its id on `records/ack` after storing it.
// After any reconnect (or reboot) every waiting record is sent again from the oldest; records
// whose ack does not come within the ack timeout are sent again (timeout doubling up to a cap),
// which covers acks lost on the way. Duplicates are expected: the ingest is idempotent by id.
// The ack timeout adapts to the measured ack round trip (rto.ts, RFC 6298), the configured
// value being its floor, so a slow ingest does not get the whole window resent every timeout.
import type { Outbox } from '../../store/outbox.ts';
import { ackSchema } from '../schemas.ts';
import { topics } from '../topics.ts';
import type { FleetPart, PartContext } from './part.ts';
import { RetransmitTimer } from './rto.ts';

export interface RecordsOptions {
  outbox: Outbox;
  window: number;
  /** Lowest resend delay of unacknowledged records: the floor of the adaptive timeout (doubles on each timeout up to maxAckTimeoutMs). */
  ackTimeoutMs?: number;
  maxAckTimeoutMs?: number;
}

export interface RecordsStats {
  sent: number;
  resent: number;
  acked: number;
  inFlight: number;
  /** The ack timeout in force (ms). */
  ackTimeoutMs: number;
  /** Smoothed ack round trip (ms); null before the first measurement. */
  srttMs: number | null;
}

export class RecordsPart implements FleetPart {
  readonly name = 'records';
  private readonly inflight = new Map<string, { seq: number; sentAt: number; resent: boolean }>();
  private cursor = 0;
  private readonly rto: RetransmitTimer;
  private timer: NodeJS.Timeout | undefined;
  private readonly stats = { sent: 0, resent: 0, acked: 0 };
  private readonly drainedWaiters = new Set<() => void>();
  private readonly onConnect = () => this.rewind();
  private readonly onOffline = () => {
    this.inflight.clear();
    this.cursor = 0;
  };

  constructor(
    private readonly ctx: PartContext,
    private readonly options: RecordsOptions,
  ) {
    const floorMs = options.ackTimeoutMs ?? 15_000;
    this.rto = new RetransmitTimer({ floorMs, capMs: Math.max(floorMs, options.maxAckTimeoutMs ?? 300_000) });
  }

  start(): void {
    this.ctx.conn.on('connect', this.onConnect);
    this.ctx.conn.on('offline', this.onOffline);
    this.ctx.conn.subscribe(this.name, topics.recordsAck(this.ctx.booth), 1, (_topic, payload) => this.handleAck(payload));
    const tick = Math.max(50, Math.min(1000, Math.floor((this.options.ackTimeoutMs ?? 15_000) / 4)));
    this.timer = setInterval(() => this.checkTimeouts(), tick);
    this.timer.unref?.();
    if (this.ctx.conn.connected) this.rewind();
  }

  /** Sends everything waiting again from the oldest (on connect, and the outbox-flush command). */
  rewind(): number {
    this.inflight.clear();
    this.cursor = 0;
    this.rto.progress(); // ends any backoff; the measured round trip is kept
    this.pump();
    return this.options.outbox.depth();
  }

  /** Sends what the window allows (called after each enqueue and each ack). */
  pump(): void {
    const { conn } = this.ctx;
    while (conn.connected) {
      const free = this.options.window - this.inflight.size;
      if (free <= 0) return;
      const items = this.options.outbox.list(this.cursor, free);
      if (items.length === 0) return;
      for (const item of items) {
        this.cursor = item.seq;
        this.inflight.set(item.id, { seq: item.seq, sentAt: Date.now(), resent: false });
        this.stats.sent++;
        this.send(item.id, item.payload);
      }
    }
  }

  private send(id: string, payload: Buffer): void {
    this.ctx.conn.publish(topics.records(this.ctx.booth), payload, { qos: 1, properties: { contentType: 'application/json' } }).catch((err: Error) => {
      // Offline: resent on reconnect. Refused by the broker: resent on the ack timeout.
      this.ctx.logger.debug({ id, err: err.message }, 'record not delivered to the broker');
    });
  }

  private handleAck(payload: Buffer): void {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      this.ctx.logger.warn('records/ack is not JSON; ignored');
      return;
    }
    const parsed = ackSchema.safeParse(json);
    if (!parsed.success) {
      this.ctx.logger.warn({ issue: parsed.error.issues[0]?.message }, 'invalid records/ack ignored');
      return;
    }
    let progress = false;
    const removed = this.options.outbox.ackMany(parsed.data.ids);
    this.stats.acked += removed.length;
    if (removed.length > 0) progress = true;
    const now = Date.now();
    let oldest: number | undefined;
    for (const id of parsed.data.ids) {
      const f = this.inflight.get(id);
      if (!f) continue;
      this.inflight.delete(id);
      progress = true;
      // one sample per ack message, from its longest-waiting record sent once (the timeout
      // must cover the oldest record in flight)
      if (!f.resent) oldest = Math.min(oldest ?? Infinity, f.sentAt);
    }
    if (oldest !== undefined) this.rto.sample(now - oldest);
    else if (progress) this.rto.progress();
    this.pump();
    if (this.options.outbox.depth() === 0) {
      for (const resolve of this.drainedWaiters) resolve();
      this.drainedWaiters.clear();
    }
  }

  private checkTimeouts(): void {
    if (!this.ctx.conn.connected || this.inflight.size === 0) return;
    const now = Date.now();
    let oldest = Infinity;
    for (const f of this.inflight.values()) oldest = Math.min(oldest, f.sentAt);
    if (now - oldest < this.rto.timeoutMs) return;
    const ids = [...this.inflight.entries()].sort((a, b) => a[1].seq - b[1].seq);
    this.ctx.logger.info({ count: ids.length, timeoutMs: this.rto.timeoutMs, srttMs: this.rto.smoothedRttMs }, 'records not acknowledged in time; sending them again');
    for (const [id, f] of ids) {
      const item = this.options.outbox.get(id);
      if (!item) {
        this.inflight.delete(id);
        continue;
      }
      f.sentAt = now;
      f.resent = true;
      this.stats.resent++;
      this.send(id, item.payload);
    }
    this.rto.backoff();
    this.pump();
  }

  inFlight(): number {
    return this.inflight.size;
  }

  getStats(): RecordsStats {
    return { ...this.stats, inFlight: this.inflight.size, ackTimeoutMs: this.rto.timeoutMs, srttMs: this.rto.smoothedRttMs ?? null };
  }

  /** Resolves when the outbox is empty. */
  drained(): Promise<void> {
    if (this.options.outbox.depth() === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.add(resolve));
  }

  stop(): void {
    this.ctx.conn.off('connect', this.onConnect);
    this.ctx.conn.off('offline', this.onOffline);
    this.ctx.conn.unsubscribeOwner(this.name);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.inflight.clear();
  }
}
