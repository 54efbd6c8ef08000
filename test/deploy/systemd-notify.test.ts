// The notifier against a real unix datagram socket standing in for systemd's.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSystemdNotifier } from '../../src/booth/systemd.ts';
import { silentLogger } from '../../src/log.ts';

interface Receiver {
  bind(path: string): void;
  on(event: 'message', listener: (msg: Buffer) => void): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: string, cb?: (msg: Buffer) => void): Receiver };

t.test('READY, STATUS, WATCHDOG and STOPPING reach the socket; a stale loop gets no ping', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'cabine-notify-')), 'notify.sock');
  const received: string[] = [];
  const receiver = unixDgram.createSocket('unix_dgram', (msg: Buffer) => received.push(msg.toString()));
  receiver.bind(path);
  t.teardown(() => receiver.close());

  const notifier = createSystemdNotifier(silentLogger(), { NOTIFY_SOCKET: path, WATCHDOG_USEC: '20000000' });
  t.teardown(() => notifier.close());
  t.equal(notifier.active, true);
  t.equal(notifier.watchdogIntervalMs, 10_000, 'pings at half of WatchdogSec');

  await notifier.ready('booth SIM-1 ready');
  await notifier.status('selling');
  const now = Date.now();
  t.equal(await notifier.watchdog(now - 500, 5000, now), true);
  t.equal(await notifier.watchdog(now - 60_000, 5000, now), false, 'stalled main loop: no ping');
  await notifier.stopping();
  // Datagrams arrive asynchronously: wait for the four (bounded), then compare.
  for (let i = 0; i < 100 && received.length < 4; i++) await new Promise((r) => setTimeout(r, 50));

  t.same(received, [`READY=1\nMAINPID=${process.pid}\nSTATUS=booth SIM-1 ready`, 'STATUS=selling', 'WATCHDOG=1', 'STOPPING=1']);
});

t.test('without NOTIFY_SOCKET it does nothing and says so', async (t) => {
  const notifier = createSystemdNotifier(silentLogger(), {});
  t.equal(notifier.active, false);
  t.equal(notifier.watchdogIntervalMs, undefined);
  await notifier.ready();
  t.equal(await notifier.watchdog(Date.now(), 1000), true);
  notifier.close();
});

t.test('a watchdog meant for another process is ignored', async (t) => {
  const notifier = createSystemdNotifier(silentLogger(), { WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid + 1) });
  t.equal(notifier.watchdogIntervalMs, undefined);
});

t.test('without unix-dgram, READY still reaches systemd through systemd-notify', { skip: spawnSync('systemd-notify', ['--version']).status === 0 ? false : 'systemd-notify not installed' }, async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'cabine-notify-')), 'notify.sock');
  const received: string[] = [];
  const receiver = unixDgram.createSocket('unix_dgram', (msg: Buffer) => received.push(msg.toString()));
  receiver.bind(path);
  t.teardown(() => receiver.close());
  const notifier = createSystemdNotifier(silentLogger(), { NOTIFY_SOCKET: path }, { unixDgram: null });
  t.teardown(() => notifier.close());
  t.equal(notifier.active, true, 'active through the fallback');
  await notifier.ready('booth SIM-1 ready');
  await notifier.stopping();
  for (let i = 0; i < 50 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  const ready = received.find((m) => m.includes('READY=1'));
  t.ok(ready, `READY=1 received (${JSON.stringify(received)})`);
  t.match(ready ?? '', new RegExp(`MAINPID=${process.pid}`), 'names the booth as the main process');
  t.match(ready ?? '', /STATUS=booth SIM-1 ready/);
  t.ok(received.some((m) => m.includes('STOPPING=1')));
});
