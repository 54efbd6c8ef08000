import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/db.ts';

t.test('WAL and synchronous=FULL on the booth database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-store-'));
  const store = openStore(dir);
  t.teardown(() => store.close());
  t.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(store.db.pragma('synchronous', { simple: true }), 2, 'FULL');
});

t.test('migrations are versioned per owner and applied once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-store-'));
  const v1 = 'CREATE TABLE thing (id INTEGER PRIMARY KEY, name TEXT)';
  const v2 = 'ALTER TABLE thing ADD COLUMN colour TEXT';
  let store = openStore(dir);
  store.migrate('things', [v1]);
  store.db.prepare('INSERT INTO thing (name) VALUES (?)').run('a');
  store.close();

  store = openStore(dir);
  store.migrate('things', [v1, v2]);
  store.migrate('things', [v1, v2]);
  store.db.prepare('INSERT INTO thing (name, colour) VALUES (?, ?)').run('b', 'red');
  t.same(store.db.prepare('SELECT name, colour FROM thing ORDER BY id').all(), [
    { name: 'a', colour: null },
    { name: 'b', colour: 'red' },
  ]);
  t.throws(() => store.migrate('things', [v1]), /newer than this software/);
  store.close();
});

t.test('a failing migration step leaves nothing half-applied', async (t) => {
  const store = openStore('', { file: ':memory:' });
  t.teardown(() => store.close());
  t.throws(() => store.migrate('broken', ['CREATE TABLE ok1 (a); CREATE TABLE ok1 (b)']));
  t.same(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'ok1'").all(), []);
  store.migrate('broken', ['CREATE TABLE ok1 (a)']);
  t.same(store.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations WHERE owner = ?').get('broken'), { n: 1 });
});
