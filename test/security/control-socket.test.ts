// Attack: a process that can open the booth's control socket (same user or group) without the
// technician PIN turned sales off, pointed fleet.url elsewhere, read the cash counters and
// forged an audit entry. The booth now answers such a client only its login state: every
// other request is refused and changes nothing. With the PIN (positive control) the same
// requests work, and the audit trail holds what the booth did, written by the booth.
// Against the real simulated booth (`buildBooth`, its control server on a Unix socket).
import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPin } from '../../src/console/auth.ts';
import { methods } from '../../src/console/protocol.ts';
import { startRealBooth, until, writeBoothConfig } from '../console/real-booth.ts';

const PIN = '604118';
const dir = mkdtempSync(join(tmpdir(), 'cabine-sec-ctl-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const { configFile, socketPath, pinFile } = writeBoothConfig(dir, await hashPin(PIN, { N: 1024, r: 8, p: 1 }), ['  idleTimeoutSeconds: 600']);
const real = await startRealBooth(configFile);
t.teardown(() => real.stop());
const db = real.booth.store.db;

/** A raw client of the socket, as an attacker writes one: JSON lines, no console code. */
async function rawClient(): Promise<{ ask(method: string, params?: unknown): Promise<{ ok: boolean; result?: unknown; error?: string }>; socket: Socket }> {
  const socket = createConnection(socketPath);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  t.teardown(() => socket.destroy());
  let buffered = '';
  const waiting = new Map<number, (m: { ok: boolean; result?: unknown; error?: string }) => void>();
  socket.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const m = JSON.parse(buffered.slice(0, nl)) as { id: number; ok: boolean; result?: unknown; error?: string };
      buffered = buffered.slice(nl + 1);
      waiting.get(m.id)?.(m);
    }
  });
  let next = 1;
  return {
    socket,
    ask: (method, params = {}) =>
      new Promise((resolve) => {
        const id = next++;
        waiting.set(id, resolve);
        socket.write(JSON.stringify({ id, method, params }) + '\n');
      }),
  };
}

const auditRows = () => db.prepare('SELECT kind, port, command, outcome, detail FROM console_audit ORDER BY id').all() as { kind: string; port: string; command: string | null; outcome: string | null; detail: string | null }[];

/** Params that make each method valid (so a refusal is about the PIN, not the params). */
const validParams: Record<string, unknown> = {
  light: { on: true },
  journalTail: { limit: 5 },
  configGet: { key: 'fleet.url' },
  configSet: { key: 'fleet.url', value: 'mqtt://evil.example:1883' },
  sales: { enabled: false, reason: 'attacker' },
};

t.test('without the PIN: nothing changes, nothing is revealed', async (t) => {
  const lightBefore = real.booth.parts.lighting.status().readings;
  const evil = await rawClient();
  const state = await evil.ask('loginState');
  t.same(state, { id: 1, ok: true, result: { pinSet: true, failures: 0, lockedUntil: null } }, 'the login state is all it gets');
  for (const method of Object.keys(methods)) {
    const answer = await evil.ask(method, validParams[method] ?? {});
    t.same({ ok: answer.ok, result: answer.result }, { ok: false, result: undefined }, `${method}: refused`);
    t.match(answer.error, /^refused: not logged in/, `${method}: says why`);
  }
  for (const topic of ['coin', 'touch', 'curtain']) {
    const answer = await evil.ask('subscribe', { topic });
    t.match(answer.error, /^refused: not logged in/, `live ${topic}: refused`);
  }
  const forged = await evil.ask('audit', { kind: 'login', at: new Date().toISOString(), port: '/dev/ttyAMA0', command: null, outcome: 'ok', detail: 'technician on site' });
  t.match(forged.error, /not logged in/, 'no audit entry can be written by a client');
  const resumed = await evil.ask('resume', { token: 'A'.repeat(43), port: 'stdio' });
  t.same(resumed.result, { resumed: false }, 'a guessed token is no session');
  t.match((await evil.ask('counters')).error, /not logged in/);

  t.equal(real.booth.unavailable(), null, 'sales still on');
  t.equal(real.booth.settings.current().fleet.url, undefined, 'fleet.url unchanged');
  t.notOk(real.booth.settings.pending()['fleet.url'], 'nothing saved for the restart');
  t.same(real.booth.parts.coinAcceptor.acceptance(), [], 'the acceptor stays inhibited');
  t.same(real.booth.parts.lighting.status().readings, lightBefore, 'the light is as it was');
  const rows = auditRows();
  t.ok(rows.length >= 1 && rows.length <= 2, `the refusals are on record without flooding it (${rows.length} row(s) for ${Object.keys(methods).length + 5} requests)`);
  t.ok(rows.every((r) => r.kind === 'command' && r.outcome === 'refused' && /not logged in/.test(r.detail ?? '')), 'as refusals');
  t.notOk(rows.some((r) => r.detail === 'technician on site'), 'the forged entry is not there');
});

