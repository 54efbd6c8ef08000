// The operator's purge of personal data: a code's photo and signature leave the store once the
// code is used plus a grace period (the state's system has them; the grace covers a support
// check), or at its expiry when nobody used it. The record stays with every other field and
// each file's type, size and SHA-256, so status, support and exports still answer; the purge
// is audited per code. The booth's signature over the record no longer verifies after this
// (its files are gone): the purge row and the audit say why.
import type { Logger } from '../log.ts';
import { expiresAtOf } from './lifecycle.ts';
import { runPeriodically } from './periodic.ts';
import type { CollectorStore, PurgeScanRow } from './store.ts';

const PURGE_GROUP = 10;

export interface PurgeOptions {
  /** How long after use the files stay (ms). */
  graceMs: number;
  now?: Date;
  /** Codes looked at per step of the walk (default 50). */
  window?: number;
}

/** The record text without the bytes of its files (everything else kept as it was). */
export function withoutFileBytes(recordText: string): string {
  const record = JSON.parse(recordText) as { files?: Record<string, { base64?: string }> };
  for (const file of Object.values(record.files ?? {})) if (file && typeof file === 'object') file.base64 = '';
  return JSON.stringify(record);
}

/** Why a code's files must go now, if they must: the same expiry as the status (lifecycle.ts). */
export function purgeReasonOf(row: PurgeScanRow, now: Date, graceMs: number): 'used' | 'expired' | undefined {
  if (row.purged) return undefined;
  if (row.usedAt) return Date.parse(row.usedAt) <= now.getTime() - graceMs ? 'used' : undefined;
  return now.getTime() >= Date.parse(expiresAtOf(row.issuedAt, row.expires)) ? 'expired' : undefined;
}

/**
 * Purges every code due now; returns how many. Walks every code in bounded steps and lets other
 * work run between steps: with SQLite the store is synchronous, and one query over a million
 * codes would stall every pull and status request for seconds.
 */
export async function purgeDue(store: CollectorStore, options: PurgeOptions): Promise<{ used: number; expired: number }> {
  const now = options.now ?? new Date();
  const at = now.toISOString();
  const window = options.window ?? 50;
  const counts = { used: 0, expired: 0 };
  const yieldToOthers = () => new Promise((resolve) => setImmediate(resolve));
  for (let after = ''; ; ) {
    const rows = await store.codesAfter(after, window);
    const due = rows.flatMap((row) => {
      const why = purgeReasonOf(row, now, options.graceMs);
      return why ? [{ code: row.code, booth: row.booth, recordId: row.recordId, why }] : [];
    });
    // A few codes per transaction: one commit for many codes, yet no long hold of the database.
    for (let i = 0; i < due.length; i += PURGE_GROUP) {
      const items = [];
      for (const candidate of due.slice(i, i + PURGE_GROUP)) {
        const text = await store.recordText(candidate.code);
        // (no record text: nothing to rewrite, but the code is still marked purged)
        items.push({ candidate, text: text === undefined ? '' : withoutFileBytes(text) });
        counts[candidate.why]++;
      }
      await store.purge(items, at);
      await yieldToOthers();
    }
    if (rows.length < window) return counts;
    after = rows[rows.length - 1]!.code;
    await yieldToOthers();
  }
}

/** Runs `purgeDue` now and then every `everyMs`; `stop()` waits for a pass under way. */
export function startPurger(store: CollectorStore, options: { graceMs: number; everyMs: number; logger: Logger }): { stop(): Promise<void> } {
  const logger = options.logger.child({ module: 'collector.purge' });
  return runPeriodically(
    async () => {
      const started = performance.now();
      const n = await purgeDue(store, { graceMs: options.graceMs });
      // Every pass says it ended and how long it took (operators size --purge-every by it).
      logger.info({ ...n, ms: Math.round(performance.now() - started) }, n.used + n.expired > 0 ? 'photos and signatures purged' : 'purge pass: nothing due');
    },
    options.everyMs,
    logger,
    'purge',
  );
}
