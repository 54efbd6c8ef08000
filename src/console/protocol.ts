// The booth control protocol: what the technician console (a separate process) may ask the
// running booth over its local Unix socket. Newline-delimited JSON, one message a line:
//
//   console → booth   {"id": 7, "method": "light", "params": {"level": 40}}
//   booth → console   {"id": 7, "ok": true, "result": {...}}  |  {"id": 7, "ok": false, "error": "..."}
//   booth → console   {"event": "coin", "subscription": 3, "data": {...}}   (live commands)
//
// Live commands (`curtain`, `coin test`, `touch test`) are subscriptions: `subscribe` starts
// one and returns its id, events flow until `unsubscribe` or until the connection closes
// (a pulled cable or a killed console still inhibits the acceptor). Every message is
// validated with the schemas below at both ends: the booth never acts on a malformed
// request, the console never prints a malformed answer.
import { z } from 'zod';

/** Longest line either end accepts; a longer one is an error, never buffered without bound. */
export const MAX_MESSAGE_BYTES = 256 * 1024;

const isoTime = z.string().describe('ISO 8601 time');

export const deviceRowSchema = z.object({
  name: z.string(),
  driver: z.string(),
  simulated: z.boolean(),
  health: z.enum(['starting', 'ok', 'degraded', 'fault', 'absent', 'stopped']),
  detail: z.string().optional(),
  readings: z.record(z.string(), z.unknown()).optional(),
});
export type DeviceRow = z.infer<typeof deviceRowSchema>;

export const sessionInfoSchema = z.object({
  /** Step of the session machine (`idle` = no customer). */
  step: z.string(),
  sessionId: z.string().nullable(),
  /** A customer is in the booth: disturbing commands refuse unless forced. */
  inProgress: z.boolean(),
  /** A paid session waits for a device. */
  blocked: z.object({ device: z.string(), message: z.string() }).nullable(),
});
export type SessionInfo = z.infer<typeof sessionInfoSchema>;

export const salesStateSchema = z.object({
  enabled: z.boolean(),
  /** Why sales are off (technician's `sales off`, a device fault, disk full...). */
  reason: z.string().nullable(),
});
export type SalesState = z.infer<typeof salesStateSchema>;

export const brokerStateSchema = z.object({
  configured: z.boolean(),
  connected: z.boolean(),
  url: z.string().nullable(),
  detail: z.string().nullable(),
});

export const outboxStateSchema = z.object({
  depth: z.number().int().min(0),
  /** When the oldest record still waiting for the fleet's ack was queued. */
  oldest: isoTime.nullable(),
});
export type OutboxState = z.infer<typeof outboxStateSchema>;

export const networkInfoSchema = z.object({
  hostname: z.string(),
  interfaces: z.array(z.object({ name: z.string(), addresses: z.array(z.string()), mac: z.string().nullable() })),
  broker: brokerStateSchema,
});
export type NetworkInfo = z.infer<typeof networkInfoSchema>;

export const boothStatusSchema = z.object({
  booth: z.object({ id: z.string(), name: z.string(), version: z.string(), uptimeSeconds: z.number().min(0), simulated: z.boolean() }),
  session: sessionInfoSchema,
  sales: salesStateSchema,
  devices: z.array(deviceRowSchema),
  network: z.object({ addresses: z.array(z.string()) }),
  broker: brokerStateSchema,
  outbox: outboxStateSchema,
  disk: z.object({ dir: z.string(), freeMb: z.number().min(0), minFreeMb: z.number().min(0) }),
  /** SoC temperature (°C); null where the board does not expose one. */
  temperatureC: z.number().nullable(),
});
export type BoothStatus = z.infer<typeof boothStatusSchema>;

export const lightParamsSchema = z
  .object({ on: z.boolean().optional(), level: z.number().min(0).max(100).optional(), force: z.boolean().optional() })
  .strict()
  .refine((p) => p.on !== undefined || p.level !== undefined, 'give on and/or level');
export const lightStateSchema = z.object({ on: z.boolean(), level: z.number().min(0).max(100) });
export type LightState = z.infer<typeof lightStateSchema>;

export const curtainStateSchema = z.object({ drawn: z.boolean(), at: isoTime.nullable() });
export type CurtainState = z.infer<typeof curtainStateSchema>;

export const coinEventSchema = z.object({
  /** credit: a test coin validated (counted in the cash box, not a sale); end: the booth ended the test. */
  kind: z.enum(['credit', 'reject', 'error', 'alarm', 'end']),
  /** Value of a credited coin, in cents. */
  valueCents: z.number().int().min(0).nullable(),
  /** Coin id from the acceptor's table, e.g. EU200A. */
  coin: z.string().nullable(),
  /** Acceptor channel (coin position 1-16) the coin was validated on. */
  channel: z.number().int().min(1).max(16).nullable().default(null),
  message: z.string(),
  at: isoTime,
});
export type CoinEvent = z.infer<typeof coinEventSchema>;

