// The one MQTT 5 connection every fleet part shares (the zigbee2mqtt idea: small parts around
// one wrapper). It adds to mqtt.js what a booth needs: TLS material from files, reconnection
// with exponential backoff and jitter (mqtt.js only has a fixed period), subscriptions that
// parts register by owner and that are renewed on every connect, and promise-based publish
// that fails fast while offline instead of queueing unboundedly in memory.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';

type QoS = 0 | 1 | 2;
import type { Logger } from '../log.ts';
import { topicMatches } from './topics.ts';

export interface ConnectionOptions {
  url: string;
  clientId: string;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
  /** Retained last will (status offline); `payload` may be a function, re-evaluated at each connect. */
  will?: { topic: string; payload: Buffer | (() => Buffer); qos: QoS; retain: boolean } | undefined;
  keepaliveSeconds?: number;
  /** Reconnect delay: min(maxMs, minMs * 2^attempt), of which a random half is jitter. */
  backoff?: { minMs: number; maxMs: number };
  /** Session kept by the broker after a disconnect (seconds); 0 = clean. */
  sessionExpirySeconds?: number;
  /** Bigger messages (records with photos) than this are refused by mqtt.js. */
  maximumPacketSize?: number;
}

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

interface Subscription {
  owner: string;
  filter: string;
  qos: QoS;
  handler: MessageHandler;
}

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  properties?: IClientPublishOptions['properties'];
}

/** Reads TLS files for an mqtts:// URL; absent files are simply not passed. */
export function tlsOptions(options: Pick<ConnectionOptions, 'caFile' | 'certFile' | 'keyFile'>): Partial<IClientOptions> {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`cannot read the fleet ${what} ${file}: ${(err as Error).message}`, { cause: err });
    }
  };
  const tls: Partial<IClientOptions> = {};
  if (options.caFile) tls.ca = read(options.caFile, 'CA certificate');
  if (options.certFile) tls.cert = read(options.certFile, 'client certificate');
  if (options.keyFile) tls.key = read(options.keyFile, 'client key');
  return tls;
}

export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}

export class FleetConnection extends EventEmitter<{ connect: []; offline: []; message: [string, Buffer, IPublishPacket] }> {
  private client: MqttClient | undefined;
  private readonly subscriptions: Subscription[] = [];
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Publishes awaiting their PUBACK; failed when the connection drops (mqtt.js may never call back). */
  private readonly pending = new Set<(err: Error) => void>();
  /** SUBSCRIBEs of the current connection not yet answered (see `listening`). */
  private unanswered = 0;
  private connection = 0;
  private readonly logger: Logger;

