// One behaviour suite for every Outbox implementation (the MQTT.js abstract-store idea), run
// against the SQLite outbox and the in-memory one, plus the durability the SQLite one adds.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/db.ts';
import { createMemoryOutbox, createSqliteOutbox, type Outbox } from '../../src/store/outbox.ts';


function outboxBehaviour(name: string, build: (t: Test) => Outbox): void {
  t.test(`${name}: put is idempotent by id and keeps order`, async (t) => {
    const box = build(t);
    const a = box.put('a', Buffer.from('A'));
    const b = box.put('b', Buffer.from('BB'));
    const again = box.put('a', Buffer.from('changed'));
    t.ok(a.inserted && b.inserted);
    t.notOk(again.inserted, 'same id is not queued twice');
    t.equal(again.seq, a.seq);
    t.ok(b.seq > a.seq, 'seq grows');
    t.same(box.list(0, 10).map((i) => [i.id, i.payload.toString()]), [['a', 'A'], ['b', 'BB']]);
    t.equal(box.get('a')?.payload.toString(), 'A', 'the first payload stays');
    t.equal(box.depth(), 2);
    t.equal(box.bytes(), 3);
    t.ok(box.oldestAt());
  });

  t.test(`${name}: list pages after a seq with a limit`, async (t) => {
    const box = build(t);
    for (let i = 0; i < 10; i++) box.put(`r${i}`, Buffer.from(String(i)));
    const first = box.list(0, 4);
    t.same(first.map((i) => i.id), ['r0', 'r1', 'r2', 'r3']);
    const next = box.list(first[3]!.seq, 4);
    t.same(next.map((i) => i.id), ['r4', 'r5', 'r6', 'r7']);
    t.same(box.list(next[3]!.seq, 100).map((i) => i.id), ['r8', 'r9']);
  });

  t.test(`${name}: ack deletes, duplicate acks are harmless, acked ids are not re-queued`, async (t) => {
    const box = build(t);
    box.put('x', Buffer.from('1'));
    box.put('y', Buffer.from('2'));
    t.equal(box.ack('x'), true);
    t.equal(box.ack('x'), false, 'second ack of the same id');
    t.equal(box.ack('never-seen'), false);
    t.equal(box.put('never-seen', Buffer.from('3')).inserted, true, 'an ack of an id never queued does not block it later');
    t.equal(box.ack('never-seen'), true);
    t.same(box.list(0, 10).map((i) => i.id), ['y']);
    t.notOk(box.put('x', Buffer.from('1')).inserted, 'an acknowledged record is not sent again');
    t.equal(box.depth(), 1);
    box.ack('y');
    t.equal(box.depth(), 0);
    t.equal(box.bytes(), 0);
    t.equal(box.oldestAt(), undefined);
  });
}

outboxBehaviour('memory', () => createMemoryOutbox());
outboxBehaviour('sqlite', (t) => {
  const store = openStore('', { file: ':memory:' });
  t.teardown(() => store.close());
  return createSqliteOutbox(store);
});

t.test('sqlite: what was put survives closing and reopening the database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-outbox-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let store = openStore(dir);
  let box = createSqliteOutbox(store);
  box.put('one', Buffer.from([0, 1, 2, 255]));
  box.put('two', Buffer.from('2'));
  box.ack('two');
  store.close();
  store = openStore(dir);
  t.teardown(() => store.close());
  box = createSqliteOutbox(store);
  t.same(box.list(0, 10).map((i) => [i.id, [...i.payload]]), [['one', [0, 1, 2, 255]]]);
  t.notOk(box.put('two', Buffer.from('2')).inserted, 'the ack is remembered across restarts');
  const three = box.put('three', Buffer.from('3'));
  t.ok(three.seq > box.get('one')!.seq, 'seq keeps growing after a restart');
});

for (const [name, build] of [
  ['memory', () => createMemoryOutbox()],
  ['sqlite', () => createSqliteOutbox(openStore('', { file: ':memory:' }))],
] as const) {
  t.test(`${name}: ackMany deletes what was queued and says which`, async (t) => {
    const box = build();
    for (const id of ['a', 'b', 'c']) box.put(id, Buffer.from(id));
    t.same(box.ackMany(['c', 'x', 'a', 'a']), ['c', 'a']);
    t.same(box.list(0, 10).map((i) => i.id), ['b']);
  });
}

