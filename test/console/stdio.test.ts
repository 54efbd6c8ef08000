// `cabine console` without --port: the console on its own stdin/stdout (here pipes, as when
// it runs under ssh or a getty), against the real simulated booth. The idle timeout logs the
// technician out (a short one, configured); a console killed in the middle of a coin test
// leaves the acceptor inhibited (the booth ends the test when the connection closes).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPin } from '../../src/console/auth.ts';
import { root, Screen, startRealBooth, stopProcess, until, writeBoothConfig } from './real-booth.ts';

const PIN = '731904';

function startConsole(configFile: string, env: Record<string, string> = {}): { proc: ChildProcess; screen: Screen; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, [join(root, 'bin/cabine.js'), 'console', '--config', configFile], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CABINE_LOG_LEVEL: 'warn', ...env },
  });
  const screen = new Screen();
  proc.stdout!.on('data', (d: Buffer) => screen.add(d.toString('latin1')));
  proc.stderr!.on('data', (d: Buffer) => screen.add(d.toString('latin1')));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, screen, exited };
}

t.test('stdin/stdout mode: login, a command, the idle timeout, a killed console', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-console-stdio-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { configFile } = writeBoothConfig(dir, await hashPin(PIN));
  const real = await startRealBooth(configFile);
  t.teardown(() => real.stop());

  // A short idle timeout (1 s, from the environment as systemd would set it).
  const idle = startConsole(configFile, { CABINE_CONSOLE_IDLE_TIMEOUT_SECONDS: '1' });
  t.teardown(() => stopProcess(idle.proc));
  await idle.screen.expect(/Cabine technician console - booth TEST-01[\s\S]*PIN: /);
  idle.proc.stdin!.write(PIN + '\n');
  await idle.screen.expect(/logged in; type help/);
  await idle.screen.expect(/TEST-01> /);
  idle.proc.stdin!.write('sales\n');
  await idle.screen.expect(/sales on/);
  await idle.screen.expect(/TEST-01> /);
  // Nothing typed now: the session ends by itself and the console exits.
  await idle.screen.expect(/idle timeout: logged out/);
  t.equal(await idle.exited, 0, 'the stdio console ends with its session');
  const audit = real.booth.store.db.prepare('SELECT kind, command FROM console_audit ORDER BY id').all() as { kind: string; command: string | null }[];
  t.same(audit.map((a) => a.kind).filter((k) => k !== 'command'), ['login', 'idle-timeout'], 'login and idle timeout on record');
  t.ok(audit.some((a) => a.kind === 'command' && a.command === 'sales'), 'the booth recorded the request');

  // A console killed during a coin test: its socket closes, the booth inhibits the acceptor.
  const killed = startConsole(configFile);
  t.teardown(() => stopProcess(killed.proc));
  await killed.screen.expect(/PIN: /);
  killed.proc.stdin!.write(PIN + '\n');
  await killed.screen.expect(/TEST-01> /);
  killed.proc.stdin!.write('coin test\n');
  await killed.screen.expect(/acceptor enabled/);
  t.ok(real.booth.parts.coinAcceptor.acceptance().includes('EU200A'), 'enabled during the test');
  t.equal(real.insertCoin('EU100A'), 'accepted');
  await killed.screen.expect(/coin EU100A\s+1\.00 EUR\s+channel 4/);
  killed.proc.kill('SIGKILL');
  await killed.exited;
  await until('acceptor inhibited after the console died', () => real.booth.parts.coinAcceptor.acceptance().length === 0);
  t.equal(real.insertCoin('EU200A'), 'rejected', 'no coin taken once the console is gone');
  const ends = real.booth.store.db.prepare('SELECT end_reason FROM payment_tests ORDER BY id').all() as { end_reason: string }[];
  t.same(ends, [{ end_reason: 'technician ended the test' }], 'the test was ended (the connection closing counts as the technician leaving)');
  t.same(real.booth.desk.storedCredit(), [], 'the test coin is nobody\'s credit');
});
