// Telemetry: every fleet.telemetrySeconds (and on connect, and on the `telemetry` command),
// the booth's counters plus host health and outbox depth, retained (QoS 0) so an operator
// tool sees every booth's last figures at once.
import type { Outbox } from '../../store/outbox.ts';
import { hostMetrics, processMetrics } from '../host.ts';
import { topics } from '../topics.ts';
import type { TelemetryMessage, TelemetrySnapshot } from '../schemas.ts';
import type { FleetPart, PartContext } from './part.ts';

const EMPTY: TelemetrySnapshot = {
  sessions: { started: 0, completed: 0, cancelled: 0 },
  revenueCents: 0,
  coins: {},
  retakes: {},
  printer: { state: 'unknown', mediaLeft: null },
};

export class TelemetryPart implements FleetPart {
  readonly name = 'telemetry';
  private timer: NodeJS.Timeout | undefined;
  private readonly onConnect = () => void this.publish();

  constructor(
    private readonly ctx: PartContext,
    private readonly options: { periodSeconds: number; dataDir: string; outbox: Outbox; inFlight: () => number },
  ) {}

  start(): void {
    this.ctx.conn.on('connect', this.onConnect);
    this.timer = setInterval(() => void this.publish(), this.options.periodSeconds * 1000);
    this.timer.unref?.();
  }

  snapshot(): TelemetryMessage {
    let counters = EMPTY;
    try {
      counters = this.ctx.hooks.telemetry();
    } catch (err) {
      this.ctx.logger.warn({ err }, 'booth counters unavailable');
    }
    const box = this.options.outbox;
    let update;
    try {
      update = this.ctx.hooks.updateReport?.();
    } catch (err) {
      this.ctx.logger.warn({ err }, 'update state unavailable');
    }
    return {
      booth: this.ctx.booth,
      at: new Date().toISOString(),
      counters,
      host: hostMetrics(this.options.dataDir),
      process: { ...processMetrics(), version: this.ctx.version },
      outbox: { depth: box.depth(), bytes: box.bytes(), oldestAt: box.oldestAt() ?? null, inFlight: this.options.inFlight() },
      ...(update ? { update } : {}),
    };
  }

  async publish(): Promise<TelemetryMessage> {
    const message = this.snapshot();
    if (this.ctx.conn.connected) {
      await this.ctx.conn.publish(topics.telemetry(this.ctx.booth), JSON.stringify(message), { qos: 0, retain: true }).catch((err: Error) => {
        this.ctx.logger.debug({ err: err.message }, 'telemetry not published');
      });
    }
    return message;
  }

  stop(): void {
    this.ctx.conn.off('connect', this.onConnect);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