export const touchEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('point'), stroke: z.number().int(), x: z.number(), y: z.number() }),
  z.object({ kind: z.literal('stroke'), stroke: z.number().int(), points: z.number().int().min(0) }),
  z.object({ kind: z.literal('cancel'), stroke: z.number().int(), reason: z.string() }),
]);
export type TouchEvent = z.infer<typeof touchEventSchema>;

export const cameraTestSchema = z.object({
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().positive(),
  /** Where the still was saved on the booth; null: not kept (it is a person's face), the usual case. */
  file: z.string().nullable(),
  validation: z
    .object({
      compliant: z.boolean(),
      checks: z.array(z.object({ id: z.string(), pass: z.boolean(), value: z.unknown().optional(), limit: z.unknown().optional(), hint: z.string().optional() })),
    })
    .nullable(),
  /** Why there is no validation report (no validator in this build, validator failed). */
  validationError: z.string().nullable(),
});
export type CameraTestResult = z.infer<typeof cameraTestSchema>;

export const printTestSchema = z.object({ jobId: z.string(), detail: z.string() });
export type PrintTestResult = z.infer<typeof printTestSchema>;

export const coinCountSchema = z.object({ valueCents: z.number().int().positive(), coin: z.string().nullable(), count: z.number().int().min(0) });

export const countersSchema = z.object({
  sessions: z.object({ total: z.number().int().min(0), completed: z.number().int().min(0), other: z.number().int().min(0) }),
  cashBox: z.object({
    since: isoTime.nullable(),
    totalCents: z.number().int().min(0),
    coins: z.array(coinCountSchema),
    /** Of the cash box content, coins a technician inserted during `coin test` (not sales). */
    testCoins: z.object({ count: z.number().int().min(0), cents: z.number().int().min(0) }).default({ count: 0, cents: 0 }),
  }),
  storedCreditCents: z.number().int().min(0),
  /** Refund claims owed to customers whose paid delivery failed. */
  refundsOwed: z.object({ count: z.number().int().min(0), cents: z.number().int().min(0) }).default({ count: 0, cents: 0 }),
});
export type Counters = z.infer<typeof countersSchema>;

export const cashCollectionSchema = z.object({
  id: z.string(),
  at: isoTime,
  totalCents: z.number().int().min(0),
  coins: z.array(coinCountSchema),
  since: isoTime.nullable(),
});
export type CashCollection = z.infer<typeof cashCollectionSchema>;

/** A session named by its id (a UUID: lower-case hex) or its first 8 characters or more; a claim code (upper case) is not one. */
export const sessionRefSchema = z.string().regex(/^[0-9a-f][0-9a-f-]{7,35}$/, 'a session id (lower-case hex) or its first 8 characters or more');

/** A refund claim (a paid delivery that failed): what the booth owes a customer. */
export const refundClaimSchema = z.object({
  sessionId: z.string(),
  product: z.string().nullable(),
  cents: z.number().int().min(0),
  /** The code the customer was given (shown to the technician to match it; never logged). */
  claimCode: z.string().nullable(),
  reason: z.string(),
  at: isoTime,
  state: z.enum(['claim-due', 'claim-paid']),
  paidBy: z.string().nullable(),
});
export type RefundClaim = z.infer<typeof refundClaimSchema>;

/** A money incident: acceptor events lost beyond its buffer (coins may have been taken and not credited). */
export const coinIncidentSchema = z.object({
  id: z.number().int().min(1),
  missedEvents: z.number().int().min(1),
  fromCounter: z.number().int(),
  toCounter: z.number().int(),
  sessionId: z.string().nullable(),
  at: isoTime,
  closedAt: isoTime.nullable(),
  closedBy: z.string().nullable(),
});
export type CoinIncidentView = z.infer<typeof coinIncidentSchema>;

export const journalLineSchema = z.object({ at: isoTime, source: z.string(), text: z.string() });
export type JournalLine = z.infer<typeof journalLineSchema>;

export const outboxFlushSchema = z.object({ depthBefore: z.number().int().min(0), depthAfter: z.number().int().min(0), detail: z.string() });
export type OutboxFlushResult = z.infer<typeof outboxFlushSchema>;

export const configEntrySchema = z.object({
  key: z.string(),
  value: z.unknown(),
  description: z.string(),
  /** A saved value that comes into force at the next restart. */
  pending: z.unknown().optional(),
});
export type ConfigEntry = z.infer<typeof configEntrySchema>;

export const configSetResultSchema = z.object({
  key: z.string(),
  value: z.unknown(),
  /** Whether it took effect now or needs a restart (then `restart`). */
  applied: z.enum(['live', 'restart']),
  /** Where it was saved (the settings overlay under data.dir). */
  persisted: z.string(),
});
export type ConfigSetResult = z.infer<typeof configSetResultSchema>;

