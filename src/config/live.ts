// Live settings: the one owner of every setting that can change while the booth runs.
// The config file (root-owned under /etc on a provisioned booth) and the environment give the
// base; a change made while the booth runs (fleet config/desired or set-price, console
// `config set`) is validated against the config schema, saved in an overlay file under
// data.dir that wins over file and environment at the next start, then either put in force
// now (the key's readers read it when they need it: a session reads the price when it
// starts) or kept for the next restart. Any key of the schema can be a setting, a structured
// one (a list, an object) as well as a number: values are whole leaves of the schema.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { writeFileDurably } from '../store/files.ts';
import { ConfigError, configKeys, getPath, setPath, validateConfig } from './load.ts';
import type { Config } from './schema.ts';

export const OVERLAY_FILE = 'settings.json';

/** One key and the value wanted for it (dotted path, as in `cabine config keys`). */
export interface SettingChange {
  key: string;
  value: unknown;
}

export interface SettingsReport {
  /** In force now. */
  applied: SettingChange[];
  /** Saved; in force after the next restart. */
  atRestart: SettingChange[];
  /** Not saved, each with the reason. */
  refused: { key: string; value?: unknown; reason: string }[];
}

/**
 * Keys that take effect without a restart. Their readers ask the settings each time they
 * need them (the prices, the products and the session's timeouts when a session starts; the screen when it
 * draws). Every other key is read once when the booth is built, so it waits for a restart.
 */
export const LIVE_KEYS: readonly RegExp[] = [/^payment\.priceCents$/, /^products$/, /^session\./];

/** Keys the overlay cannot hold, and why. */
const NOT_SETTABLE: readonly { key: RegExp; reason: string }[] = [
  { key: /^data\.dir$/, reason: 'data.dir locates the settings overlay itself: change it in the config file' },
  { key: /^console\.pin(Hash|File)$/, reason: 'the PIN is set with `cabine console --set-pin`' },
];

export const isLiveKey = (key: string): boolean => LIVE_KEYS.some((re) => re.test(key));

type Plain = Record<string, unknown>;

const overlaySchema = z.object({ version: z.literal(1), settings: z.record(z.string(), z.unknown()) }).strict();

export interface ChangeDecision {
  accepted: SettingChange[];
  refused: { key: string; value?: unknown; reason: string }[];
  /** `base` with the accepted changes, validated. */
  next: Config;
}

/**
 * Checks changes against the config schema on top of `base`: unknown keys and values the
 * schema refuses are refused by name, the others kept (their values as the schema reads them).
 */
export function validateChanges(base: Config, changes: readonly SettingChange[]): ChangeDecision {
  const leaves = new Set(configKeys().map((k) => k.path));
  const refused: ChangeDecision['refused'] = [];
  let candidates: SettingChange[] = [];
  for (const change of changes) {
    if (!leaves.has(change.key)) refused.push({ ...change, reason: 'unknown key (see `cabine config keys`)' });
    else candidates.push(change);
  }
  for (let round = 0; round < 2; round++) {
    const draft = structuredClone(base) as unknown as Plain;
    for (const c of candidates) setPath(draft, c.key, c.value);
    try {
      const next = validateConfig(draft, 'new settings');
      return { accepted: candidates.map((c) => ({ key: c.key, value: getPath(next, c.key) })), refused, next };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const bad = new Map<string, string>();
      for (const problem of err.problems) {
        const c = candidates.find((c) => problem === c.key || problem.startsWith(`${c.key} `) || problem.startsWith(`${c.key}:`) || problem.startsWith(`${c.key}.`));
        if (c && !bad.has(c.key)) bad.set(c.key, problem);
      }
      if (bad.size === 0 || round === 1) {
        // A problem no single key explains (a rule across keys): refuse them all.
        for (const c of candidates) refused.push({ ...c, reason: err.problems.join('; ') });
        candidates = [];
        break;
      }
      for (const c of candidates) if (bad.has(c.key)) refused.push({ ...c, reason: bad.get(c.key)! });
      candidates = candidates.filter((c) => !bad.has(c.key));
    }
  }
  return { accepted: candidates, refused, next: base };
}

export interface LiveSettings {
  /** The settings in force now. Read it when the value is needed; do not keep it. */
  current(): Config;
  /** Saved changes that wait for a restart (key → value). */
  pending(): Record<string, unknown>;
  /** Validates, saves and applies changes; `origin` (fleet, console...) goes to the log. */
  apply(changes: readonly SettingChange[], origin: string): SettingsReport;
  /** Called after changes came into force, with their keys. */
  subscribe(listener: (keys: string[], settings: Config) => void): () => void;
  /** Where the changes are saved. */
  readonly overlayFile: string;
  /** Overlay keys dropped at start (unknown or no longer valid), for the log and `status`. */
  readonly dropped: readonly { key: string; reason: string }[];
}

