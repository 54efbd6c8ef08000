// Every topic of the fleet protocol (docs/mqtt.md), built in one place. A booth lives under
// `cabine/v1/<boothId>/`; booth ids are topic-safe by the config schema (no "/", "+", "#").
export const ROOT = 'cabine/v1';

export const topics = {
  status: (booth: string) => `${ROOT}/${booth}/status`,
  telemetry: (booth: string) => `${ROOT}/${booth}/telemetry`,
  events: (booth: string) => `${ROOT}/${booth}/events`,
  records: (booth: string) => `${ROOT}/${booth}/records`,
  recordsAck: (booth: string) => `${ROOT}/${booth}/records/ack`,
  cmd: (booth: string, name: string) => `${ROOT}/${booth}/cmd/${name}`,
  cmdFilter: (booth: string) => `${ROOT}/${booth}/cmd/+`,
  /** Prefix every command response topic must start with (the broker ACL allows the booth to publish there). */
  replyPrefix: (booth: string) => `${ROOT}/${booth}/reply/`,
  configDesired: (booth: string) => `${ROOT}/${booth}/config/desired`,
  configReported: (booth: string) => `${ROOT}/${booth}/config/reported`,
  /** Operator side: every booth's records through one shared subscription group. */
  ingestShare: (group = 'ingest') => `$share/${group}/${ROOT}/+/records`,
} as const;

/** `cabine/v1/<booth>/<rest>` → { booth, rest }, or undefined for a topic outside the tree. */
export function parseTopic(topic: string): { booth: string; rest: string } | undefined {
  const prefix = `${ROOT}/`;
  if (!topic.startsWith(prefix)) return undefined;
  const tail = topic.slice(prefix.length);
  const slash = tail.indexOf('/');
  if (slash <= 0) return undefined;
  return { booth: tail.slice(0, slash), rest: tail.slice(slash + 1) };
}

/** MQTT topic-filter matching (`+` one level, `#` the rest); `$share/<group>/` is stripped. */
export function topicMatches(filter: string, topic: string): boolean {
  const shared = /^\$share\/[^/]+\/(.*)$/.exec(filter);
  const f = (shared ? shared[1]! : filter).split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export const BOOTH_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