export const restartSchema = z.object({ accepted: z.boolean(), message: z.string() });

export const auditEventSchema = z.object({
  kind: z.enum(['login', 'login-failed', 'locked-out', 'logout', 'idle-timeout', 'disconnect', 'command']),
  at: isoTime,
  port: z.string(),
  /** The command line as typed (never a PIN). */
  command: z.string().nullable(),
  outcome: z.enum(['ok', 'error', 'refused']).nullable(),
  detail: z.string().nullable(),
});
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const loginStateSchema = z.object({
  pinSet: z.boolean(),
  /** Why the PIN file cannot be used (readable by others, not a PIN hash). */
  problem: z.string().optional(),
  failures: z.number().int().min(0),
  lockedUntil: isoTime.nullable(),
});
export type LoginState = z.infer<typeof loginStateSchema>;

export const loginResultSchema = z.discriminatedUnion('outcome', [
  /** The token resumes this session on a new connection (after a booth restart). */
  z.object({ outcome: z.literal('ok'), token: z.string() }),
  z.object({ outcome: z.literal('wrong'), failures: z.number().int().min(1), lockedUntil: isoTime.nullable() }),
  z.object({ outcome: z.literal('locked'), failures: z.number().int().min(0), lockedUntil: isoTime }),
  z.object({ outcome: z.literal('no-pin'), detail: z.string() }),
]);
export type LoginResult = z.infer<typeof loginResultSchema>;

/** The line a console runs on, as the audit names it (`/dev/ttyAMA0`, `stdio`). */
const portName = z.string().min(1).max(64);

/**
 * What a connection may ask before it has proven the PIN (the booth answers nothing else
 * then), and how it ends its session. The booth's gate (gate.ts) answers them, not handlers.
 */
export const sessionMethods = {
  loginState: { params: z.object({}).strict(), result: loginStateSchema },
  login: { params: z.object({ pin: z.string().max(64), port: portName }).strict(), result: loginResultSchema },
  resume: { params: z.object({ token: z.string().max(128), port: portName }).strict(), result: z.object({ resumed: z.boolean() }) },
  logout: { params: z.object({ reason: z.enum(['logout', 'idle-timeout', 'disconnect']) }).strict(), result: z.object({ ended: z.boolean() }) },
} as const;
export type SessionMethodName = keyof typeof sessionMethods;
export type SessionMethodParams<M extends SessionMethodName> = z.input<(typeof sessionMethods)[M]['params']>;
export type SessionMethodResult<M extends SessionMethodName> = z.output<(typeof sessionMethods)[M]['result']>;

const none = z.object({}).strict();
const forceable = z.object({ force: z.boolean().optional() }).strict();

/**
 * Every request method: its params, its result, and whether it would disturb a customer
 * (then the booth refuses it while a session is in progress unless `force` is true).
 */
export const methods = {
  status: { params: none, result: boothStatusSchema, disturbs: false },
  devices: { params: none, result: z.array(deviceRowSchema), disturbs: false },
  session: { params: none, result: sessionInfoSchema, disturbs: false },
  light: { params: lightParamsSchema, result: lightStateSchema, disturbs: true },
  curtain: { params: none, result: curtainStateSchema, disturbs: false },
  cameraTest: { params: forceable, result: cameraTestSchema, disturbs: true },
  printTest: { params: forceable, result: printTestSchema, disturbs: true },
  counters: { params: none, result: countersSchema, disturbs: false },
  cashCollect: { params: forceable, result: cashCollectionSchema, disturbs: true },
  refunds: { params: none, result: z.array(refundClaimSchema), disturbs: false },
  // By session id (or its first 8+ characters), never by claim code: the command line is audited.
  refundPaid: { params: z.object({ session: sessionRefSchema }).strict(), result: refundClaimSchema, disturbs: false },
  coinIncidents: { params: none, result: z.array(coinIncidentSchema), disturbs: false },
  coinIncidentClosed: { params: z.object({ id: z.number().int().min(1).max(2 ** 31) }).strict(), result: coinIncidentSchema, disturbs: false },
  journalTail: { params: z.object({ limit: z.number().int().min(1).max(1000).default(20) }).strict(), result: z.array(journalLineSchema), disturbs: false },
  outbox: { params: none, result: outboxStateSchema, disturbs: false },
  outboxFlush: { params: none, result: outboxFlushSchema, disturbs: false },
  configGet: { params: z.object({ key: z.string().max(200).optional() }).strict(), result: z.array(configEntrySchema), disturbs: false },
  configSet: { params: z.object({ key: z.string().max(200), value: z.string().max(4096), force: z.boolean().optional() }).strict(), result: configSetResultSchema, disturbs: true },
  network: { params: none, result: networkInfoSchema, disturbs: false },
  restart: { params: forceable, result: restartSchema, disturbs: true },
  sales: { params: z.object({ enabled: z.boolean().optional(), reason: z.string().max(200).optional() }).strict(), result: salesStateSchema, disturbs: false },
} as const;

