// PIN hashing and the lockout policy (persisted in the store, growing delay).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPin, openLockout, verifyPin } from '../../src/console/auth.ts';
import { openStore } from '../../src/store/db.ts';

t.test('scrypt hash: right PIN only, salted, malformed hash refused', async (t) => {
  const cost = { N: 1024, r: 8, p: 1 };
  const a = await hashPin('123456', cost);
  const b = await hashPin('123456', cost);
  t.not(a, b, 'salted');
  t.equal(await verifyPin('123456', a), true);
  t.equal(await verifyPin('123457', a), false);
  t.equal(await verifyPin('', a), false);
  await t.rejects(hashPin('12345'), /6 to 12 digits/);
  await t.rejects(verifyPin('123456', 'plain-text-pin'), /not a PIN hash/);
});

t.test('lockout grows and survives reopening the database', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-lockout-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const policy = { freeFailures: 3, baseSeconds: 30, maxSeconds: 3600, forgetSeconds: 86400 };
  let store = openStore(dir);
  let lockout = openLockout(store, policy);
  const t0 = 1_700_000_000_000;
  t.same(lockout.failure(t0), { failures: 1, lockedUntil: null });
  t.same(lockout.failure(t0), { failures: 2, lockedUntil: null });
  t.same(lockout.failure(t0), { failures: 3, lockedUntil: t0 + 30_000 });
  store.close();
  store = openStore(dir);
  lockout = openLockout(store, policy);
  t.same(lockout.state(t0 + 1000), { failures: 3, lockedUntil: t0 + 30_000 }, 'a reconnect does not reset it');
  t.same(lockout.failure(t0 + 31_000), { failures: 4, lockedUntil: t0 + 31_000 + 60_000 }, 'doubles');
  t.same(lockout.failure(t0 + 100_000), { failures: 5, lockedUntil: t0 + 100_000 + 120_000 });
  for (let i = 0; i < 20; i++) lockout.failure(t0 + 200_000);
  t.equal(lockout.state(t0 + 200_000).lockedUntil, t0 + 200_000 + 3_600_000, 'capped at an hour');
  lockout.success();
  t.same(lockout.state(t0 + 200_000), { failures: 0, lockedUntil: null });
  lockout.failure(t0);
  t.same(lockout.state(t0 + 86_401_000), { failures: 0, lockedUntil: null }, 'old failures forgotten');
  store.close();
});
