// Loading the configuration: file (YAML or JSON) < environment (CABINE_<PATH>) < explicit
// overrides, then one validation against the schema. Errors name the key, the value and
// what was expected, and the booth refuses to start on them.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type Config } from './schema.ts';

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Plain = Record<string, unknown>;

/** A leaf of the schema: its dotted path and the kind of value it takes from a string. */
export interface ConfigKey {
  path: string;
  env: string;
  kind: 'string' | 'number' | 'boolean' | 'json';
  description: string;
  defaultValue: unknown;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  // Defaults, prefaults and optionals wrap the real type; peel them off.
  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) {
      current = current.unwrap() as z.ZodType;
    } else {
      return current;
    }
  }
}

function kindOf(schema: z.ZodType): ConfigKey['kind'] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodNumber) return 'number';
  if (inner instanceof z.ZodBoolean) return 'boolean';
  if (inner instanceof z.ZodString || inner instanceof z.ZodEnum) return 'string';
  if (inner instanceof z.ZodUnion) {
    const options = inner.options as readonly z.ZodType[];
    if (options.every((o) => o instanceof z.ZodLiteral && typeof o.value === 'number')) return 'number';
  }
  return 'json';
}

/** `payment.priceCents` → `CABINE_PAYMENT_PRICE_CENTS`. */
export function envNameOf(path: string): string {
  return 'CABINE_' + path.split('.').map((s) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Every leaf key of the schema, in declaration order. */
export function configKeys(): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const defaults = configSchema.parse({}) as Plain;
  const walk = (schema: z.ZodType, prefix: string, defaultsHere: unknown) => {
    const inner = unwrap(schema);
    if (inner instanceof z.ZodObject) {
      for (const [name, child] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
        const childDefaults = defaultsHere && typeof defaultsHere === 'object' ? (defaultsHere as Plain)[name] : undefined;
        walk(child, prefix ? `${prefix}.${name}` : name, childDefaults);
      }
      return;
    }
    keys.push({
      path: prefix,
      env: envNameOf(prefix),
      kind: kindOf(schema),
      description: schema.description ?? inner.description ?? '',
      defaultValue: defaultsHere,
    });
  };
  walk(configSchema, '', defaults);
  return keys;
}

/** Parses a string given for `key` (environment, console, fleet) into the type the schema wants. */
export function parseKeyValue(key: ConfigKey, raw: string): unknown {
  switch (key.kind) {
    case 'string':
      return raw;
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw; // left as text so validation names it
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      return raw;
    case 'json':
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return raw;
      }
  }
}

export function setPath(target: Plain, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Plain;
  }
  node[parts[parts.length - 1] as string] = value;
}

export function getPath(source: unknown, path: string): unknown {
  let node: unknown = source;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Plain)[part];
  }
  return node;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? text.slice(0, 57) + '...' : text;
}

/** Validates a raw config object; throws ConfigError naming each bad key. */
export function validateConfig(raw: unknown, origin = 'config'): Config {
  const result = configSchema.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const descriptions = new Map(configKeys().map((k) => [k.path, k.description]));
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `${path}: ` : '';
      return `${where}unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} (see \`cabine config keys\`)`;
    }
    const input = 'input' in issue ? issue.input : getPath(raw, path);
    const meaning = descriptions.get(path);
    return `${path}${meaning ? ` (${meaning})` : ''}: got ${describeValue(input)}; ${issue.message}`;
  });
  throw new ConfigError(`${origin} is invalid:\n  - ${problems.join('\n  - ')}`, problems);
}

export interface LoadConfigOptions {
  /** Config file (YAML or JSON); absent = defaults only. */
  file?: string;
  /** Environment to read CABINE_* from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Values that win over file and environment, by dotted path (e.g. from `--sim`). */
  overrides?: Record<string, unknown>;
}

export function readConfigFile(file: string): Plain {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, [(err as Error).message]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid YAML/JSON: ${(err as Error).message}`, [(err as Error).message]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a mapping of sections, got ${describeValue(parsed)}`, ['root']);
  }
  return parsed as Plain;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const raw: Plain = options.file ? readConfigFile(options.file) : {};
  const env = options.env ?? process.env;
  for (const key of configKeys()) {
    const value = env[key.env];
    if (value !== undefined && value !== '') setPath(raw, key.path, parseKeyValue(key, value));
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) setPath(raw, path, value);
  const config = validateConfig(raw, options.file ? `config (${options.file} + environment)` : 'config (environment)');
  config.data.dir = resolve(config.data.dir);
  return config;
}
