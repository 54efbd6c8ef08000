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