export type MethodName = keyof typeof methods;
export type MethodParams<M extends MethodName> = z.output<(typeof methods)[M]['params']>;
export type MethodParamsInput<M extends MethodName> = z.input<(typeof methods)[M]['params']>;
export type MethodResult<M extends MethodName> = z.output<(typeof methods)[M]['result']>;

/** Live topics: what a subscription streams and what `subscribe` returns first. */
export const topics = {
  /** Curtain changes; info: the state now. */
  curtain: { event: curtainStateSchema, info: curtainStateSchema, disturbs: false },
  /** The acceptor enabled for a test; every coin, reject and alarm; inhibited when it ends. */
  coin: { event: coinEventSchema, info: z.object({ enabled: z.boolean(), detail: z.string() }), disturbs: true },
  /** Raw touch points and strokes; info: the panel size in controller units. */
  touch: { event: touchEventSchema, info: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }), disturbs: true },
} as const;
export type TopicName = keyof typeof topics;
export type TopicEvent<T extends TopicName> = z.output<(typeof topics)[T]['event']>;
export type TopicInfo<T extends TopicName> = z.output<(typeof topics)[T]['info']>;

export const topicNameSchema = z.enum(['curtain', 'coin', 'touch']);

// --- wire messages -------------------------------------------------------------------------

/** The envelope every request has (params checked per method afterwards). */
export const envelopeSchema = z.object({ id: z.number().int().min(0), method: z.string().max(64), params: z.unknown().optional() }).strict();

export const responseSchema = z.union([
  z.object({ id: z.number().int().min(0).nullable(), ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ id: z.number().int().min(0).nullable(), ok: z.literal(false), error: z.string() }).strict(),
]);
export type Response = z.infer<typeof responseSchema>;

export const eventMessageSchema = z.object({ event: topicNameSchema, subscription: z.number().int().min(0), data: z.unknown() }).strict();

export const serverMessageSchema = z.union([responseSchema, eventMessageSchema]);

export const subscribeResultSchema = z.object({ subscription: z.number().int().min(0), info: z.unknown() });

// --- the booth side ------------------------------------------------------------------------

/** Ends a live subscription (inhibits the acceptor, stops listening to the panel...). */
export type Unwatch = () => void | Promise<void>;

/**
 * What the booth exposes to the console. The composition root builds one (see handlers.ts)
 * from its parts; the server validates params before and results after each call.
 */
export interface ControlHandlers {
  status(): Promise<MethodResult<'status'>>;
  devices(): Promise<MethodResult<'devices'>>;
  session(): Promise<SessionInfo>;
  light(params: { on?: boolean; level?: number }): Promise<LightState>;
  curtain(): Promise<CurtainState>;
  cameraTest(): Promise<CameraTestResult>;
  printTest(): Promise<PrintTestResult>;
  counters(): Promise<Counters>;
  cashCollect(): Promise<CashCollection>;
  refunds(): Promise<RefundClaim[]>;
  refundPaid(params: { session: string }): Promise<RefundClaim>;
  coinIncidents(): Promise<CoinIncidentView[]>;
  coinIncidentClosed(params: { id: number }): Promise<CoinIncidentView>;
  journalTail(params: { limit: number }): Promise<JournalLine[]>;
  outbox(): Promise<OutboxState>;
  outboxFlush(): Promise<OutboxFlushResult>;
  configGet(params: { key?: string }): Promise<ConfigEntry[]>;
  configSet(params: { key: string; value: string }): Promise<ConfigSetResult>;
  network(): Promise<NetworkInfo>;
  restart(): Promise<{ accepted: boolean; message: string }>;
  sales(params: { enabled?: boolean; reason?: string }): Promise<SalesState>;
  /** Live topics: start streaming to `emit`; the returned function ends it. */
  watchCurtain(emit: (event: CurtainState) => void): Promise<{ info: CurtainState; stop: Unwatch }>;
  coinTest(emit: (event: CoinEvent) => void): Promise<{ info: TopicInfo<'coin'>; stop: Unwatch }>;
  touchTest(emit: (event: TouchEvent) => void): Promise<{ info: TopicInfo<'touch'>; stop: Unwatch }>;
}

export const subscribeParamsSchema = z.object({ topic: topicNameSchema, force: z.boolean().optional() }).strict();
export const unsubscribeParamsSchema = z.object({ subscription: z.number().int().min(0) }).strict();

/** A short human reading of a zod error, for answers and console messages. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}
