// A staged roll-out of a release: the `update` command sent to a fraction of the online
// booths (a sample that is the same for the same release, different from one release to the
// next), a few at a time; each booth's outcome is read from its telemetry `update` report
// (done once the new release passed its health gate on the booth and the booth is back
// online with it; failed or rolled-back otherwise). After `maxFailures` failures no further
// booth is asked: the booths already updating finish, the others keep their release.
import { createHash } from 'node:crypto';
import type { FleetConnection } from '../connection.ts';
import { parseBoundedJson } from '../json-limits.ts';
import { statusSchema, telemetrySchema, type UpdateReport } from '../schemas.ts';
import { topics } from '../topics.ts';
import { fleetSnapshot, requestCommand } from './client.ts';

export interface RolloutRelease {
  url: string;
  sha256: string;
  version: string;
}

export interface RolloutOptions {
  release: RolloutRelease;
  /** Share of the eligible booths (online, on another release) to update, 0 < f <= 1. */
  fraction: number;
  /** Only booths whose id starts with this (a site, a region). */
  prefix?: string;
  /** Stop asking further booths once this many failed. */
  maxFailures: number;
  /** Booths updating at the same time. */
  parallel: number;
  /** Per booth: from the command to its outcome. */
  timeoutMs: number;
  /** How long retained status and telemetry are gathered to see the fleet. */
  snapshotMs?: number;
  log?: (line: string) => void;
}

export interface RolloutResult {
  version: string;
  /** Booths chosen, in the order they were asked. */
  chosen: string[];
  updated: string[];
  failed: { booth: string; reason: string }[];
  /** Refused for now (a customer in the booth): not failures, to be asked again later. */
  busy: string[];
  /** Chosen but never asked, because the roll-out stopped. */
  notAsked: string[];
  /** Online booths on another release, not chosen this time. */
  left: string[];
  stopped: boolean;
}

/** A stable pseudo-random order of the booths for this release. */
const sampleKey = (version: string, booth: string) => createHash('sha256').update(`${version}\u0000${booth}`).digest('hex');

export function chooseBooths(eligible: readonly string[], version: string, fraction: number): { chosen: string[]; left: string[] } {
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`the fraction must be in (0, 1], got ${fraction}`);
  const ordered = [...eligible].sort((a, b) => sampleKey(version, a).localeCompare(sampleKey(version, b)));
  const n = eligible.length === 0 ? 0 : Math.max(1, Math.ceil(fraction * eligible.length));
  return { chosen: ordered.slice(0, n), left: ordered.slice(n) };
}

type Outcome = { ok: true } | { ok: false; busy?: boolean; reason: string };

/** Asks one booth to update and waits for its outcome. */
async function updateOne(conn: FleetConnection, booth: string, options: RolloutOptions): Promise<Outcome> {
  const { version } = options.release;
  const owner = `rollout-${booth}`;
  let report: UpdateReport | undefined;
  let baselineAt: string | undefined;
  let onlineVersion: string | undefined;
  let wake: () => void = () => undefined;
  const take = (topic: string, body: Buffer) => {
    const bounded = parseBoundedJson(body.toString('utf8'));
    if (!bounded.ok) return;
    if (topic === topics.telemetry(booth)) {
      const tel = telemetrySchema.safeParse(bounded.value);
      if (tel.success && tel.data.update) report = tel.data.update;
    } else {
      const status = statusSchema.safeParse(bounded.value);
      if (status.success) onlineVersion = status.data.state === 'online' ? status.data.version : undefined;
    }
    wake();
  };
  conn.subscribe(owner, topics.telemetry(booth), 0, take);
  conn.subscribe(owner, topics.status(booth), 1, take);
  try {
    // The retained report from before this command is not this update's outcome.
    await new Promise((r) => setTimeout(r, Math.min(1000, options.snapshotMs ?? 1000)));
    baselineAt = report?.at;
    const answer = await requestCommand(conn, booth, 'update', options.release, 30_000);
    if (!answer.ok) return { ok: false, busy: answer.error.code === 'busy', reason: `${answer.error.code}: ${answer.error.message}` };
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const r = report;
      const fresh = r && r.version === version && (baselineAt === undefined || r.at > baselineAt);
      if (fresh && (r.state === 'failed' || r.state === 'rolled-back')) return { ok: false, reason: `${r.state}${r.reason ? `: ${r.reason}` : ''}` };
      if (fresh && r.state === 'done' && onlineVersion === version) return { ok: true };
      const left = deadline - Date.now();
      if (left <= 0) return { ok: false, reason: `no outcome within ${Math.round(options.timeoutMs / 1000)} s (last: ${r ? `${r.state} ${r.version}` : 'no update report'}; online with ${onlineVersion ?? 'nothing'})` };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 5000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    conn.unsubscribeOwner(owner);
  }
}

export async function rollout(conn: FleetConnection, options: RolloutOptions): Promise<RolloutResult> {
  const { version } = options.release;
  if (!Number.isInteger(options.maxFailures) || options.maxFailures < 1) throw new Error('maxFailures must be a positive integer');
  if (!Number.isInteger(options.parallel) || options.parallel < 1) throw new Error('parallel must be a positive integer');
  const log = options.log ?? (() => undefined);
  const views = await fleetSnapshot(conn, options.snapshotMs ?? 1500);
  const eligible = views
    .filter((v) => v.status?.state === 'online' && v.status.version !== version && v.booth.startsWith(options.prefix ?? ''))
    .map((v) => v.booth);
  const { chosen, left } = chooseBooths(eligible, version, options.fraction);
  log(`release ${version}: ${chosen.length} of ${eligible.length} eligible booths chosen${chosen.length ? ` (${chosen.join(', ')})` : ''}`);
  const result: RolloutResult = { version, chosen, updated: [], failed: [], busy: [], notAsked: [], left, stopped: false };
  const queue = [...chosen];
  const worker = async () => {
    for (;;) {
      if (result.failed.length >= options.maxFailures) return;
      const booth = queue.shift();
      if (!booth) return;
      log(`${booth}: updating to ${version}`);
      const outcome = await updateOne(conn, booth, options);
      if (outcome.ok) {
        result.updated.push(booth);
        log(`${booth}: on ${version}`);
      } else if (outcome.busy) {
        result.busy.push(booth);
        log(`${booth}: busy, not updated (${outcome.reason})`);
      } else {
        result.failed.push({ booth, reason: outcome.reason });
        log(`${booth}: FAILED (${outcome.reason})`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.parallel, Math.max(1, chosen.length)) }, worker));
  result.notAsked = queue;
  result.stopped = result.failed.length >= options.maxFailures && queue.length > 0;
  if (result.stopped) log(`stopped after ${result.failed.length} failures: ${queue.length} booths not asked`);
  return result;
}
