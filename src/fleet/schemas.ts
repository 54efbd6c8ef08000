// The JSON payload of every fleet topic, as zod schemas: the booth and the operator tools
// validate with them at the edge, and docs/mqtt.md shows their JSON Schema
// (`cabine fleet schema` prints it; a test keeps the document in step).
import { z } from 'zod';
import { BOOTH_ID_RE } from './topics.ts';

const boothId = z.string().regex(BOOTH_ID_RE).describe('Booth id (config booth.id)');
const isoTime = z.string().min(10).max(40).describe('ISO-8601 time');
const counters = z.record(z.string().max(64), z.number().int().min(0));

/** What the booth says about itself; the composition root supplies it (FleetHooks.status). */
export const boothStatusSchema = z
  .object({
    sales: z.object({ enabled: z.boolean(), reason: z.string().max(200).optional() }).describe('Whether the booth takes customers, and why not'),
    step: z.string().max(40).optional().describe('Current session step (idle, capture, ...)'),
    priceCents: z.number().int().min(0).optional().describe('Current price of a session'),
    products: z
      .array(z.object({ id: z.string().max(32), delivers: z.enum(['ephoto', 'prints']), priceCents: z.number().int().min(0) }))
      .max(6)
      .optional()
      .describe('Products on sale (config products) and their prices'),
    devices: z
      .array(z.object({ name: z.string().max(40), ok: z.boolean(), simulated: z.boolean().optional(), fault: z.string().max(200).optional() }))
      .optional()
      .describe('Health of each device'),
  })
  .describe('Booth status');
export type BoothStatus = z.infer<typeof boothStatusSchema>;

export const statusSchema = z
  .object({
    state: z.enum(['online', 'offline']),
    booth: boothId,
    version: z.string().max(40).optional().describe('Firmware version'),
    at: isoTime,
    since: isoTime.optional().describe('When this connection started'),
    reason: z.string().max(200).optional().describe('Why offline (last will: connection lost; or clean shutdown)'),
    status: boothStatusSchema.optional(),
  })
  .describe('cabine/v1/<booth>/status (retained)');
export type StatusMessage = z.infer<typeof statusSchema>;

/** Booth-level counters, supplied by the composition root (FleetHooks.telemetry). Totals since commissioning. */
export const telemetrySnapshotSchema = z
  .object({
    sessions: z
      .object({ started: z.number().int().min(0), completed: z.number().int().min(0), cancelled: z.number().int().min(0) })
      .describe('Session counts'),
    revenueCents: z.number().int().min(0).describe('Money taken'),
    coins: counters.describe('Coins accepted per value in cents ("200": 12)'),
    retakes: counters.describe('Retakes per failing check id ("face.height": 3)'),
    printer: z
      .object({
        state: z.string().max(40),
        mediaLeft: z.number().int().min(0).nullable().describe('Sheets left in the trays, null if unknown'),
        printsLeft: z.number().int().min(0).nullable().optional().describe('Prints the booth can still make: the fewest over paper and each supply (printer-input-tray, printer-supply or marker-levels), null if unknown'),
        supplies: z
          .array(z.object({ name: z.string().max(80), percent: z.number().int().min(0).max(100).nullable() }))
          .max(16)
          .optional()
          .describe('Each supply (ribbon, ink...) and its level in percent'),
        reasons: z.array(z.string().max(80)).max(32).optional().describe('printer-state-reasons (media-low-warning, marker-supply-low-warning...)'),
      })
      .describe('Printer state and consumables'),
    cashBox: z
      .object({ totalCents: z.number().int().min(0), coins: counters.describe('Coins in the box per coin code ("EU200A": 12)'), since: z.string().max(40).nullable() })
      .optional()
      .describe('Cash box fill since the last collection, by coin'),
    refundsOwed: z
      .object({ count: z.number().int().min(0), cents: z.number().int().min(0) })
      .optional()
      .describe('Refund claims owed to customers whose paid delivery failed (refund-due records)'),
    coinIncidents: z
      .object({ count: z.number().int().min(0), missedEvents: z.number().int().min(0) })
      .optional()
      .describe('Money incidents not closed: coin acceptor events lost beyond its 5-event buffer (coins may have been taken and not credited; payment.coins-lost events)'),
    revenue: z
      .object({ coinCents: z.number().int().min(0), cardCents: z.number().int().min(0) })
      .optional()
      .describe('Money taken by coins (cash in the box) and by card (charged after delivery)'),
  })
  .describe('Booth counters');
