// Pure parts of the fleet: record sealing and verification, the signing key file, the
// remote-config decision, topic matching and reconnect backoff.
import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.ts';
import { backoffDelay } from '../../src/fleet/connection.ts';
import { decideConfig } from '../../src/fleet/parts/config.ts';
import { openEnvelope, parseEnvelope, sealRecord, sessionRecordInput } from '../../src/fleet/records.ts';
import { loadOrCreateSigningKey, signBytes } from '../../src/fleet/signing.ts';
import { topicMatches } from '../../src/fleet/topics.ts';
import { testCode } from './helpers/codes.ts';

const dir = mkdtempSync(join(tmpdir(), 'cabine-records-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(join(dir, 'keys', 'signing.pem'));

t.test('the signing key is created once, private (0600), and reloaded identical', async (t) => {
  t.equal(statSync(join(dir, 'keys', 'signing.pem')).mode & 0o777, 0o600);
  t.equal(loadOrCreateSigningKey(join(dir, 'keys', 'signing.pem')).keyId, key.keyId);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
  writeFileSync(join(dir, 'rsa.pem'), rsa);
  t.throws(() => loadOrCreateSigningKey(join(dir, 'rsa.pem')), /must be Ed25519/);
  writeFileSync(join(dir, 'junk.pem'), 'not a key');
  t.throws(() => loadOrCreateSigningKey(join(dir, 'junk.pem')), /cannot read the record-signing key/);
});

t.test('a sealed record opens with the booth key and nothing else', async (t) => {
  const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(1000, 3)]);
  const sealed = sealRecord({ id: 'r-1', type: 'session', data: { code: testCode(1), paidCents: 800 }, files: { photo } }, 'B-1', key);
  const env = parseEnvelope(sealed);
  if (!env.ok) throw new Error(env.reason);
  const opened = openEnvelope(env.envelope, 'B-1', key.publicKey);
  t.ok(opened.ok);
  if (opened.ok) {
    t.equal(opened.record.files.photo?.mime, 'image/jpeg');
    t.ok(opened.files.photo?.equals(photo));
    t.same(opened.record.data, { code: testCode(1), paidCents: 800 });
  }
  const other = generateKeyPairSync('ed25519').publicKey;
  t.match(openEnvelope(env.envelope, 'B-1', other), { ok: false, reason: /signature/ });
  t.match(openEnvelope(env.envelope, 'B-2', key.publicKey), { ok: false, reason: /names booth B-1/ });
  const tampered = { ...env.envelope, record: env.envelope.record.replace('"paidCents":800', '"paidCents":8') };
  t.match(openEnvelope(tampered, 'B-1', key.publicKey), { ok: false, reason: /signature/ });
  t.match(openEnvelope({ ...env.envelope, sig: 'AAAA' }, 'B-1', key.publicKey), { ok: false });

  // Signed, but the file does not match its declared hash: refused too.
  const record = JSON.parse(env.envelope.record) as { files: { photo: { base64: string } } };
  record.files.photo.base64 = Buffer.from('other').toString('base64');
  const text = JSON.stringify(record);
  const forged = { ...env.envelope, record: text, sig: signBytes(key, Buffer.from(text)) };
  t.match(openEnvelope(forged, 'B-1', key.publicKey), { ok: false, reason: /does not match/ });

  t.match(parseEnvelope(Buffer.from('{')), { ok: false, reason: 'not JSON' });
  t.match(parseEnvelope(Buffer.from('{"v":2}')), { ok: false });
  t.throws(() => sealRecord({ id: 'bad id/with slash', type: 'session', data: {} }, 'B-1', key), /not valid/);
  t.throws(() => sealRecord({ id: 'r-2', type: 'session', data: {}, files: { photo: join(dir, 'missing.jpg') } }, 'B-1', key), /cannot be read/);
});

