// 10,000 malformed commands and 10,000 malformed desired configs, generated from a seeded
// PRNG: the booth neither crashes nor stays silent — every one gets an error answer — and it
// still answers a good ping afterwards.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { commandResponseSchema, configReportedSchema, type CommandResponse } from '../../src/fleet/schemas.ts';
import { connectOperator, requestCommand } from '../../src/fleet/operator/client.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from './helpers/broker.ts';
import { makeBooth, until } from './helpers/booth.ts';

const N = 10_000;
const BATCH = 250;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20261123);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
const word = () => Array.from({ length: 1 + Math.floor(rand() * 12) }, () => pick([...'abcdefghijklmnopqrstuvwxyz-_0123456789'])).join('');

/** A payload that can never be a valid request for any command. */
function badCommandPayload(): Buffer | string {
  switch (Math.floor(rand() * 8)) {
    case 0:
      return Buffer.concat([Buffer.from([1 + Math.floor(rand() * 8)]), bytes(Math.floor(rand() * 300))]); // binary garbage
    case 1:
      return pick(['[]', '1', '"x"', 'null', 'true', '-0', '1e309', '[{"cents":800}]']); // JSON, not an object
    case 2:
      return JSON.stringify({ [`k${word()}`]: rand(), cents: 800, enabled: true }); // unknown key (strict)
    case 3:
      return `{"cents":${Math.floor(rand() * 1000)}`.slice(0, 3 + Math.floor(rand() * 8)); // truncated
    case 4:
      return '['.repeat(2000 + Math.floor(rand() * 5000)); // deep nesting
    case 5:
      return 'x'.repeat(17 * 1024); // too large
    case 6:
      return JSON.stringify({ __proto__: { admin: true }, constructor: { prototype: 1 }, cents: 'ten' });
    default:
      return `{"enabled":"${word()}","cents":${pick(['-5', '1.5', '"800"', 'null', '1e9'])},"reason":${pick(['7', '[]', '""'])}}`;
  }
}

function badConfigPayload(i: number): string | Buffer {
  const rev = `bad-${i}`;
  switch (Math.floor(rand() * 8)) {
    case 0:
      return Buffer.concat([Buffer.from([0x02]), bytes(1 + Math.floor(rand() * 200))]);
    case 1:
      return pick(['[]', '42', '"config"', 'null', 'false']);
    case 2:
      return JSON.stringify({ config: { payment: { priceCents: 900 } } }); // no rev
    case 3:
      return JSON.stringify({ rev, config: pick([[], 'x', 7, null]) });
    case 4:
      return JSON.stringify({ rev, config: { [word()]: { [word()]: rand() } } }); // unknown section
    case 5:
      return JSON.stringify({ rev, config: { payment: { priceCents: pick(['free', -1, 1.5, 1e12, null, [800]]) } } });
    case 6:
      return JSON.stringify({ rev, config: { fleet: { url: 'mqtt://elsewhere' } }, extra: true });
    default:
      return JSON.stringify({ rev, config: { booth: { id: word() }, session: { maxRetakes: pick(['3', -2, 11, {}]) } } });
  }
}

const broker = await startBroker();
t.teardown(() => broker.stop());
const booth = makeBooth(broker, 'FUZZ-1');
t.teardown(() => booth.close());
booth.fleet.start();
await until('connected', () => booth.fleet.listening);
const op = broker.operator();
const conn = await connectOperator({ url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile }, silentLogger(), 'fuzz');
t.teardown(() => conn.stop());

t.test(`${N} malformed commands: an error answer each`, async (t) => {
  const replyTopic = `${topics.replyPrefix('FUZZ-1')}fuzz`;
  const answers = new Map<string, CommandResponse>();
  conn.subscribe('fuzz', replyTopic, 1, (_topic, body, packet) => {
    const key = packet.properties?.correlationData?.toString('hex');
    if (key) answers.set(key, commandResponseSchema.parse(JSON.parse(body.toString())));
  });
  await conn.publish('cabine/v1/_sync', '', { qos: 1 });
  const names = ['ping', 'status', 'telemetry', 'set-price', 'sales', 'print-test', 'outbox-flush', 'reboot', '__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  for (let start = 0; start < N; start += BATCH) {
    const sent: string[] = [];
    const publishes: Promise<void>[] = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      const correlation = randomBytes(8);
      sent.push(correlation.toString('hex'));
      const name = rand() < 0.6 ? pick(names) : word();
      publishes.push(conn.publish(topics.cmd('FUZZ-1', name), badCommandPayload(), { qos: 1, properties: { responseTopic: replyTopic, correlationData: correlation } }));
    }
    await Promise.all(publishes);
    await until(`answers to batch ${start / BATCH}`, () => sent.every((k) => answers.has(k)), 60_000);
  }
  t.equal(answers.size, N, 'one answer per request');
  const codes = new Map<string, number>();
  let ok = 0;
  for (const a of answers.values()) {
    if (a.ok) ok++;
    else codes.set(a.error.code, (codes.get(a.error.code) ?? 0) + 1);
  }
  t.equal(ok, 0, 'none accepted');
  t.comment(`error codes: ${JSON.stringify(Object.fromEntries(codes))}`);
  t.ok((codes.get('unknown-command') ?? 0) > 0 && (codes.get('malformed') ?? 0) > 0 && (codes.get('invalid-args') ?? 0) > 0);
  t.same(booth.calls.price, [], 'no malformed request changed the price');
  t.same(booth.calls.reboots, [], 'nor rebooted the booth');
  t.match(await requestCommand(conn, 'FUZZ-1', 'ping', {}), { ok: true }, 'the booth still answers');
});

t.test(`${N} malformed desired configs: a refusal reported each`, async (t) => {
  let reports = 0;
  let accepted = 0;
  conn.subscribe('fuzz-config', topics.configReported('FUZZ-1'), 1, (_topic, body) => {
    if (body.length === 0) return;
    const report = configReportedSchema.parse(JSON.parse(body.toString()));
    reports++;
    if (report.ok || Object.keys(report.applied).length > 0) accepted++;
  });
  await conn.publish('cabine/v1/_sync', '', { qos: 1 });
  t.teardown(() => conn.publish(topics.configDesired('FUZZ-1'), '', { qos: 1, retain: true }));
  for (let start = 0; start < N; start += BATCH) {
    const end = Math.min(N, start + BATCH);
    for (let i = start; i < end; i++) await conn.publish(topics.configDesired('FUZZ-1'), badConfigPayload(i), { qos: 1, retain: true });
    await until(`reports of batch ${start / BATCH}`, () => reports >= end, 60_000);
  }
  t.equal(reports, N, 'one report per desired config');
  t.equal(accepted, 0, 'nothing applied');
  t.equal(booth.fleet.config().booth.id, 'FUZZ-1');
  t.equal(booth.fleet.config().payment.priceCents, 800);
  t.match(await requestCommand(conn, 'FUZZ-1', 'ping', {}), { ok: true }, 'the booth still answers');
});
