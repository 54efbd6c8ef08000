// Presence: `status` retained, "online" with the booth's status on every connect and whenever
// the booth says its status changed; the retained last will (set on the connection) says
// "offline" when the connection is lost; a clean stop publishes "offline" itself.
import { topics } from '../topics.ts';
import type { StatusMessage } from '../schemas.ts';
import type { FleetPart, PartContext } from './part.ts';

export function offlineStatus(booth: string, version: string, reason: string): StatusMessage {
  return { state: 'offline', booth, version, at: new Date().toISOString(), reason };
}

export class PresencePart implements FleetPart {
  readonly name = 'presence';
  private since: string | undefined;
  private readonly onConnect = () => {
    this.since = new Date().toISOString();
    void this.publish();
  };

  constructor(private readonly ctx: PartContext) {}

  start(): void {
    this.ctx.conn.on('connect', this.onConnect);
    if (this.ctx.conn.connected) this.onConnect();
  }

  /** Publishes the current status now (call when sales, step or devices change). */
  async publish(): Promise<void> {
    if (!this.ctx.conn.connected) return;
    let status;
    try {
      status = this.ctx.hooks.status();
    } catch (err) {
      this.ctx.logger.warn({ err }, 'booth status unavailable');
    }
    const message: StatusMessage = {
      state: 'online',
      booth: this.ctx.booth,
      version: this.ctx.version,
      at: new Date().toISOString(),
      ...(this.since ? { since: this.since } : {}),
      ...(status ? { status } : {}),
    };
    await this.ctx.conn.publish(topics.status(this.ctx.booth), JSON.stringify(message), { qos: 1, retain: true }).catch((err: Error) => {
      this.ctx.logger.debug({ err: err.message }, 'status not published');
    });
  }

  async stop(): Promise<void> {
    this.ctx.conn.off('connect', this.onConnect);
    if (!this.ctx.conn.connected) return;
    const message = offlineStatus(this.ctx.booth, this.ctx.version, 'clean shutdown');
    await this.ctx.conn.publish(topics.status(this.ctx.booth), JSON.stringify(message), { qos: 1, retain: true }).catch(() => undefined);
  }
}