for (const [name, build] of [
  ['memory', () => createMemoryOutbox({ ackedMemory: 3 })],
  ['sqlite', () => createSqliteOutbox(openStore('', { file: ':memory:' }), { ackedMemory: 3 })],
] as const) {
  t.test(`${name}: a refused put says so exactly, and reads nothing of the queue`, async (t) => {
    const box = build();
    const first = box.put('a', Buffer.from('A'));
    t.strictSame(first, { seq: 1, inserted: true });
    t.strictSame(box.put('a', Buffer.from('A')), { seq: 1, inserted: false }, 'queued: its seq');
    box.ack('a');
    t.strictSame(box.put('a', Buffer.from('A')), { seq: 0, inserted: false }, 'acknowledged: no seq');
    t.equal(box.depth(), 0);
    t.equal(box.bytes(), 0);
    t.equal(box.oldestAt(), undefined);
  });
}

t.test('memory: the acknowledged ids beyond its memory are forgotten, oldest first', async (t) => {
  const box = createMemoryOutbox({ ackedMemory: 3 });
  for (const id of ['a', 'b', 'c', 'd']) {
    box.put(id, Buffer.from(id));
    box.ack(id);
  }
  for (const id of ['b', 'c', 'd']) t.strictSame(box.put(id, Buffer.from(id)), { seq: 0, inserted: false }, `${id} remembered`);
  t.strictSame(box.put('a', Buffer.from('a')), { seq: 5, inserted: true }, 'the oldest was forgotten: queued again');
});

t.test('sqlite: the acknowledged ids beyond its memory are forgotten every 1000 acks, keeping the newest', async (t) => {
  const store = openStore('', { file: ':memory:' });
  t.teardown(() => store.close());
  const box = createSqliteOutbox(store, { ackedMemory: 5 });
  const ids = Array.from({ length: 1000 }, (_, i) => `r${i}`);
  for (const id of ids) box.put(id, Buffer.from(id));
  t.equal(box.ackMany(['unknown', ...ids.slice(0, 999)]).length, 999);
  t.strictSame(box.put('r0', Buffer.from('r0')), { seq: 0, inserted: false }, '999 acks: nothing forgotten yet');
  t.equal(box.ack('r999'), true);
  t.strictSame(box.put('r995', Buffer.from('x')), { seq: 0, inserted: false }, 'the 5 newest are remembered');
  t.equal(box.put('r994', Buffer.from('x')).inserted, true, 'the 1000th ack forgot the older ones');
  for (let i = 0; i < 10; i++) {
    box.put(`s${i}`, Buffer.from('s'));
    box.ack(`s${i}`);
  }
  t.strictSame(box.put('r996', Buffer.from('x')), { seq: 0, inserted: false }, 'the next trim is 1000 acks later');
});

t.test('sqlite: opens the outbox of a database an earlier release wrote (migration owner "outbox", version 1)', async (t) => {
  const store = openStore('', { file: ':memory:' });
  t.teardown(() => store.close());
  store.db.exec(`CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, payload BLOB NOT NULL, created_at TEXT NOT NULL);
    CREATE TABLE outbox_acked (id TEXT PRIMARY KEY, acked_at TEXT NOT NULL);
    INSERT INTO schema_migrations (owner, version) VALUES ('outbox', 1);
    INSERT INTO outbox (id, payload, created_at) VALUES ('waiting', X'0102', '2025-03-01T10:00:00.000Z');
    INSERT INTO outbox_acked (id, acked_at) VALUES ('sent', '2025-03-01T09:00:00.000Z');`);
  const box = createSqliteOutbox(store);
  t.strictSame(box.list(0, 10).map((i) => [i.seq, i.id, [...i.payload], i.createdAt]), [[1, 'waiting', [1, 2], '2025-03-01T10:00:00.000Z']]);
  t.equal(box.oldestAt(), '2025-03-01T10:00:00.000Z');
  t.equal(box.bytes(), 2);
  t.equal(box.put('sent', Buffer.from('again')).inserted, false);
});