t.test('a session record carries its data and embeds photo and signature', async (t) => {
  writeFileSync(join(dir, 'p.jpg'), Buffer.from([0xff, 0xd8, 0xff, 1]));
  writeFileSync(join(dir, 's.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const input = sessionRecordInput({
    id: 'session-x',
    type: 'session',
    sessionId: 'x',
    product: 'ephoto',
    code: testCode(2),
    photoFile: join(dir, 'p.jpg'),
    signatureFile: join(dir, 's.png'),
    boardFile: join(dir, 'board.png'),
    paidCents: 800,
    completedAt: '2026-11-23T10:00:00.000Z',
  });
  t.same(input.data, { sessionId: 'x', product: 'ephoto', code: testCode(2), paidCents: 800, completedAt: '2026-11-23T10:00:00.000Z' });
  t.same(Object.keys(input.files ?? {}), ['photo', 'signature']);
  t.equal(input.at, '2026-11-23T10:00:00.000Z');
});

t.test('remote config: schema-checked key by key, identity and link keys refused', async (t) => {
  const current = validateConfig({ booth: { id: 'B-1' } });
  const d = decideConfig(current, { payment: { priceCents: 900, storedCreditMinutes: -1 }, data: { dir: '/tmp/x' }, camera: { nope: 1 }, ui: 'loud' });
  t.same(d.accepted, [{ key: 'payment.priceCents', value: 900 }]);
  t.equal(d.next.payment.priceCents, 900);
  const refusedKeys = d.refused.map((r) => r.key).sort();
  t.same(refusedKeys, ['camera.nope', 'data.dir', 'payment.storedCreditMinutes', 'ui']);
  t.equal(current.payment.priceCents, 800, 'the current config is not mutated');
  const none = decideConfig(current, {});
  t.same(none.accepted, []);
  t.same(none.refused, []);
});

t.test('topic filters and backoff', async (t) => {
  t.ok(topicMatches('cabine/v1/+/records', 'cabine/v1/B/records'));
  t.notOk(topicMatches('cabine/v1/+/records', 'cabine/v1/B/records/ack'));
  t.ok(topicMatches('$share/ingest/cabine/v1/+/records', 'cabine/v1/B/records'));
  t.ok(topicMatches('cabine/v1/#', 'cabine/v1/B/cmd/x'));
  t.notOk(topicMatches('cabine/v1/B/cmd/+', 'cabine/v1/B/cmd'));
  t.equal(backoffDelay(0, 1000, 60000, () => 0), 500);
  t.equal(backoffDelay(0, 1000, 60000, () => 1), 1000);
  t.equal(backoffDelay(3, 1000, 60000, () => 1), 8000);
  t.equal(backoffDelay(50, 1000, 60000, () => 1), 60000, 'capped');
  t.equal(backoffDelay(50, 1000, 60000, () => 0), 30000, 'half of the cap at least: no reconnect storm after an outage');
});

t.test('without a broker, records wait durably in the outbox across restarts', async (t) => {
  const { createFleet } = await import('../../src/fleet/fleet.ts');
  const { openStore } = await import('../../src/store/db.ts');
  const { silentLogger } = await import('../../src/log.ts');
  const { recordingHooks } = await import('./helpers/booth.ts');
  const boothDir = join(dir, 'offline-booth');
  const config = validateConfig({ booth: { id: 'OFF-1' }, data: { dir: boothDir } });
  const open = () => {
    const store = openStore(boothDir);
    return { store, fleet: createFleet(config, { store, logger: silentLogger(), hooks: recordingHooks().hooks, version: 't' }) };
  };
  let { store, fleet } = open();
  t.equal(fleet.enabled, false);
  fleet.start();
  t.same(fleet.enqueueRecord({ id: 'off-1', type: 'payment', data: { cents: 200 } }), { id: 'off-1', queued: true });
  t.same(fleet.enqueueRecord({ id: 'off-2', type: 'payment', data: { cents: 100 } }), { id: 'off-2', queued: true });
  fleet.publishEvent({ type: 'device.fault', severity: 'error', message: 'printer', at: new Date().toISOString() });
  await fleet.stop();
  const keyId = fleet.signingKeyId;
  store.close();
  ({ store, fleet } = open());
  t.teardown(() => store.close());
  t.same(fleet.outbox.list(0, 10).map((i) => i.id), ['off-1', 'off-2'], 'still queued, in order, after a restart');
  t.equal(fleet.signingKeyId, keyId, 'same signing key after a restart');
  t.equal(fleet.enqueueRecord({ id: 'off-1', type: 'payment', data: { cents: 200 } }).queued, false);
});
