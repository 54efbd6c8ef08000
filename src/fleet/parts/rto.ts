// The records part's ack timeout, adapted to the measured ack round trip the way TCP sets its
// retransmission timeout (RFC 6298): a smoothed round-trip time (SRTT) and its mean deviation
// (RTTVAR) from each ack of a record sent once (Karn's rule: a resent record's ack cannot say
// which send it answers, so it is not sampled), and
//   timeout = clamp(SRTT + max(granularity, 4 × RTTVAR), floor, cap)
// with the configured ack timeout as the floor. A busy ingest whose acks take 20 s then gets
// ~20 s plus margin rather than a resend of the whole window every 15 s (a resend storm that
// feeds the backlog it comes from). Each timeout doubles the current value (up to the cap);
// progress brings it back to the computed timeout. Pure arithmetic on given times: testable
// without a clock. Hand-written: it is the 10 lines of RFC 6298 section 2.
export interface RtoOptions {
  /** Lowest timeout (ms): the configured ack timeout. */
  floorMs: number;
  /** Highest timeout (ms). */
  capMs: number;
  /** Clock granularity G of RFC 6298 (ms). */
  granularityMs?: number;
}

export class RetransmitTimer {
  private srtt: number | undefined;
  private rttvar = 0;
  private current: number;

  constructor(private readonly options: RtoOptions) {
    if (!(options.floorMs > 0) || !(options.capMs >= options.floorMs)) throw new Error(`ack timeout floor ${options.floorMs} ms and cap ${options.capMs} ms: need 0 < floor <= cap`);
    this.current = options.floorMs;
  }

  /** The timeout from the measurements alone (no backoff). */
  get computedMs(): number {
    if (this.srtt === undefined) return this.options.floorMs;
    const rto = this.srtt + Math.max(this.options.granularityMs ?? 100, 4 * this.rttvar);
    return Math.min(this.options.capMs, Math.max(this.options.floorMs, Math.ceil(rto)));
  }

  /** The timeout in force (computed, or backed off after timeouts). */
  get timeoutMs(): number {
    return this.current;
  }

  get smoothedRttMs(): number | undefined {
    return this.srtt;
  }

  /** One round trip measured (ms) on a record sent once; also ends any backoff. */
  sample(rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    if (this.srtt === undefined) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rttMs);
      this.srtt = 0.875 * this.srtt + 0.125 * rttMs;
    }
    this.current = this.computedMs;
  }

  /** Acks came (sampled or not): back to the computed timeout. */
  progress(): void {
    this.current = this.computedMs;
  }

  /** A timeout fired: double (up to the cap). */
  backoff(): void {
    this.current = Math.min(this.options.capMs, this.current * 2);
  }

  /** Forget the measurements (a new connection may take another path). Keeps nothing of the backoff. */
  reset(): void {
    this.srtt = undefined;
    this.rttvar = 0;
    this.current = this.options.floorMs;
  }
}
