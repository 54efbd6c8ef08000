// Remote config: `config/desired` (retained, from the fleet) holds a partial config and a
// revision. Each key is checked against the very schema of the config file (unknown keys,
// wrong types and ranges are refused by name), keys that would cut the booth off its fleet or
// change its identity are refused outright, the rest goes to the booth (FleetHooks.applyConfig)
// which applies live what is safe. The outcome, key by key, is retained on `config/reported`.
// Messages are handled one at a time, in arrival order.
import { validateChanges } from '../../config/live.ts';
import { configKeys, getPath, setPath } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import type { ConfigChange } from '../hooks.ts';
import { configDesiredSchema, type ConfigReported } from '../schemas.ts';
import { topics } from '../topics.ts';
import type { FleetPart, PartContext } from './part.ts';

/** Keys the fleet may not change remotely: identity, storage, the fleet link itself, console access. */
export const REMOTE_DENIED = [/^booth\.id$/, /^booth\.operatorPrefix$/, /^data\.dir$/, /^fleet\./, /^console\./];
export const MAX_CONFIG_BYTES = 64 * 1024;

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Splits a partial config into leaf changes; what is not a key of the schema is refused. */
export function flattenPartial(partial: Plain): { changes: ConfigChange[]; unknown: string[] } {
  const leaves = new Set(configKeys().map((k) => k.path));
  const sections = new Set<string>();
  for (const leaf of leaves) {
    const parts = leaf.split('.');
    for (let i = 1; i < parts.length; i++) sections.add(parts.slice(0, i).join('.'));
  }
  const changes: ConfigChange[] = [];
  const unknown: string[] = [];
  const walk = (node: Plain, prefix: string) => {
    for (const [name, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (leaves.has(path)) changes.push({ key: path, value });
      else if (sections.has(path) && isPlain(value)) walk(value, path);
      else unknown.push(path);
    }
  };
  walk(partial, '');
  return { changes, unknown };
}

export interface ConfigDecision {
  accepted: ConfigChange[];
  refused: { key: string; value?: unknown; reason: string }[];
  next: Config;
}

/** Checks changes against the denied list and the config schema; pure (for tests). */
export function decideConfig(current: Config, partial: Plain): ConfigDecision {
  const { changes, unknown } = flattenPartial(partial);
  const refused: ConfigDecision['refused'] = unknown.map((key) => ({ key, reason: 'unknown key (see `cabine config keys`)' }));
  const candidates: ConfigChange[] = [];
  for (const change of changes) {
    if (REMOTE_DENIED.some((re) => re.test(change.key))) refused.push({ ...change, reason: 'cannot be changed remotely (identity, storage, fleet link or console access)' });
    else candidates.push(change);
  }
  // The schema check is the live settings' own (src/config/live.ts): one rule for every origin.
  const checked = validateChanges(current, candidates);
  return { accepted: checked.accepted, refused: [...refused, ...checked.refused], next: checked.next };
}

export class ConfigPart implements FleetPart {
  readonly name = 'config';
  private chain: Promise<void> = Promise.resolve();
  private handled = 0;

  constructor(
    private readonly ctx: PartContext,
    private current: Config,
  ) {}

  start(): void {
    this.ctx.conn.subscribe(this.name, topics.configDesired(this.ctx.booth), 1, (_topic, payload) => {
      this.chain = this.chain.then(() => this.handle(payload)).catch((err: unknown) => this.ctx.logger.error({ err }, 'remote config failed'));
    });
  }

  /** Decides, applies and returns the report of one desired-config payload. */
  async process(payload: Buffer): Promise<ConfigReported | undefined> {
    const at = () => new Date().toISOString();
    const refuse = (rev: string | null, error: string): ConfigReported => ({ rev, at: at(), ok: false, applied: {}, refused: [], error });
    if (payload.length === 0) return undefined; // retained message cleared: nothing desired
    if (payload.length > MAX_CONFIG_BYTES) return refuse(null, `desired config larger than ${MAX_CONFIG_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse(null, 'desired config is not JSON');
    }
    const parsed = configDesiredSchema.safeParse(json);
    if (!parsed.success) {
      const rev = isPlain(json) && typeof json.rev === 'string' && json.rev.length <= 64 ? json.rev : null;
      const issue = parsed.error.issues[0];
      return refuse(rev, `desired config is malformed: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
    }
    const { rev, config } = parsed.data;
    const decision = decideConfig(this.current, config);
    const refused = [...decision.refused];
    const applied: Record<string, unknown> = {};
    const atRestart: Record<string, unknown> = {};
    if (decision.accepted.length > 0) {
      let outcome;
      try {
        outcome = await this.ctx.hooks.applyConfig(decision.accepted, decision.next);
      } catch (err) {
        outcome = { applied: [], refused: decision.accepted.map((c) => ({ key: c.key, reason: `booth failed to apply: ${(err as Error).message}` })) };
      }
      const draft = structuredClone(this.current) as unknown as Plain;
      for (const change of decision.accepted) {
        const refusal = outcome.refused.find((r) => r.key === change.key);
        if (outcome.applied.includes(change.key) && !refusal) {
          applied[change.key] = change.value;
          setPath(draft, change.key, getPath(decision.next, change.key));
        } else if (outcome.atRestart?.includes(change.key) && !refusal) {
          atRestart[change.key] = change.value;
          setPath(draft, change.key, getPath(decision.next, change.key));
        } else {
          refused.push({ ...change, reason: refusal?.reason ?? 'not applied by the booth' });
        }
      }
      this.current = draft as unknown as Config;
    }
    return { rev, at: at(), ok: refused.length === 0, applied, ...(Object.keys(atRestart).length > 0 ? { atRestart } : {}), refused };
  }

  private async handle(payload: Buffer): Promise<void> {
    const report = await this.process(payload);
    if (!report) return;
    this.handled++;
    if (report.error) this.ctx.logger.warn({ error: report.error }, 'desired config refused');
    await this.ctx.conn
      .publish(topics.configReported(this.ctx.booth), JSON.stringify(report), { qos: 1, retain: true })
      .catch((err: Error) => this.ctx.logger.warn({ err: err.message }, 'config report not delivered'));
  }

  config(): Config {
    return this.current;
  }

  stop(): void {
    this.ctx.conn.unsubscribeOwner(this.name);
  }
}