export type TelemetrySnapshot = z.infer<typeof telemetrySnapshotSchema>;

/** Release versions: those of the signed bundles (src/update/bundle.ts). */
export const RELEASE_VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;

/** Where the booth is with the last update it was asked for (telemetry, events). */
export const updateReportSchema = z
  .object({
    state: z.enum(['downloading', 'staged', 'applying', 'done', 'rolled-back', 'failed']).describe('downloading and staged: the booth fetches and checks the bundle; applying: the updater switched and waits for the health gate; done, rolled-back (health gate failed, previous release back) or failed'),
    version: z.string().regex(RELEASE_VERSION_RE).describe('The release asked for'),
    from: z.string().max(64).nullable().optional().describe('The release it replaces'),
    reason: z.string().max(500).optional().describe('Why it failed or was rolled back'),
    at: isoTime,
  })
  .describe('The last update of the booth');
export type UpdateReport = z.infer<typeof updateReportSchema>;

export const telemetrySchema = z
  .object({
    booth: boothId,
    at: isoTime,
    counters: telemetrySnapshotSchema,
    host: z.object({
      diskFreeMb: z.number().nullable().describe('Free space of data.dir'),
      diskTotalMb: z.number().nullable(),
      cpuTempC: z.number().nullable().describe('SoC temperature, null where no thermal zone exists'),
      load1: z.number().describe('1-minute load average'),
      uptimeS: z.number().describe('System uptime'),
    }),
    process: z.object({ rssMb: z.number(), uptimeS: z.number(), version: z.string().max(40).optional() }),
    outbox: z.object({ depth: z.number().int().min(0), bytes: z.number().int().min(0), oldestAt: isoTime.nullable(), inFlight: z.number().int().min(0) }),
    update: updateReportSchema.optional(),
  })
  .describe('cabine/v1/<booth>/telemetry (retained, QoS 0)');
export type TelemetryMessage = z.infer<typeof telemetrySchema>;

