// Push: for a collector that wants codes pushed rather than pulled. Each stored code is queued
// per target (durably, in push_queue) and POSTed as the pull API's JSON body with
// `Idempotency-Key: <code>`: pending → sent (a request went out) → acknowledged (a 2xx, or a
// 409 "already have it"). A failure, a timeout or a refusal keeps the row `sent` and schedules
// the next attempt with exponential backoff and jitter (base × 2^(attempts-1), capped);
// a code that expired, was used through the pull API, or lost its files before any target took
// it is `abandoned`. The queue survives restarts: a row `sent` when the process stopped is
// simply sent again, which the idempotency key makes harmless for the target.
// Feed: codes whose record was stored within `lookbackMs` (default 14 days) that have no row
// for the target yet: by the time the collector received them, not when the booth issued them,
// so a booth that was offline for weeks still has its codes pushed.
import type { Logger } from '../log.ts';
import { expiresAtOf } from './lifecycle.ts';
import { runPeriodically } from './periodic.ts';
import { ephotoOf } from './service.ts';
import type { CollectorStore, PushRow } from './store.ts';

export interface PushTarget {
  /** The URL codes are POSTed to. */
  url: string;
  /** Extra fetch options (a dispatcher with client certificates, ...). */
  init?: RequestInit;
}

export interface PushOptions {
  target: PushTarget;
  /** How long one attempt may take (default 10 s). */
  timeoutMs?: number;
  /** First retry delay (default 5 s) and cap (default 1 h). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How far back (by the time their record was stored) the feed looks for codes not yet queued (default 14 days). */
  lookbackMs?: number;
  /** Rows per pass (default 50). */
  batch?: number;
  now?: () => Date;
  random?: () => number;
}

/** The delay before attempt `attempts + 1`: base · 2^(attempts-1), capped, with ±20 % jitter. */
export function backoffMs(attempts: number, base: number, max: number, random: () => number = Math.random): number {
  const raw = Math.min(max, base * 2 ** Math.max(0, attempts - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

/** One pass: queue new codes, then attempt every due row once. Returns what happened. */
export async function pushPass(store: CollectorStore, options: PushOptions): Promise<{ queued: number; acknowledged: number; failed: number; abandoned: number }> {
  const now = options.now ?? (() => new Date());
  const target = options.target.url;
  const out = { queued: 0, acknowledged: 0, failed: 0, abandoned: 0 };
  const start = now();
  out.queued = await store.queueNewCodes(target, new Date(start.getTime() - (options.lookbackMs ?? 14 * 86400_000)).toISOString(), start.toISOString(), 10_000);
  for (const row of await store.duePushes(target, start.toISOString(), options.batch ?? 50)) {
    const result = await attempt(store, row, options, now);
    out[result]++;
  }
  return out;
}

async function attempt(store: CollectorStore, row: PushRow, options: PushOptions, now: () => Date): Promise<'acknowledged' | 'failed' | 'abandoned'> {
  const state = await store.lookup(row.code);
  const at = now();
  const expired = state ? at.getTime() >= Date.parse(expiresAtOf(state.issuedAt, state.expires)) : true;
  const body = state && !expired && !state.usedAt ? ephotoOf(state, await store.recordText(row.code)) : undefined;
  if (!body) {
    const why = !state ? 'no longer stored' : state.usedAt ? 'used through the pull API' : expired ? 'expired' : 'no photo or signature in the record';
    await store.updatePush({ ...row, state: 'abandoned', lastError: why }, at.toISOString());
    return 'abandoned';
  }
  // Durably "sent" before the request leaves: a crash now means "send again", never "lost".
  const sent: PushRow = { ...row, state: 'sent', attempts: row.attempts + 1, sentAt: at.toISOString() };
  await store.updatePush(sent, at.toISOString());
  let error: string;
  try {
    const response = await fetch(options.target.url, {
      ...options.target.init,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': row.code },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok || response.status === 409) {
      const done = now().toISOString();
      await store.updatePush({ ...sent, state: 'acknowledged', ackedAt: done, lastError: null }, done);
      return 'acknowledged';
    }
    error = `HTTP ${response.status}`;
  } catch (err) {
    error = (err as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs ?? 10_000} ms` : `${(err as Error).message}`;
  }
  const next = new Date(now().getTime() + backoffMs(sent.attempts, options.backoffBaseMs ?? 5_000, options.backoffMaxMs ?? 3600_000, options.random));
  await store.updatePush({ ...sent, nextAt: next.toISOString(), lastError: error.slice(0, 300) }, now().toISOString());
  return 'failed';
}

/** Runs passes every `everyMs` (one at a time); `stop()` waits for the pass under way. */
export function startPusher(store: CollectorStore, options: PushOptions & { everyMs: number; logger: Logger }): { stop(): Promise<void> } {
  const logger = options.logger.child({ module: 'collector.push' });
  return runPeriodically(
    async () => {
      const n = await pushPass(store, options);
      if (n.failed + n.abandoned > 0) logger.warn({ ...n, target: options.target.url }, 'push attempts failed; retried with backoff');
    },
    options.everyMs,
    logger,
    'push',
  );
}
