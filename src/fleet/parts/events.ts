// Events: alarms and faults, QoS 1. While offline the latest ones wait in a bounded memory
// queue (oldest dropped first, and counted): events are for live attention; anything the
// back-office must never lose is a record, which is durable.
import { eventSchema, type FleetEvent } from '../schemas.ts';
import { topics } from '../topics.ts';
import type { FleetPart, PartContext } from './part.ts';

export class EventsPart implements FleetPart {
  readonly name = 'events';
  private readonly queue: FleetEvent[] = [];
  private dropped = 0;
  private flushing = false;
  private readonly onConnect = () => void this.flush();

  constructor(
    private readonly ctx: PartContext,
    private readonly capacity = 200,
  ) {}

  start(): void {
    this.ctx.conn.on('connect', this.onConnect);
  }

  publish(event: FleetEvent): void {
    const parsed = eventSchema.safeParse({ booth: this.ctx.booth, ...event });
    if (!parsed.success) {
      this.ctx.logger.warn({ event, issue: parsed.error.issues[0]?.message }, 'invalid event not published');
      return;
    }
    this.queue.push(parsed.data);
    while (this.queue.length > this.capacity) {
      this.queue.shift();
      this.dropped++;
    }
    void this.flush();
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      if (this.dropped > 0 && this.ctx.conn.connected) {
        const lost: FleetEvent = {
          type: 'events.dropped',
          severity: 'warning',
          message: `${this.dropped} events dropped while offline`,
          at: new Date().toISOString(),
          booth: this.ctx.booth,
          data: { dropped: this.dropped },
        };
        this.dropped = 0;
        this.queue.unshift(lost);
      }
      while (this.queue.length > 0 && this.ctx.conn.connected) {
        const event = this.queue[0]!;
        try {
          await this.ctx.conn.publish(topics.events(this.ctx.booth), JSON.stringify(event), { qos: 1 });
          this.queue.shift();
        } catch {
          break; // offline: retried on the next connect
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  pending(): number {
    return this.queue.length;
  }

  stop(): void {
    this.ctx.conn.off('connect', this.onConnect);
  }
}