export interface LiveSettingsOptions {
  logger: Logger;
  /** Writes the overlay (default: durably, temporary file + fsync + rename). */
  write?: (file: string, text: string) => void;
}

/** Reads the overlay under `base.data.dir` over `base` (file + environment) and owns the result. */
export function openLiveSettings(base: Config, options: LiveSettingsOptions): LiveSettings {
  const log = options.logger.child({ module: 'settings' });
  const overlayFile = join(base.data.dir, OVERLAY_FILE);
  const write = options.write ?? ((file: string, text: string) => writeFileDurably(file, text, 0o600));
  const dropped: { key: string; reason: string }[] = [];

  let overlay: Plain = readOverlay(overlayFile, log);
  const settable = (key: string) => NOT_SETTABLE.find((n) => n.key.test(key));
  const fromOverlay: SettingChange[] = [];
  for (const [key, value] of Object.entries(overlay)) {
    const denied = settable(key);
    if (denied) dropped.push({ key, reason: denied.reason });
    else fromOverlay.push({ key, value });
  }
  const loaded = validateChanges(base, fromOverlay);
  dropped.push(...loaded.refused.map((r) => ({ key: r.key, reason: r.reason })));
  for (const d of dropped) log.warn({ key: d.key, reason: d.reason }, `saved setting ${d.key} ignored: ${d.reason}`);
  overlay = Object.fromEntries(loaded.accepted.map((c) => [c.key, c.value]));

  let saved: Config = loaded.next;
  let running: Config = structuredClone(saved);
  const listeners = new Set<(keys: string[], settings: Config) => void>();

  return {
    overlayFile,
    dropped,
    current: () => running,
    pending() {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(overlay)) if (!isDeepStrictEqual(getPath(saved, key), getPath(running, key))) out[key] = getPath(saved, key);
      return out;
    },
    apply(changes, origin) {
      const report: SettingsReport = { applied: [], atRestart: [], refused: [] };
      const allowed: SettingChange[] = [];
      for (const change of changes) {
        const denied = settable(change.key);
        if (denied) report.refused.push({ ...change, reason: denied.reason });
        else allowed.push(change);
      }
      const decision = validateChanges(saved, allowed);
      report.refused.push(...decision.refused);
      if (decision.accepted.length === 0) return report;
      const nextOverlay = { ...overlay };
      for (const c of decision.accepted) nextOverlay[c.key] = c.value;
      try {
        write(overlayFile, JSON.stringify({ version: 1, settings: nextOverlay }, null, 2) + '\n');
      } catch (err) {
        const reason = `cannot save the setting in ${overlayFile}: ${(err as Error).message}`;
        log.error({ err, origin }, reason);
        report.refused.push(...decision.accepted.map((c) => ({ ...c, reason })));
        return report;
      }
      overlay = nextOverlay;
      saved = decision.next;
      // Live keys come into force now, unless the running whole would not validate with them.
      const draft = structuredClone(running) as unknown as Plain;
      const live = decision.accepted.filter((c) => isLiveKey(c.key));
      for (const c of live) setPath(draft, c.key, c.value);
      let nextRunning = running;
      try {
        nextRunning = validateConfig(draft, 'settings in force');
      } catch {
        live.length = 0;
      }
      const changed: string[] = [];
      for (const c of decision.accepted) {
        if (live.includes(c)) {
          if (!isDeepStrictEqual(getPath(running, c.key), c.value)) changed.push(c.key);
          report.applied.push(c);
        } else if (isDeepStrictEqual(getPath(running, c.key), c.value)) {
          report.applied.push(c); // already in force
        } else {
          report.atRestart.push(c);
        }
      }
      running = nextRunning;
      log.info({ origin, applied: report.applied.map((c) => c.key), atRestart: report.atRestart.map((c) => c.key), refused: report.refused.map((r) => r.key) }, `settings changed (${origin})`);
      if (changed.length > 0) {
        for (const listener of [...listeners]) {
          try {
            listener(changed, running);
          } catch (err) {
            log.error({ err }, 'a settings listener failed');
          }
        }
      }
      return report;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** The overlay's settings; a file that cannot be read is set aside (kept for a technician). */
function readOverlay(file: string, log: Logger): Plain {
  if (!existsSync(file)) return {};
  try {
    return overlaySchema.parse(JSON.parse(readFileSync(file, 'utf8'))).settings;
  } catch (err) {
    const aside = `${file}.unreadable-${Date.now()}`;
    log.error({ err, file, aside }, 'settings overlay unreadable: set aside, the booth starts on its config file');
    try {
      renameSync(file, aside);
    } catch {
      // left in place: the next save replaces it
    }
    return {};
  }
}
