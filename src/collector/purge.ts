// The operator's purge of personal data: a code's photo and signature leave the store once the
// code is used plus a grace period (the state's system has them; the grace covers a support
// check), or at its expiry when nobody used it. The record stays with every other field and
// each file's type, size and SHA-256, so status, support and exports still answer; the purge
// is audited per code. The booth's signature over the record no longer verifies after this
// (its files are gone): the purge row and the audit say why.
import type { Logger } from '../log.ts';
import { addMonths } from '../codes/registry.ts';
import { VALIDITY_MONTHS } from './lifecycle.ts';
import { runPeriodically } from './periodic.ts';
import type { CollectorStore } from './store.ts';

export interface PurgeOptions {
  /** How long after use the files stay (ms). */
  graceMs: number;
  now?: Date;
  /** Codes per pass (default 500). */
  batch?: number;
}

/** The record text without the bytes of its files (everything else kept as it was). */
export function withoutFileBytes(recordText: string): string {
  const record = JSON.parse(recordText) as { files?: Record<string, { base64?: string }> };
  for (const file of Object.values(record.files ?? {})) if (file && typeof file === 'object') file.base64 = '';
  return JSON.stringify(record);
}

/** Purges every code due now; returns how many. */
export async function purgeDue(store: CollectorStore, options: PurgeOptions): Promise<{ used: number; expired: number }> {
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const counts = { used: 0, expired: 0 };
  const usedBefore = new Date(now.getTime() - options.graceMs).toISOString();
  const issuedBefore = addMonths(now, -VALIDITY_MONTHS).toISOString();
  for (;;) {
    const due = await store.purgeCandidates({ usedBefore, issuedBefore, now: at, limit: options.batch ?? 500 });
    for (const candidate of due) {
      const text = await store.recordText(candidate.code);
      // (no record text: nothing to rewrite, but the code is still marked, so the loop ends)
      await store.purge(candidate, text === undefined ? '' : withoutFileBytes(text), at);
      counts[candidate.why]++;
    }
    if (due.length < (options.batch ?? 500)) return counts;
  }
}

/** Runs `purgeDue` now and then every `everyMs`; `stop()` waits for a pass under way. */
export function startPurger(store: CollectorStore, options: { graceMs: number; everyMs: number; logger: Logger }): { stop(): Promise<void> } {
  const logger = options.logger.child({ module: 'collector.purge' });
  return runPeriodically(
    async () => {
      const n = await purgeDue(store, { graceMs: options.graceMs });
      if (n.used + n.expired > 0) logger.info(n, 'photos and signatures purged');
    },
    options.everyMs,
    logger,
    'purge',
  );
}
