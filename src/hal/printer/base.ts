// What the IPP printer and the simulator share: polling the state on a timer and turning
// each state into the device health (fault when it cannot print, degraded when it warns),
// so `fault`/`recovered` fire on transitions only.
import type { Logger } from '../../log.ts';
import { every, systemClock, type Clock } from '../clock.ts';
import { BaseDevice } from '../device.ts';
import { assessReadiness, type JobStatus, type PrintDocument, type PrinterDevice, type PrinterState, type Readiness } from './interface.ts';

export abstract class PolledPrinter extends BaseDevice implements PrinterDevice {
  readonly name = 'printer';
  abstract readonly uri: string;
  protected state: PrinterState | undefined;
  private stopPolling: (() => void) | undefined;
  private polling: Promise<PrinterState> | undefined;

  constructor(
    protected readonly pollMs: number,
    protected readonly logger: Logger,
    /** Polls and timestamps (`checkedAt`) read this clock. */
    protected readonly clock: Clock = systemClock,
  ) {
    super();
  }

  /** Reads the state from the printer; unreachable is a state, not an exception. */
  protected abstract readState(signal?: AbortSignal): Promise<PrinterState>;
  abstract submit(document: PrintDocument, signal?: AbortSignal): Promise<JobStatus>;
  abstract job(id: string, expectedName?: string, signal?: AbortSignal): Promise<JobStatus | null>;
  abstract findJob(name: string, signal?: AbortSignal): Promise<JobStatus | null>;
  abstract cancel(id: string, signal?: AbortSignal): Promise<void>;

  async start(): Promise<void> {
    this.health = 'starting';
    await this.refresh();
    if (this.pollMs > 0 && !this.stopPolling) this.stopPolling = every(this.clock, this.pollMs, () => void this.refresh(), { unref: true });
  }

  async stop(): Promise<void> {
    this.stopPolling?.();
    this.stopPolling = undefined;
    await this.polling?.catch(() => undefined);
    this.markStopped();
  }

  /** Concurrent callers share one request. */
  refresh(signal?: AbortSignal): Promise<PrinterState> {
    if (!this.polling) {
      this.polling = this.readState(signal)
        .then((state) => {
          this.apply(state);
          return state;
        })
        .finally(() => {
          this.polling = undefined;
        });
    }
    return this.polling;
  }

  lastState(): PrinterState | undefined {
    return this.state;
  }

  readiness(): Readiness {
    return assessReadiness(this.state);
  }

  protected apply(state: PrinterState): void {
    const before = this.readiness();
    this.state = state;
    const now = this.readiness();
    if (!now.ok) {
      if (before.ok || before.reason !== now.reason) this.logger.warn({ state: state.state, reasons: state.reasons }, now.reason);
      this.markFault(now.reason, true, 'fault');
    } else if (now.warnings.length) {
      this.markFault(`printer warns: ${now.warnings.join(', ')}`, false, 'degraded');
    } else {
      if (!before.ok && this.health !== 'starting') this.logger.info({ state: state.state }, 'printer ready again');
      this.markOk(`${state.state}${state.makeAndModel ? ` (${state.makeAndModel})` : ''}`);
    }
  }

  protected override readings(): Record<string, unknown> | undefined {
    if (!this.state) return { uri: this.uri };
    const s = this.state;
    return { uri: this.uri, state: s.state, reasons: s.reasons, acceptingJobs: s.acceptingJobs, ...(s.message ? { message: s.message } : {}), checkedAt: s.checkedAt };
  }
}
