// One process of simulated booths for bench/fleet-load.ts, built so the load generator is not
// the bottleneck: each booth is a plain MQTT 5 client (mqtt-packet over a TCP socket, no
// mqtt.js, no SQLite) that speaks what a booth speaks — CONNECT with the retained last will,
// retained `status` online, SUBSCRIBE to `records/ack`, `cmd/+` and `config/desired`,
// retained `telemetry` every N s — and drains its records with the booth's protocol: at most
// `window` unacknowledged, the next ones sent as `records/ack` names ids, everything unacked
// sent again after the ack timeout. Records are real signed envelopes (records.ts sealRecord),
// signed before the timed phase (signing is the booth's cost, spread over 10,000 Pis in the
// field, measured in bench/fleet-replay.ts), and their PUBLISH packets are built in advance.
// Records are issued either all at once on "go" (rate 0: the replay after an outage) or at an
// even pace (`rate` records/s over this process's booths, each booth in turn: a fleet in
// steady service).
// Warm-up: once subscribed, each booth sends one record and counts as connected when it is
// acknowledged (a running ingest has every booth's key parsed and cached; a fresh one pays
// ~0.5 ms per booth for that once, which would otherwise dominate a short run).
// Protocol on stdio: prints {"connected":n,"sealMs":..} when every booth is warmed up, waits
// for a line "go", prints {"drainedMs","resent","cpuMs","latencies":[ms...]} when every record
// is acknowledged. Latency = a record's issue → its id in `records/ack` at the booth.
// Usage: fleet-load-worker.ts <port> <firstIndex> <count> <records> <signingKeyFile> <telemetrySeconds> <photoBytes> <signatureBytes> <window> <rate>
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { generate, parser, type Packet } from 'mqtt-packet';
import { RetransmitTimer } from '../src/fleet/parts/rto.ts';
import { sealRecord } from '../src/fleet/records.ts';
import { loadOrCreateSigningKey } from '../src/fleet/signing.ts';
import { topics } from '../src/fleet/topics.ts';

const [portText, firstText, countText, recordsText, keyFile, telemetryText, photoText, signatureText, windowText] = process.argv.slice(2);
const port = Number(portText);
const first = Number(firstText);
const count = Number(countText);
const perBooth = Number(recordsText);
const telemetryMs = Number(telemetryText) * 1000;
const photoBytes = Number(photoText);
const signatureBytes = Number(signatureText);
const window = Number(windowText);
const rate = Number(process.argv[11] ?? 0);
// the booth's defaults (fleet.ts / parts/records.ts): 15 s, doubling up to 300 s, reset on progress
const ACK_TIMEOUT_MS = 15_000;
const MAX_ACK_TIMEOUT_MS = 300_000;
const opts = { protocolVersion: 5 };
const key = loadOrCreateSigningKey(String(keyFile));
const boothId = (i: number) => `LOAD-${String(i).padStart(5, '0')}`;

// One photo and one signature (incompressible, like JPEG/PNG), shared; each record differs by
// its id, code and times, and is signed on its own.
const photo = photoBytes > 0 ? Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(photoBytes - 3)]) : undefined;
const signature = signatureBytes > 0 ? Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(signatureBytes - 8)]) : undefined;

interface Booth {
  id: string;
  socket: Socket;
  packets: Buffer[];
  recordIds: string[];
  next: number;
  /** Records issued so far (the booth's outbox holds issued - acked). */
  issued: number;
  issuedAt: number[];
  inflight: Map<string, number>;
  acked: number;
  lastProgress: number;
  /** The booth's adaptive ack timeout (src/fleet/parts/rto.ts, as the records part uses it). */
  rto: RetransmitTimer;
  sentAt: number[];
  resentOnce: Set<number>;
}

const booths: Booth[] = [];
const latencies: number[] = [];
let resent = 0;
let connected = 0;
let payloadBytes = 0;
let onConnected: () => void = () => undefined;
let onDrained: () => void = () => undefined;
let doneBooths = 0;

