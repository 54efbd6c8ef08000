// The purge's command-line options, one definition for every command that purges the fleet
// store (`cabine collector`, `cabine fleet ingest`): the same names, defaults, limits, meaning
// of 0 and error messages, and one way from them to the purger.
import type { Command } from 'commander';
import { numberUpTo } from '../args.ts';
import type { Logger } from '../log.ts';
import { startPurger } from './purge.ts';
import type { CollectorStore } from './store.ts';

export const MAX_GRACE_HOURS = 24 * 366;
export const MAX_PURGE_EVERY_SECONDS = 86400;

/** The options' values as commander gives them. */
export interface PurgeOptionValues {
  purgeGraceHours: string;
  purgeEvery: string;
}

/** When the purge runs; `everyMs` undefined: not in this process (--purge-every 0). */
export interface PurgeSchedule {
  graceMs: number;
  everyMs: number | undefined;
}

/** Adds --purge-grace-hours and --purge-every to `command`. */
export function withPurgeOptions(command: Command): Command {
  return command
    .option('--purge-grace-hours <h>', `how long photo and signature stay after the code is used (0 to ${MAX_GRACE_HOURS})`, '24')
    .option(
      '--purge-every <seconds>',
      `how often photos and signatures past their time are purged (up to ${MAX_PURGE_EVERY_SECONDS}; 0: not by this process, when another collector or ingest purges the same store)`,
      '600',
    );
}

/** The checked values (a clear error names the option and what it got). */
export function purgeSchedule(values: PurgeOptionValues): PurgeSchedule {
  const graceHours = numberUpTo(values.purgeGraceHours, '--purge-grace-hours', MAX_GRACE_HOURS);
  const everySeconds = numberUpTo(values.purgeEvery, '--purge-every', MAX_PURGE_EVERY_SECONDS);
  return { graceMs: graceHours * 3600_000, everyMs: everySeconds === 0 ? undefined : everySeconds * 1000 };
}

/** Starts the purger as scheduled; says so when this process does not purge (the operator must know). */
export function startScheduledPurger(store: CollectorStore, schedule: PurgeSchedule, logger: Logger): { stop(): Promise<void> } | undefined {
  if (schedule.everyMs === undefined) {
    logger.warn('--purge-every 0: this process does not purge photos and signatures (another collector or ingest on the same store must)');
    return undefined;
  }
  return startPurger(store, { graceMs: schedule.graceMs, everyMs: schedule.everyMs, logger });
}
