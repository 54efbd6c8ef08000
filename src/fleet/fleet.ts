// The booth's side of the fleet: builds the shared connection and the parts (presence,
// telemetry, events, records, commands, config) and starts/stops them in order. Records are
// signed and put in the durable outbox whether or not a broker is configured or reachable;
// they leave it only when the fleet acknowledges them.
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import { createSqliteOutbox, type Outbox } from '../store/outbox.ts';
import { FleetConnection, type ConnectionOptions } from './connection.ts';
import type { FleetHooks } from './hooks.ts';
import { CommandsPart, type CommandHandlers } from './parts/commands.ts';
import { ConfigPart } from './parts/config.ts';
import { EventsPart } from './parts/events.ts';
import type { FleetPart, PartContext } from './parts/part.ts';
import { offlineStatus, PresencePart } from './parts/presence.ts';
import { RecordsPart, type RecordsStats } from './parts/records.ts';
import { TelemetryPart } from './parts/telemetry.ts';
import { sealRecord, type RecordInput } from './records.ts';
import type { FleetEvent, TelemetryMessage } from './schemas.ts';
import { loadOrCreateSigningKey } from './signing.ts';
import { topics } from './topics.ts';

export interface FleetDeps {
  store: Store;
  logger: Logger;
  hooks: FleetHooks;
  version: string;
  /** Tuning for tests and benchmarks. */
  tuning?: {
    ackTimeoutMs?: number;
    maxAckTimeoutMs?: number;
    backoff?: { minMs: number; maxMs: number };
    keepaliveSeconds?: number;
  };
}

export interface Fleet {
  /** A broker is configured (fleet.url). */
  readonly enabled: boolean;
  readonly outbox: Outbox;
  /** The record-signing public key (PEM) to enrol at the fleet, and its id. */
  readonly signingPublicKeyPem: string;
  readonly signingKeyId: string;
  readonly connected: boolean;
  /** Connected and subscribed: commands and config sent from now on reach this booth. */
  readonly listening: boolean;
  start(): void;
  stop(): Promise<void>;
  /** An alarm or fault for the operator (best effort, bounded queue while offline). */
  publishEvent(event: FleetEvent): void;
  /** Signs and queues a business record durably; idempotent by id. Works offline and without a broker. */
  enqueueRecord(record: RecordInput): { id: string; queued: boolean };
  /** Publishes the retained status again (call when sales, step or devices change). */
  updateStatus(): void;
  /** Publishes telemetry now and returns it. */
  publishTelemetry(): Promise<TelemetryMessage>;
  stats(): RecordsStats & { depth: number; commands: { handled: number; errors: number } };
  /** Resolves when the outbox is empty (tests, benchmarks, shutdown). */
  drained(): Promise<void>;
  /** The config as changed by the fleet so far. */
  config(): Config;
  /** Drops the connection without a clean DISCONNECT (tests: the broker publishes the last will). */
  kill(): Promise<void>;
}