export const eventSchema = z
  .object({
    type: z.string().min(1).max(64).describe('e.g. session.fault, device.fault, device.recovered, sales.inhibited'),
    severity: z.enum(['info', 'warning', 'error']),
    message: z.string().max(1000),
    at: isoTime,
    booth: boothId.optional(),
    sessionId: z.string().max(100).optional(),
    device: z.string().max(40).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .describe('cabine/v1/<booth>/events (QoS 1)');
export type FleetEvent = z.infer<typeof eventSchema>;

export const fileSchema = z.object({
  mime: z.string().max(100),
  bytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  base64: z.string().describe('The file itself'),
});
export type RecordFile = z.infer<typeof fileSchema>;

export const RECORD_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The signed content of a record (the `record` string of the envelope, parsed). */
export const recordSchema = z
  .object({
    id: z.string().regex(RECORD_ID_RE).describe('Unique id; the ingest is idempotent by it'),
    booth: boothId,
    type: z.string().regex(/^[a-z][a-z0-9.-]{0,31}$/).describe('session (issued code), payment, ...'),
    at: isoTime,
    data: z
      .record(z.string(), z.unknown())
      .describe(
        'Type-specific content; session: code, expires, sessionId, product (catalogue id), delivers (ephoto or prints), paidCents, startedAt, completedAt; payment: sessionId, product, outcome (settled or kept), dueCents, coinCents, appliedCreditCents, spentCents, storedCreditCents, coins [{coin, cents, at}], openedAt, closedAt; refund-due: sessionId, product, owedCents, paidBackCents, cashCents, claimCode, reason, state; refund-paid: sessionId, product, paidCents, paidBy',
      ),
    files: z.record(z.string().max(40), fileSchema).describe('Attached files (photo, signature), each with its SHA-256'),
  })
  .describe('A business record');
export type FleetRecord = z.infer<typeof recordSchema>;

export const envelopeSchema = z
  .object({
    v: z.literal(1),
    booth: boothId,
    keyId: z.string().regex(/^[0-9a-f]{16}$/).describe('First 16 hex of the SHA-256 of the signing public key (SPKI DER)'),
    record: z.string().describe('The record as a JSON string: the exact bytes that are signed'),
    sig: z.string().regex(/^[A-Za-z0-9+/]+=*$/).describe('Ed25519 signature of the UTF-8 bytes of `record`, base64'),
  })
  .describe('cabine/v1/<booth>/records (QoS 1)');
export type RecordEnvelope = z.infer<typeof envelopeSchema>;

export const ackSchema = z
  .object({ ids: z.array(z.string().regex(RECORD_ID_RE)).min(1).max(10_000) })
  .describe('cabine/v1/<booth>/records/ack (QoS 1): records stored by the fleet, to delete from the outbox');
export type AckMessage = z.infer<typeof ackSchema>;

export const commandArgs = {
  ping: z.object({}).strict(),
  status: z.object({}).strict(),
  telemetry: z.object({}).strict(),
  'set-price': z
    .object({
      cents: z.number().int().min(10).max(100000),
      product: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/).optional().describe('catalogue id of the product (absent: payment.priceCents, the price of products without their own)'),
    })
    .strict(),
  sales: z.object({ enabled: z.boolean(), reason: z.string().min(1).max(200).optional() }).strict(),
  'refund-paid': z
    .object({
      session: z.string().regex(/^[0-9a-f][0-9a-f-]{7,35}$/).describe('session id of the refund claim (from its refund-due record), or its first 8 characters or more'),
      by: z.string().min(1).max(80).optional().describe('who paid the customer back (for the books)'),
    })
    .strict(),
  'print-test': z.object({ force: z.boolean().optional().describe('run even during a customer session') }).strict(),
  'outbox-flush': z.object({}).strict(),
  reboot: z.object({ reason: z.string().max(200).optional(), force: z.boolean().optional().describe('reboot even during a customer session') }).strict(),
  update: z
    .object({
      url: z
        .string()
        .max(2000)
        .url()
        .refine((u) => /^https?:$/.test(new URL(u).protocol), 'the bundle URL must be http:// or https://')
        .refine((u) => !new URL(u).username && !new URL(u).password, 'no credentials in the bundle URL')
        .describe('Where the booth downloads the signed release bundle'),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits').describe('SHA-256 of the whole bundle file'),
      version: z.string().regex(RELEASE_VERSION_RE).describe('The release the bundle must carry'),
    })
    .strict()
    .describe('Download, check and install a signed release (never during a customer session)'),
} as const;
export type CommandName = keyof typeof commandArgs;
export const commandNames = Object.keys(commandArgs) as CommandName[];

export const commandResponseSchema = z
  .union([
    z.object({ ok: z.literal(true), command: z.string(), result: z.unknown() }),
    z.object({
      ok: z.literal(false),
      command: z.string(),
      error: z.object({
        code: z.enum(['unknown-command', 'malformed', 'invalid-args', 'failed', 'busy']),
        message: z.string(),
      }),
    }),
  ])
  .describe('Response on the request\'s response topic, with its correlation data');
export type CommandResponse = z.infer<typeof commandResponseSchema>;

export const configDesiredSchema = z
  .object({
    rev: z.string().min(1).max(64).describe('Revision chosen by the operator, echoed in the report'),
    config: z.record(z.string(), z.unknown()).describe('Partial config: sections and keys as in the config file'),
  })
  .strict()
  .describe('cabine/v1/<booth>/config/desired (retained, QoS 1)');
export type ConfigDesired = z.infer<typeof configDesiredSchema>;

export const configReportedSchema = z
  .object({
    rev: z.string().nullable().describe('rev of the desired config, null when it could not be read'),
    at: isoTime,
    ok: z.boolean().describe('Every key applied'),
    applied: z.record(z.string(), z.unknown()).describe('Dotted key → value now in force'),
    atRestart: z.record(z.string(), z.unknown()).optional().describe('Dotted key → value saved by the booth, in force after its next restart'),
    refused: z.array(z.object({ key: z.string(), value: z.unknown().optional(), reason: z.string() })),
    error: z.string().optional().describe('Why the whole message was refused (malformed)'),
  })
  .describe('cabine/v1/<booth>/config/reported (retained, QoS 1)');
export type ConfigReported = z.infer<typeof configReportedSchema>;

/** Every payload schema by topic, for docs and `cabine fleet schema`. */
export const payloadSchemas = {
  status: statusSchema,
  telemetry: telemetrySchema,
  events: eventSchema,
  records: envelopeSchema,
  'records (signed record)': recordSchema,
  'records/ack': ackSchema,
  'cmd/<name> response': commandResponseSchema,
  'config/desired': configDesiredSchema,
  'config/reported': configReportedSchema,
} as const;