t.test('the PIN file: 0600 only, wrong PINs lock out', async (t) => {
  const evil = await rawClient();
  chmodSync(pinFile, 0o644);
  const exposed = await evil.ask('login', { pin: PIN, port: 'stdio' });
  t.match(exposed.result, { outcome: 'no-pin', detail: /may be read by others \(mode 0644\)/ }, 'a PIN file others may read is not trusted');
  chmodSync(pinFile, 0o600);
  for (let i = 1; i <= 2; i++) t.match((await evil.ask('login', { pin: '000000', port: 'stdio' })).result, { outcome: 'wrong', failures: i, lockedUntil: null });
  t.match((await evil.ask('login', { pin: '000001', port: 'stdio' })).result, { outcome: 'wrong', failures: 3, lockedUntil: String });
  t.match((await evil.ask('login', { pin: PIN, port: 'stdio' })).result, { outcome: 'locked' }, 'the right PIN while locked is not even checked');
  t.match((await evil.ask('sales', { enabled: false })).error, /not logged in/);
  const kinds = auditRows().map((r) => r.kind);
  t.ok(kinds.filter((k) => k === 'login-failed').length >= 4 && kinds.includes('locked-out'), 'failures and the lockout on record');
  // The lockout is short in this booth's config (3 s): wait it out for the next test.
  await until('lockout over', () => (real.booth.store.db.prepare('SELECT locked_until_ms FROM console_lockout').get() as { locked_until_ms: number }).locked_until_ms < Date.now(), 10_000);
});

t.test('with the PIN (positive control): the requests work, the booth writes the audit', async (t) => {
  const tech = await rawClient();
  const login = await tech.ask('login', { pin: PIN, port: '/dev/ttyAMA0' });
  t.match(login.result, { outcome: 'ok', token: String });
  const counters = await tech.ask('counters');
  t.ok(counters.ok, 'cash counters for the technician');
  t.match((await tech.ask('sales', { enabled: false, reason: 'maintenance' })).result, { enabled: false, reason: 'maintenance' });
  t.match(real.booth.unavailable(), /maintenance/, 'the booth stops selling');
  t.match((await tech.ask('sales', { enabled: true })).result, { enabled: true });
  t.match((await tech.ask('audit', { kind: 'login', at: new Date().toISOString(), port: 'x', command: null, outcome: 'ok', detail: 'forged' })).error, /unknown method "audit"/, 'even logged in, a client cannot write the audit');

  // The session resumes on another connection with its token (as after a booth restart)...
  const token = (login.result as { token: string }).token;
  const again = await rawClient();
  t.same((await again.ask('resume', { token, port: '/dev/ttyAMA0' })).result, { resumed: true });
  t.ok((await again.ask('outbox')).ok);
  // ...until it is logged out: then the token is worth nothing.
  t.same((await again.ask('logout', { reason: 'logout' })).result, { ended: true });
  const third = await rawClient();
  t.same((await third.ask('resume', { token, port: 'stdio' })).result, { resumed: false }, 'a logged-out token does not resume');
  t.match((await third.ask('counters')).error, /not logged in/);

  const rows = auditRows();
  const mine = rows.filter((r) => r.port === '/dev/ttyAMA0');
  t.ok(mine.some((r) => r.kind === 'login'));
  t.ok(mine.some((r) => r.kind === 'command' && r.command === 'sales enabled=false reason=maintenance' && r.outcome === null && r.detail === 'started'), 'recorded before it ran');
  t.ok(mine.some((r) => r.kind === 'command' && r.command === 'sales enabled=false reason=maintenance' && r.outcome === 'ok'), 'and its outcome');
  t.ok(mine.some((r) => r.kind === 'command' && r.command === 'counters' && r.outcome === 'ok'));
  t.ok(mine.some((r) => r.kind === 'logout'));
  t.notOk(rows.some((r) => `${r.command} ${r.detail}`.includes(PIN)), 'the PIN is never in the audit');
});

t.test('a legacy hash in the config file moves to a 0600 PIN file at start', async (t) => {
  const legacyDir = mkdtempSync(join(tmpdir(), 'cabine-sec-legacy-'));
  t.teardown(() => rmSync(legacyDir, { recursive: true, force: true }));
  const hash = await hashPin('135790', { N: 1024, r: 8, p: 1 });
  const { configFile: legacyConfig, pinFile: legacyPin } = writeBoothConfig(legacyDir, '', [`  pinHash: ${hash}`]);
  rmSync(legacyPin);
  const booth = await startRealBooth(legacyConfig);
  t.teardown(() => booth.stop());
  t.equal(readFileSync(legacyPin, 'utf8').trim(), hash, 'the hash is in the PIN file');
  t.equal(statSync(legacyPin).mode & 0o777, 0o600, 'readable by the booth user only');
});