export function createFleet(config: Config, deps: FleetDeps): Fleet {
  const logger = deps.logger.child({ module: 'fleet' });
  const booth = config.booth.id;
  const outbox = createSqliteOutbox(deps.store);
  const key = loadOrCreateSigningKey(config.fleet.signingKeyFile ?? join(config.data.dir, 'fleet-signing-key.pem'));
  const url = config.fleet.url;
  const tuning = deps.tuning ?? {};

  const connectionOptions: ConnectionOptions = {
    url: url ?? 'mqtt://unset',
    clientId: `cabine-${booth}`,
    caFile: config.fleet.caFile,
    certFile: config.fleet.certFile,
    keyFile: config.fleet.keyFile,
    will: {
      topic: topics.status(booth),
      // `at` of the will is when it was registered (the broker cannot stamp it).
      payload: () => Buffer.from(JSON.stringify(offlineStatus(booth, deps.version, 'connection lost'))),
      qos: 1,
      retain: true,
    },
    ...(tuning.keepaliveSeconds ? { keepaliveSeconds: tuning.keepaliveSeconds } : {}),
    ...(tuning.backoff ? { backoff: tuning.backoff } : {}),
  };
  const conn = new FleetConnection(connectionOptions, logger);
  const ctx: PartContext = { conn, booth, version: deps.version, hooks: deps.hooks, logger };

  const presence = new PresencePart(ctx);
  const events = new EventsPart(ctx);
  const records = new RecordsPart(ctx, {
    outbox,
    window: config.fleet.inflightWindow,
    ...(tuning.ackTimeoutMs ? { ackTimeoutMs: tuning.ackTimeoutMs } : {}),
    ...(tuning.maxAckTimeoutMs ? { maxAckTimeoutMs: tuning.maxAckTimeoutMs } : {}),
  });
  const telemetry = new TelemetryPart(ctx, { periodSeconds: config.fleet.telemetrySeconds, dataDir: config.data.dir, outbox, inFlight: () => records.inFlight() });
  const remoteConfig = new ConfigPart(ctx, config);
  const handlers: CommandHandlers = {
    ping: () => ({ result: { pong: true, booth, version: deps.version, at: new Date().toISOString() } }),
    status: () => ({ result: { status: deps.hooks.status(), outbox: { depth: outbox.depth(), inFlight: records.inFlight() } } }),
    telemetry: async () => ({ result: await telemetry.publish() }),
    'set-price': async ({ cents, product }) => {
      await deps.hooks.setPrice(cents, product);
      void presence.publish();
      return { result: { priceCents: cents, ...(product ? { product } : {}) } };
    },
    sales: async ({ enabled, reason }) => {
      await deps.hooks.setSales(enabled, reason);
      void presence.publish();
      return { result: { enabled, ...(reason ? { reason } : {}) } };
    },
    'refund-paid': async ({ session, by }) => ({ result: await deps.hooks.refundPaid(session, `fleet operator${by ? ` (${by})` : ''}`) }),
    'print-test': async () => ({ result: (await deps.hooks.printTest()) ?? null }),
    'outbox-flush': () => ({ result: { depth: records.rewind(), inFlight: records.inFlight() } }),
    reboot: ({ reason }) => ({ result: { rebooting: true }, after: () => deps.hooks.reboot(reason ?? 'fleet command') }),
    update: (request) => {
      if (!deps.hooks.update) throw new Error('updates are not set up on this booth (no release key, or not installed as a release)');
      return { result: deps.hooks.update(request) };
    },
  };
  const sessionStep = () => {
    const step = deps.hooks.status().step;
    return step === 'idle' ? undefined : step;
  };
  const commands = new CommandsPart(ctx, handlers, (event) => events.publish(event), undefined, sessionStep);
  const parts: FleetPart[] = [presence, events, records, telemetry, remoteConfig, commands];
  let started = false;

  return {
    enabled: url !== undefined,
    outbox,
    signingPublicKeyPem: key.publicKeyPem,
    signingKeyId: key.keyId,
    get connected() {
      return conn.connected;
    },
    get listening() {
      return conn.listening;
    },
    start() {
      if (started) return;
      started = true;
      if (!url) {
        logger.info({ depth: outbox.depth() }, 'no fleet.url: records wait in the outbox');
        return;
      }
      for (const part of parts) part.start();
      conn.start();
    },
    async stop() {
      if (!started) return;
      started = false;
      if (!url) return;
      for (const part of [...parts].reverse()) await part.stop();
      await conn.stop();
    },
    async kill() {
      for (const part of [...parts].reverse()) if (part !== presence) await part.stop();
      await conn.destroy();
      started = false;
    },
    publishEvent(event) {
      if (url) events.publish(event);
    },
    enqueueRecord(input) {
      const payload = sealRecord(input, booth, key);
      const { inserted } = outbox.put(input.id, payload);
      if (inserted) logger.debug({ id: input.id, bytes: payload.length }, 'record queued');
      if (started && url) records.pump();
      return { id: input.id, queued: inserted };
    },
    updateStatus() {
      if (started && url) void presence.publish();
    },
    publishTelemetry: () => telemetry.publish(),
    stats: () => ({ ...records.getStats(), depth: outbox.depth(), commands: commands.getStats() }),
    drained: () => records.drained(),
    config: () => remoteConfig.config(),
  };
}