  constructor(
    readonly options: ConnectionOptions,
    logger: Logger,
  ) {
    super();
    this.logger = logger.child({ module: 'fleet.mqtt' });
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /**
   * Connected and every subscription answered by the broker. Until then a request published by
   * another client can reach the broker before this client's SUBSCRIBE and be dropped.
   */
  get listening(): boolean {
    return this.connected && this.unanswered === 0;
  }

  start(): void {
    if (this.client) return;
    this.stopping = false;
    const o = this.options;
    const will = o.will;
    const client = connect(o.url, {
      protocolVersion: 5,
      clientId: o.clientId,
      clean: true,
      keepalive: o.keepaliveSeconds ?? 30,
      reconnectPeriod: 0, // we reconnect ourselves, with backoff and jitter
      connectTimeout: 10_000,
      resubscribe: false, // subscriptions are renewed on each connect below
      rejectUnauthorized: true,
      properties: {
        sessionExpiryInterval: o.sessionExpirySeconds ?? 0,
        maximumPacketSize: o.maximumPacketSize ?? 64 * 1024 * 1024,
      },
      ...(will ? { will: { topic: will.topic, payload: typeof will.payload === 'function' ? will.payload() : will.payload, qos: will.qos, retain: will.retain } } : {}),
      ...tlsOptions(o),
    });
    this.client = client;
    client.on('connect', () => {
      this.attempt = 0;
      this.connection++;
      this.unanswered = 0;
      this.logger.info({ url: o.url }, 'connected to the fleet broker');
      const bySubscription = new Map<string, QoS>();
      for (const s of this.subscriptions) bySubscription.set(s.filter, Math.max(bySubscription.get(s.filter) ?? 0, s.qos) as QoS);
      for (const [filter, qos] of bySubscription) this.subscribeOnBroker(filter, qos);
      this.emit('connect');
    });
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    client.on('error', (err) => this.logger.warn({ err: err.message }, 'fleet connection error'));
    client.on('close', () => {
      for (const fail of [...this.pending]) fail(new Error('connection to the fleet broker lost'));
      this.pending.clear();
      if (this.stopping) return;
      this.emit('offline');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.stopping) return;
    const backoff = this.options.backoff ?? { minMs: 1000, maxMs: 60_000 };
    const delay = backoffDelay(this.attempt++, backoff.minMs, backoff.maxMs);
    this.logger.info({ delayMs: delay, attempt: this.attempt }, 'fleet broker unreachable; reconnecting later');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopping || !this.client || this.client.connected) return;
      const will = this.options.will;
      if (will && typeof will.payload === 'function' && this.client.options.will) this.client.options.will.payload = will.payload();
      this.client.reconnect();
    }, delay);
    this.reconnectTimer.unref?.();
  }

  private subscribeOnBroker(filter: string, qos: QoS): void {
    if (!this.client) return;
    const connection = this.connection;
    this.unanswered++;
    this.client.subscribe(filter, { qos }, (err, granted) => {
      if (connection === this.connection) this.unanswered--;
      const refused = granted?.find((g) => g.qos >= 0x80);
      if (err || refused) this.logger.error({ filter, err: err?.message, reason: refused?.qos }, 'subscription refused by the broker');
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    this.emit('message', topic, payload, packet);
    for (const s of this.subscriptions) {
      if (!topicMatches(s.filter, topic)) continue;
      try {
        s.handler(topic, payload, packet);
      } catch (err) {
        // A part's bug must not take the connection (and the other parts) down.
        this.logger.error({ err, topic, owner: s.owner }, 'fleet message handler failed');
      }
    }
  }

  /** Registers a subscription owned by `owner` (renewed on every connect). */
  subscribe(owner: string, filter: string, qos: QoS, handler: MessageHandler): void {
    this.subscriptions.push({ owner, filter, qos, handler });
    if (this.connected) this.subscribeOnBroker(filter, qos);
  }

  /** Removes every subscription of `owner`. */
  unsubscribeOwner(owner: string): void {
    for (let i = this.subscriptions.length - 1; i >= 0; i--) {
      const s = this.subscriptions[i]!;
      if (s.owner !== owner) continue;
      this.subscriptions.splice(i, 1);
      if (this.connected && !this.subscriptions.some((o) => o.filter === s.filter)) this.client?.unsubscribe(s.filter);
    }
  }

  /** Publishes; resolves on PUBACK for QoS 1, rejects when offline or refused by the broker. */
  publish(topic: string, payload: Buffer | string, options: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) return Promise.reject(new Error('not connected to the fleet broker'));
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        this.pending.delete(fail);
        reject(err);
      };
      this.pending.add(fail);
      client.publish(
        topic,
        payload,
        { qos: options.qos ?? 0, retain: options.retain ?? false, ...(options.properties ? { properties: options.properties } : {}) },
        (err) => {
          this.pending.delete(fail);
          if (err) reject(err);
          else resolve();
        },
      );
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // A clean DISCONNECT when connected (no last will); otherwise, or if the broker does not
    // answer within 3 s, the socket is simply closed (mqtt.js may never call back then).
    await new Promise<void>((resolve) => {
      setTimeout(resolve, 5000).unref();
      const force = () => client.end(true, {}, () => resolve());
      if (!client.connected) return force();
      const timer = setTimeout(force, 3000);
      client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Drops the connection without a DISCONNECT (tests: the broker then sends the last will). */
  async destroy(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }
}
