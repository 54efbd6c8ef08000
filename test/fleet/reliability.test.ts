// Exactly once, whatever happens on the way: broker killed and restarted mid-stream, booth
// killed mid-publish, duplicate deliveries, acks lost. Each ends with every record stored
// once at the ingest and the booth's outbox empty.
import t from 'tap';
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { openStore } from '../../src/store/db.ts';
import { createSqliteOutbox } from '../../src/store/outbox.ts';
import { topics } from '../../src/fleet/topics.ts';
import { startBroker } from './helpers/broker.ts';
import { boothConfig, makeBooth, startIngest, tempFleetDb, until } from './helpers/booth.ts';

const broker = await startBroker();
t.teardown(() => broker.stop());

const expectedIds = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`).sort();

t.test('broker killed and restarted mid-stream', async (t) => {
  const fdb = tempFleetDb();
  const booth = makeBooth(broker, 'REL-BROKER');
  fdb.db.enrol('REL-BROKER', booth.fleet.signingPublicKeyPem);
  const ingest = await startIngest(broker, fdb.db);
  t.teardown(async () => {
    await booth.close();
    await ingest.close();
    fdb.db.close();
    fdb.remove();
  });
  const photo = Buffer.alloc(20_000, 7);
  for (let i = 0; i < 600; i++) booth.fleet.enqueueRecord({ id: `rb-${i}`, type: 'payment', data: { cents: 200 }, files: { photo } });
  booth.fleet.start();
  await until('some records stored', () => fdb.db.counts().records >= 50, 60_000);
  await broker.kill();
  const storedAtKill = fdb.db.counts().records;
  t.ok(storedAtKill < 600, `broker killed mid-stream (${storedAtKill} of 600 stored)`);
  // Queued while the broker is down.
  for (let i = 600; i < 700; i++) booth.fleet.enqueueRecord({ id: `rb-${i}`, type: 'payment', data: { cents: 100 } });
  await new Promise((r) => setTimeout(r, 500));
  await broker.start();
  await booth.fleet.drained();
  t.equal(booth.fleet.outbox.depth(), 0, 'outbox empty');
  t.same(fdb.db.recordIds(), expectedIds('rb', 700), 'every record exactly once');
});

t.test('booth killed mid-publish and restarted', async (t) => {
  const fdb = tempFleetDb();
  const dir = mkdtempSync(join(tmpdir(), 'cabine-child-'));
  const config = boothConfig(broker, 'REL-KILL', dir);
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config));
  // The booth's signing key is made by the child; enrol it once it exists.
  const ingest = await startIngest(broker, fdb.db);
  t.teardown(async () => {
    await ingest.close();
    fdb.db.close();
    fdb.remove();
    rmSync(dir, { recursive: true, force: true });
  });
  const total = 1500;
  const run = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers/booth-child.ts'), configFile, String(total), '30000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    return { child, output: () => out, exited };
  };
  const first = run();
  t.teardown(() => first.child.kill('SIGKILL'));
  // Enrol the public key derived from the private key the child generated.
  await until('signing key', () => {
    try {
      fdb.db.enrol('REL-KILL', createPublicKey(readFileSync(join(dir, 'fleet-signing-key.pem'))).export({ type: 'spki', format: 'pem' }).toString());
      return true;
    } catch {
      return false;
    }
  });
  await until('publishing under way', () => fdb.db.counts().records >= 100, 60_000);
  first.child.kill('SIGKILL');
  await first.exited;
  const storedAtKill = fdb.db.counts().records;
  t.ok(storedAtKill < total, `booth killed mid-publish (${storedAtKill} of ${total} stored)`);

  const second = run();
  t.teardown(() => second.child.kill('SIGKILL'));
  await until('drained after restart', () => second.output().includes('drained'), 120_000);
  t.equal(await second.exited, 0);
  const store = openStore(dir);
  t.teardown(() => store.close());
  t.equal(createSqliteOutbox(store).depth(), 0, 'outbox empty');
  t.same(fdb.db.recordIds(), expectedIds('kill', total), 'every record exactly once');
});

t.test('duplicate deliveries are stored once and acknowledged again', async (t) => {
  const fdb = tempFleetDb();
  const booth = makeBooth(broker, 'REL-DUP');
  fdb.db.enrol('REL-DUP', booth.fleet.signingPublicKeyPem);
  const ingest = await startIngest(broker, fdb.db);
  t.teardown(async () => {
    await booth.close();
    await ingest.close();
    fdb.db.close();
    fdb.remove();
  });
  for (let i = 0; i < 50; i++) booth.fleet.enqueueRecord({ id: `dup-${i}`, type: 'payment', data: { cents: 50 } });
  const envelopes = booth.fleet.outbox.list(0, 100).map((item) => item.payload);
  booth.fleet.start();
  await booth.fleet.drained();
  // The same signed bytes delivered again, three times (as a broker or a resend would).
  const id = broker.identity('REL-DUP');
  const raw = await connectAsync(broker.url, { protocolVersion: 5, ca: readFileSync(broker.ca!.certFile), cert: readFileSync(id.certFile), key: readFileSync(id.keyFile), reconnectPeriod: 0 });
  t.teardown(() => raw.endAsync());
  const acks: string[] = [];
  raw.on('message', (_topic, body) => acks.push(...(JSON.parse(body.toString()) as { ids: string[] }).ids));
  await raw.subscribeAsync(topics.recordsAck('REL-DUP'), { qos: 1 });
  for (let round = 0; round < 3; round++) for (const e of envelopes) await raw.publishAsync(topics.records('REL-DUP'), e, { qos: 1 });
  await until('duplicates acknowledged', () => new Set(acks).size === 50 && acks.length >= 150);
  t.same(fdb.db.recordIds(), expectedIds('dup', 50), 'stored once');
  t.equal(fdb.db.counts().deliveries, 200, 'each delivery counted');
  t.equal(booth.fleet.outbox.depth(), 0);
});

t.test('acks lost: the booth sends again and the ingest acknowledges the duplicates', async (t) => {
  const fdb = tempFleetDb();
  const booth = makeBooth(broker, 'REL-ACK');
  fdb.db.enrol('REL-ACK', booth.fleet.signingPublicKeyPem);
  // The broker drops every ack (the ingest may not publish them).
  await broker.setAcl({ operatorsMayAck: false });
  const ingest = await startIngest(broker, fdb.db);
  t.teardown(async () => {
    await broker.setAcl({});
    await booth.close();
    await ingest.close();
    fdb.db.close();
    fdb.remove();
  });
  for (let i = 0; i < 100; i++) booth.fleet.enqueueRecord({ id: `ack-${i}`, type: 'payment', data: { cents: 20 } });
  booth.fleet.start();
  const window = booth.config.fleet.inflightWindow;
  await until('the first window stored', () => fdb.db.counts().records === window);
  await until('the window sent again after the ack timeout', () => booth.fleet.stats().resent >= window);
  await until('duplicates reached the ingest', () => fdb.db.counts().deliveries >= 2 * window);
  t.equal(fdb.db.counts().records, window, 'no more than the in-flight window is sent without acks');
  t.equal(booth.fleet.outbox.depth(), 100, 'no ack arrived: everything still in the outbox');
  await broker.setAcl({});
  await booth.fleet.drained();
  t.same(fdb.db.recordIds(), expectedIds('ack', 100), 'stored exactly once');
  t.ok(fdb.db.counts().deliveries > 100, 'records were delivered again after the lost acks');
  t.ok(booth.fleet.stats().resent > 0);
});