function telemetryPayload(id: string): Buffer {
  const at = new Date().toISOString();
  return Buffer.from(
    JSON.stringify({
      booth: id,
      at,
      counters: { sessions: { started: 41, completed: 39, cancelled: 2 }, revenueCents: 31200, coins: { '50': 3, '100': 20, '200': 150 }, retakes: { 'face.height': 4, gaze: 2 }, printer: { state: 'idle', mediaLeft: 311 } },
      host: { diskFreeMb: 21000, diskTotalMb: 29000, cpuTempC: 51.5, load1: 0.21, uptimeS: 86400 },
      process: { rssMb: 180, uptimeS: 86000, version: 'load' },
      outbox: { depth: 0, bytes: 0, oldestAt: null, inFlight: 0 },
    }),
  );
}

function pump(b: Booth): void {
  while (b.inflight.size < window && b.next < b.issued) {
    const i = b.next++;
    b.inflight.set(b.recordIds[i]!, i);
    b.sentAt[i] = performance.now();
    b.socket.write(b.packets[i]!);
  }
}

function onAck(b: Booth, payload: Buffer): void {
  const { ids } = JSON.parse(payload.toString()) as { ids: string[] };
  const now = performance.now();
  let oldest: number | undefined;
  for (const id of ids) {
    const i = b.inflight.get(id);
    if (i === undefined) continue;
    b.inflight.delete(id);
    b.acked++;
    b.lastProgress = now;
    if (b.resentOnce.has(i)) b.resentOnce.delete(i);
    else oldest = Math.min(oldest ?? Infinity, b.sentAt[i] ?? now);
    b.rto.progress();
    if (i === 0) {
      if (++connected === count) onConnected();
    } else {
      latencies.push(now - (b.issuedAt[i] ?? now));
    }
  }
  if (oldest !== undefined) b.rto.sample(now - oldest);
  pump(b);
  if (b.acked === b.packets.length && b.packets.length > 0) {
    b.packets = []; // free the memory; marks the booth done
    if (++doneBooths === booths.length) onDrained();
  }
}

function startBooth(index: number): Booth {
  const id = boothId(index);
  const socket = connect({ port, host: '127.0.0.1', noDelay: true });
  const b: Booth = { id, socket, packets: [], recordIds: [], next: 0, issued: 0, issuedAt: [], inflight: new Map(), acked: 0, lastProgress: 0, rto: new RetransmitTimer({ floorMs: ACK_TIMEOUT_MS, capMs: MAX_ACK_TIMEOUT_MS }), sentAt: [], resentOnce: new Set() };
  const p = parser(opts);
  let pid = 1;
  socket.on('data', (chunk: Buffer) => p.parse(chunk));
  socket.on('error', (err) => {
    process.stderr.write(`booth ${id}: ${err.message}\n`);
  });
  p.on('packet', (packet: Packet) => {
    if (packet.cmd === 'connack') {
      socket.write(generate({ cmd: 'publish', topic: topics.status(id), payload: JSON.stringify({ state: 'online', booth: id, version: 'load', at: new Date().toISOString() }), qos: 1, retain: true, dup: false, messageId: 60_000 }, opts));
      socket.write(
        generate({ cmd: 'subscribe', messageId: 60_001, subscriptions: [{ topic: topics.recordsAck(id), qos: 1 }, { topic: topics.cmdFilter(id), qos: 1 }, { topic: topics.configDesired(id), qos: 1 }] }, opts),
      );
    } else if (packet.cmd === 'suback') {
      b.issuedAt[b.issued++] = performance.now(); // the warm-up record
      b.lastProgress = performance.now();
      pump(b);
    } else if (packet.cmd === 'publish') {
      if (packet.qos > 0) socket.write(generate({ cmd: 'puback', messageId: packet.messageId ?? 0, reasonCode: 0 }, opts));
      if (packet.topic === topics.recordsAck(id)) onAck(b, packet.payload as Buffer);
    }
  });
  socket.on('connect', () => {
    socket.write(
      generate(
        {
          cmd: 'connect',
          clientId: id,
          protocolVersion: 5,
          clean: true,
          keepalive: 300,
          will: { topic: topics.status(id), payload: JSON.stringify({ state: 'offline', booth: id, at: new Date().toISOString(), reason: 'connection lost' }), qos: 1, retain: true },
        },
        opts,
      ),
    );
  });
  // records: sealed and framed now, sent on "go"
  for (let r = -1; r < perBooth; r++) {
    const recordId = r < 0 ? `${id}-warm` : `${id}-r${r}`;
    const files: Record<string, Buffer> = {};
    if (photo) files.photo = photo;
    if (signature) files.signature = signature;
    const envelope = sealRecord(
      { id: recordId, type: 'session', data: { sessionId: `s${r}`, product: 'ephoto', code: `${id.replace('-', '')}X${r}`, expires: '2027-05-01T00:00:00.000Z', paidCents: 800, startedAt: new Date().toISOString(), completedAt: new Date().toISOString() }, files },
      id,
      key,
    );
    if (r >= 0) payloadBytes += envelope.length;
    b.recordIds.push(recordId);
    b.packets.push(generate({ cmd: 'publish', topic: topics.records(id), payload: envelope, qos: 1, retain: false, dup: false, messageId: pid++, properties: { contentType: 'application/json' } }, opts));
  }
  return b;
}

