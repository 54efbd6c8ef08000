// The issuance registry on a real SQLite store.
import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/db.ts';
import { addMonths, createCodeRegistry } from '../../src/codes/registry.ts';
import { isWellFormed } from '../../src/codes/code.ts';

const memory = (t: Test) => {
  const store = openStore(tmpdir(), { file: ':memory:' });
  t.teardown(() => store.close());
  return store;
};

t.test('issueForSession is idempotent; sessions get distinct well-formed codes', async (t) => {
  const registry = createCodeRegistry(memory(t), { prefix: '9CAB' });
  const a = registry.issueForSession('s-1');
  t.ok(isWellFormed(a.code));
  t.equal(a.code.slice(0, 4), '9CAB');
  t.equal(a.kind, 'issued');
  t.equal(a.sessionId, 's-1');
  t.same(registry.issueForSession('s-1'), a, 'the second call returns the same code');
  const b = registry.issueForSession('s-2');
  t.not(b.code, a.code);
  t.same(registry.forSession('s-1'), a);
  t.equal(registry.forSession('nope'), undefined);
  t.throws(() => registry.issueForSession(''), /session id/);
});

t.test('a colliding code is drawn again, never issued twice', async (t) => {
  const draws = [Buffer.alloc(10, 1), Buffer.alloc(10, 1), Buffer.alloc(10, 1), Buffer.alloc(10, 2)];
  let i = 0;
  const registry = createCodeRegistry(memory(t), { prefix: '9CAB', random: () => draws[i++] ?? Buffer.alloc(10, 9) });
  const first = registry.issueForSession('s-1');
  const second = registry.issueForSession('s-2');
  t.not(second.code, first.code);
  t.equal(i, 4, 'two collisions, then a fresh draw');
  const stuck = createCodeRegistry(memory(t), { prefix: '9CAB', random: () => Buffer.alloc(10, 3), maxAttempts: 5 });
  stuck.issueForSession('x');
  t.throws(() => stuck.issueForSession('y'), /could not draw a unique code in 5 attempts/);
  t.equal(stuck.forSession('y'), undefined, 'nothing issued for the failed session');
});

t.test('test codes are registered as not issued and cannot be used', async (t) => {
  const registry = createCodeRegistry(memory(t), { prefix: 'ZZ00' });
  const codes = registry.generateTest(50);
  t.equal(new Set(codes.map((c) => c.code)).size, 50);
  for (const c of codes) {
    t.equal(c.kind, 'test');
    t.equal(c.sessionId, null);
    t.ok(isWellFormed(c.code));
  }
  t.equal(registry.state(codes[0]!.code), 'test');
  t.throws(() => registry.redeem(codes[0]!.code), /cannot be used: test/);
  t.throws(() => registry.generateTest(0), /positive/);
});

t.test('expiry after 6 calendar months, one use', async (t) => {
  let now = new Date('2025-08-31T10:00:00Z');
  const registry = createCodeRegistry(memory(t), { prefix: '9CAB', now: () => now });
  const issued = registry.issueForSession('s-1');
  t.equal(issued.expires, '2026-02-28T10:00:00.000Z', '31 August + 6 months = end of February');
  t.equal(registry.state(issued.code), 'valid');
  t.equal(registry.state('9CAB' + '0'.repeat(18)), 'unknown');
  now = new Date('2026-02-28T09:59:59Z');
  const used = registry.redeem(issued.code.toLowerCase());
  t.equal(used.usedAt, now.toISOString());
  t.equal(registry.state(issued.code), 'used');
  t.throws(() => registry.redeem(issued.code), /cannot be used: used/);
  const other = registry.issueForSession('s-2');
  now = new Date('2026-09-01T00:00:00Z');
  t.equal(registry.state(other.code), 'expired');
  t.throws(() => registry.redeem(other.code), /expired/);
  t.equal(addMonths(new Date('2024-01-15T00:00:00Z'), 6).toISOString(), '2024-07-15T00:00:00.000Z');
  t.equal(addMonths(new Date('2023-08-30T00:00:00Z'), 6).toISOString(), '2024-02-29T00:00:00.000Z');
});

t.test('the registry survives closing and reopening the database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-codes-'));
  const first = openStore(dir);
  const code = createCodeRegistry(first, { prefix: '9CAB' }).issueForSession('s-1');
  first.close();
  const second = openStore(dir);
  t.teardown(() => second.close());
  const registry = createCodeRegistry(second, { prefix: '9CAB' });
  t.same(registry.issueForSession('s-1'), code, 'same code after a restart');
  t.throws(() => createCodeRegistry(second, { prefix: 'OOPS' }), /prefix/);
});
