// Operator-side MQTT helpers: a connection with the operator's certificate, a command request
// (MQTT 5 response topic + correlation data) and a snapshot of every booth's retained status
// and telemetry.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from '../../log.ts';
import { FleetConnection } from '../connection.ts';
import { parseBoundedJson } from '../json-limits.ts';
import { commandResponseSchema, configReportedSchema, statusSchema, telemetrySchema, type CommandResponse, type ConfigReported, type StatusMessage, type TelemetryMessage } from '../schemas.ts';
import { parseTopic, topics, ROOT } from '../topics.ts';

/** A booth's answer, measured before it is parsed (json-limits.ts); throws when it is not acceptable JSON. */
function boothJson(body: Buffer): unknown {
  const bounded = parseBoundedJson(body.toString('utf8'));
  if (!bounded.ok) throw new Error(`the booth's answer is ${bounded.reason}`);
  return bounded.value;
}

export interface OperatorLink {
  url: string;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

/** Connects (resolves on the first CONNACK, rejects on timeout). */
export async function connectOperator(link: OperatorLink, logger: Logger, name = 'cli', timeoutMs = 10_000): Promise<FleetConnection> {
  const conn = new FleetConnection(
    { url: link.url, clientId: `cabine-op-${name}-${randomUUID().slice(0, 8)}`, caFile: link.caFile, certFile: link.certFile, keyFile: link.keyFile, backoff: { minMs: 200, maxMs: 5000 } },
    logger,
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      void conn.stop();
      reject(new Error(`cannot reach the fleet broker at ${link.url} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    conn.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      conn.start();
    } catch (err) {
      clearTimeout(timer);
      reject(err as Error);
    }
  });
  return conn;
}

/** Sends `cmd/<name>` to a booth and waits for its answer. */
export async function requestCommand(conn: FleetConnection, booth: string, name: string, payload: unknown, timeoutMs = 10_000): Promise<CommandResponse> {
  const replyTopic = `${topics.replyPrefix(booth)}${randomUUID()}`;
  const correlation = randomBytes(16);
  const owner = `request-${replyTopic}`;
  try {
    return await new Promise<CommandResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`booth ${booth} did not answer "${name}" within ${timeoutMs / 1000} s`)), timeoutMs);
      conn.subscribe(owner, replyTopic, 1, (_topic, body, packet) => {
        if (!packet.properties?.correlationData?.equals(correlation)) return;
        clearTimeout(timer);
        try {
          resolve(commandResponseSchema.parse(boothJson(body)));
        } catch (err) {
          reject(new Error(`booth ${booth} answered with an invalid response: ${(err as Error).message}`));
        }
      });
      const body = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
      // Subscribe before publishing: mqtt.js sends the SUBSCRIBE first on the same socket.
      conn
        .publish(topics.cmd(booth, name), body, { qos: 1, properties: { responseTopic: replyTopic, correlationData: correlation, messageExpiryInterval: Math.ceil(timeoutMs / 1000) } })
        .catch((err: Error) => {
          clearTimeout(timer);
          reject(err);
        });
    });
  } finally {
    conn.unsubscribeOwner(owner);
  }
}

export interface BoothView {
  booth: string;
  status?: StatusMessage;
  telemetry?: TelemetryMessage;
}

/** Every booth's retained status and telemetry, gathered for `waitMs`. */
export async function fleetSnapshot(conn: FleetConnection, waitMs = 1500): Promise<BoothView[]> {
  const booths = new Map<string, BoothView>();
  const view = (booth: string) => booths.get(booth) ?? booths.set(booth, { booth }).get(booth)!;
  const take = (topic: string, body: Buffer) => {
    const where = parseTopic(topic);
    if (!where || body.length === 0) return;
    try {
      const bounded = parseBoundedJson(body.toString('utf8'));
      if (!bounded.ok) return;
      const json = bounded.value;
      if (where.rest === 'status') {
        const s = statusSchema.safeParse(json);
        if (s.success) view(where.booth).status = s.data;
      } else if (where.rest === 'telemetry') {
        const t = telemetrySchema.safeParse(json);
        if (t.success) view(where.booth).telemetry = t.data;
      }
    } catch {
      // not JSON: not shown
    }
  };
  conn.subscribe('snapshot', `${ROOT}/+/status`, 1, take);
  conn.subscribe('snapshot', `${ROOT}/+/telemetry`, 0, take);
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  conn.unsubscribeOwner('snapshot');
  return [...booths.values()].sort((a, b) => a.booth.localeCompare(b.booth));
}

/** Publishes a desired config (retained) and waits for the booth's report of that revision. */
export async function pushConfig(conn: FleetConnection, booth: string, partial: Record<string, unknown>, timeoutMs = 10_000, rev: string = new Date().toISOString()): Promise<ConfigReported | undefined> {
  const owner = `config-${booth}-${rev}`;
  try {
    return await new Promise<ConfigReported | undefined>((resolve, reject) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      conn.subscribe(owner, topics.configReported(booth), 1, (_topic, body) => {
        try {
          const report = configReportedSchema.parse(boothJson(body));
          if (report.rev !== rev) return;
          clearTimeout(timer);
          resolve(report);
        } catch {
          // another writer's garbage: keep waiting
        }
      });
      conn.publish(topics.configDesired(booth), JSON.stringify({ rev, config: partial }), { qos: 1, retain: true }).catch((err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    conn.unsubscribeOwner(owner);
  }
}