// the booth's ack timeout: everything unacked is sent again
const resendTimer = setInterval(() => {
  const now = performance.now();
  for (const b of booths) {
    if (b.inflight.size === 0 || now - b.lastProgress < b.rto.timeoutMs) continue;
    for (const i of b.inflight.values()) {
      resent++;
      b.resentOnce.add(i);
      b.socket.write(b.packets[i]!);
    }
    b.lastProgress = now;
    b.rto.backoff();
  }
}, 1000);

const tSeal = performance.now();
const ready = new Promise<void>((resolve) => (onConnected = resolve));
for (let i = first; i < first + count; i++) {
  booths.push(startBooth(i));
  if (i % 200 === 0) await new Promise((r) => setTimeout(r, 10)); // no thundering herd
}
await ready;
process.stdout.write(JSON.stringify({ connected, sealMs: performance.now() - tSeal, payloadBytes }) + '\n');

// telemetry: each booth every telemetryMs, spread evenly
let telemetrySent = 0;
const telemetryTimer = setInterval(
  () => {
    const b = booths[telemetrySent++ % booths.length]!;
    b.socket.write(generate({ cmd: 'publish', topic: topics.telemetry(b.id), payload: telemetryPayload(b.id), qos: 0, retain: true, dup: false }, opts));
  },
  Math.max(1, telemetryMs / booths.length),
);


const lines = createInterface({ input: process.stdin });
for await (const input of lines) {
  if (input.trim() !== 'go') continue;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const drained = new Promise<void>((resolve) => (onDrained = resolve));
  const issue = (b: Booth, at: number) => {
    if (b.inflight.size === 0) b.lastProgress = at;
    b.issuedAt[b.issued++] = at;
    pump(b);
  };
  if (rate <= 0) {
    for (const b of booths) for (let r = 0; r < perBooth; r++) issue(b, t0);
  } else {
    // event k: booth k mod n issues its record k div n, at t0 + k / rate
    const totalEvents = booths.length * perBooth;
    let k = 0;
    const pace = setInterval(() => {
      const due = Math.min(totalEvents, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      for (; k < due; k++) issue(booths[k % booths.length]!, t0 + (k / rate) * 1000);
      if (k >= totalEvents) clearInterval(pace);
    }, 5);
  }
  if (perBooth > 0) await drained;
  else onDrained();
  const cpu = process.cpuUsage(cpu0);
  const line = JSON.stringify({ drainedMs: performance.now() - t0, resent, telemetrySent, cpuMs: (cpu.user + cpu.system) / 1000, latencies: latencies.map((ms) => Math.round(ms)) }) + '\n';
  await new Promise((resolve) => process.stdout.write(line, resolve)); // a pipe: written before the exit below
  break;
}
clearInterval(telemetryTimer);
clearInterval(resendTimer);
for (const b of booths) {
  b.socket.write(generate({ cmd: 'disconnect', reasonCode: 0 }, opts));
  b.socket.end();
}
process.exit(0);
