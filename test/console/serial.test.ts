// The technician console driven as a technician would: `cabine console --port` (a real
// process) on one end of a socat pseudo-terminal pair, the "laptop" on the other end through
// serialport, the booth's control socket served by this test with simulated devices.
// Wrong PINs until lockout, login, every command, garbage, a pulled cable.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SerialPort } from 'serialport';
import { hashPin } from '../../src/console/auth.ts';
import { startTestBooth, testConfig } from './booth.ts';

const root = resolve(import.meta.dirname, '../..');
const PIN = '482916';
const dir = mkdtempSync(join(tmpdir(), 'cabine-console-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const consoleEnd = join(dir, 'ttyConsole');
const laptopEnd = join(dir, 'ttyLaptop');
const socketPath = join(dir, 'cabine.sock');
const configFile = join(dir, 'config.yaml');

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startSocat(): Promise<ChildProcess> {
  const proc = spawn('socat', [`pty,raw,echo=0,link=${consoleEnd}`, `pty,raw,echo=0,link=${laptopEnd}`], { stdio: 'ignore' });
  return until('socat links', () => existsSync(consoleEnd) && existsSync(laptopEnd)).then(() => proc);
}

function stopSocat(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGTERM');
  });
}

/** The technician's terminal: what it received, what was typed (for the transcript). */
class Laptop {
  port!: SerialPort;
  received = '';
  mark = 0;
  transcript = '';
  async open(): Promise<void> {
    this.port = new SerialPort({ path: laptopEnd, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => this.port.open((err) => (err ? rej(err) : res())));
    this.port.on('data', (d: Buffer) => {
      const text = d.toString('latin1');
      this.received += text;
      this.transcript += text;
    });
    this.port.on('error', () => undefined);
  }
  async close(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((res) => this.port.close(() => res()));
  }
  type(text: string): void {
    this.port.write(Buffer.from(text, 'latin1'));
  }
  /** Waits for `re` in what arrived since the last expect; returns the text up to the match. */
  async expect(re: RegExp, ms = 20_000): Promise<string> {
    let found: RegExpExecArray | null = null;
    try {
      await until(`${re}`, () => (found = re.exec(this.received.slice(this.mark))) !== null, ms);
    } catch (err) {
      throw new Error(`${(err as Error).message}; received since last match:\n${JSON.stringify(this.received.slice(this.mark).slice(-1500))}`, { cause: err });
    }
    const m = found as unknown as RegExpExecArray;
    const text = this.received.slice(this.mark, this.mark + m.index + m[0].length);
    this.mark += m.index + m[0].length;
    return text;
  }
}

t.test('console over a serial line', async (t) => {
  const pinHash = await hashPin(PIN);
  writeFileSync(
    configFile,
    [
      '# booth config used by the console test',
      'booth:',
      '  id: TEST-01',
      'data:',
      `  dir: ${join(dir, 'data')}`,
      'hal:',
      '  simulated: true',
      'console:',
      `  socket: ${socketPath}`,
      `  pinHash: ${pinHash}`,
      '  freeFailures: 3',
      '  lockoutSeconds: 3',
      '',
    ].join('\n'),
  );
  const config = testConfig({ booth: { id: 'TEST-01' }, data: { dir: join(dir, 'data') }, hal: { simulated: true }, console: { socket: socketPath, pinHash } });
  const booth = await startTestBooth(config, configFile, socketPath);
  t.teardown(() => booth.stop());

  let socat = await startSocat();
  t.teardown(() => stopSocat(socat));
  const consoleProc = spawn(process.execPath, [join(root, 'bin/cabine.js'), 'console', '--port', consoleEnd, '--config', configFile, '--rows', '12', '--term', 'vt100'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CABINE_LOG_LEVEL: 'warn' },
  });
  let consoleErr = '';
  consoleProc.stderr!.on('data', (d: Buffer) => (consoleErr += d.toString()));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        if (consoleProc.exitCode !== null) return r();
        consoleProc.once('exit', () => r());
        consoleProc.kill('SIGTERM');
      }),
  );

  const laptop = new Laptop();
  await laptop.open();
  t.teardown(() => laptop.close());
  t.teardown(() => {
    if (process.env.CABINE_CONSOLE_TRANSCRIPT) writeFileSync(process.env.CABINE_CONSOLE_TRANSCRIPT, laptop.transcript, 'latin1');
  });

  // --- wrong PINs until lockout ---------------------------------------------------------
  laptop.type('\r');
  await laptop.expect(/PIN: /);
  for (let i = 1; i <= 2; i++) {
    laptop.type('000000\r');
    const text = await laptop.expect(/wrong PIN\r\n/);
    t.notMatch(text, /000000/, 'the PIN is never echoed');
    await laptop.expect(/PIN: /);
  }
  laptop.type('111111\r');
  await laptop.expect(/Too many failures: locked for 3 s/);
  laptop.type(PIN + '\r'); // typed while locked: not even checked
  await laptop.expect(/locked after 3 wrong PINs: try again in \d s/);
  // Wait for the lockout to pass (pressing Enter as a technician would).
  for (let i = 0; i < 20 && !/PIN: $/.test(laptop.received); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    laptop.type('\r');
    await new Promise((r) => setTimeout(r, 200));
  }
  await laptop.expect(/PIN: $/);
  laptop.type(PIN + '\r');
  await laptop.expect(/logged in/);
  await laptop.expect(/TEST-01> /);

  const run = async (command: string, expected: RegExp) => {
    laptop.type(command + '\r');
    const text = await laptop.expect(expected);
    await laptop.expect(/TEST-01> /);
    return text;
  };

  // --- every command against the simulated booth ------------------------------------------
  const status = await run('status', /cpu temp[\s\S]*devices[\s\S]*touch/);
  t.match(status, /session\s+idle/);
  t.match(status, /camera\s+ok/);
  await run('devices', /touch\s+ok[\s\S]*chip=FT6236/);
  await run('light level 40', /light on, level 40 %/);
  t.same([booth.parts.lighting.on, booth.parts.lighting.level], [true, 40], 'the lighting ring got the level');
  await run('light off', /light off, level 40 %/);
  t.equal(booth.parts.lighting.on, false);
  await run('light level 140', /brightness from 0 to 100/);

  laptop.type('curtain\r');
  await laptop.expect(/curtain is open \(q to stop\)/);
  booth.parts.curtain.set(true);
  await laptop.expect(/curtain DRAWN/);
  booth.parts.curtain.set(false);
  await laptop.expect(/curtain open/);
  laptop.type('q');
  await laptop.expect(/TEST-01> /);
  await until('curtain unwatched', () => booth.parts.curtain.watchers === 0);

  laptop.type('coin test\r');
  await laptop.expect(/acceptor enabled/);
  t.ok(booth.parts.coins.insert('EU200A', 200), 'acceptor enabled during the test');
  await laptop.expect(/coin EU200A\s+2\.00 EUR/);
  laptop.type('q');
  await laptop.expect(/acceptor inhibited; 2\.00 EUR inserted during the test/);
  await laptop.expect(/TEST-01> /);
  t.equal(booth.parts.coins.enabled, false, 'acceptor inhibited after the test');

  laptop.type('touch test\r');
  await laptop.expect(/touch panel 800x480/);
  await booth.replaySignature();
  const drawing = await laptop.expect(/strokes [1-9]\d*, points [1-9]\d*/);
  t.match(drawing, /#/, 'touched points drawn');
  laptop.type('q');
  await laptop.expect(/TEST-01> /);

  const camera = await run('camera test', /validation: not run - no photo validator in this booth build/);
  t.match(camera, /still 2592x1944, \d+ KiB, saved as .*camera-test-.*\.jpg/);
  const still = /saved as (\S+\.jpg)/.exec(camera)![1]!;
  t.equal(readFileSync(still).subarray(0, 2).toString('hex'), 'ffd8', 'the still is a JPEG on the booth');

  await run('print test', /print job job-1: completed/);
  await run('counters', /cash box\s+2\.00 EUR[\s\S]*2\.00 EUR\s+x 1/);
  await run('cash collect', /collection C1 at .*: 2\.00 EUR[\s\S]*cash-box counters reset/);
  await run('counters', /cash box\s+0\.00 EUR/);
  await run('outbox', /outbox: 0 record\(s\) waiting/);
  await run('outbox flush', /nothing to send/);
  await run('config get payment.priceCents', /payment\.priceCents = 800/);
  await run('config set payment.priceCents abc', /invalid value: payment\.priceCents/);
  await run('config set payment.priceCents 950', /payment\.priceCents = 950 \(takes effect after `restart`; written to/);
  t.match(readFileSync(configFile, 'utf8'), /# booth config used by the console test[\s\S]*priceCents: 950/, 'written to the config file, comments kept');
  await run('network', /hostname\s+\S+[\s\S]*lo\s+127\.0\.0\.1/);
  await run('sales off maintenance', /sales off - maintenance/);
  await run('status', /sales\s+off - maintenance/);
  await run('sales on', /sales on/);

  // A customer in the booth: disturbing commands refuse unless forced.
  booth.parts.step = 'capture';
  await run('light on', /refused: a customer session is in progress \(step capture\)/);
  t.equal(booth.parts.lighting.on, false);
  await run('coin test', /refused: a customer session is in progress/);
  t.equal(booth.parts.coins.enabled, false);
  await run('light on --force', /light on, level 40 %/);
  await run('status', /sales\s+on/);
  booth.parts.step = 'idle';
  await run('restart', /restarting: /);
  await until('restart handler', () => booth.parts.restarts === 1);

  // Help, paging (12 rows), completion.
  laptop.type('help\r');
  await laptop.expect(/--More--/);
  laptop.type(' ');
  await laptop.expect(/logout\s+end the session/);
  await laptop.expect(/TEST-01> /);
  await run('help coin', /usage: coin test \[--force\][\s\S]*inhibits the acceptor/);
  laptop.type('jour\t');
  await laptop.expect(/journal /);
  laptop.type('tail 40\r');
  await laptop.expect(/--More--/);
  laptop.type('q');
  await laptop.expect(/TEST-01> /);
  await run('frobnicate', /unknown command "frobnicate"/);

  // --- garbage ---------------------------------------------------------------------------
  let seed = 42;
  const noise = Buffer.alloc(4000, 0).map(() => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed >> 16;
  });
  laptop.port.write(noise);
  laptop.type('\x15\r'); // ^U then Enter: whatever the noise left on the line goes
  await laptop.expect(/TEST-01> /);
  await run('x'.repeat(2000), /line too long \(over 256 characters\): ignored/);
  await run('status', /session\s+idle/);
  t.equal(consoleProc.exitCode, null, 'the console survived the noise');

  // --- the cable is pulled mid-command, then plugged back ------------------------------------
  laptop.type('curtain\r');
  await laptop.expect(/curtain is open/);
  await laptop.close();
  await stopSocat(socat);
  await until('live test ended after the disconnect', () => booth.parts.curtain.watchers === 0);
  socat = await startSocat();
  await laptop.open();
  laptop.received = '';
  laptop.mark = 0;
  laptop.type('\r');
  await laptop.expect(/PIN: /);
  laptop.type('status\r'); // not logged in: this is a (wrong) PIN, never a command
  await laptop.expect(/wrong PIN/);
  laptop.type(PIN + '\r');
  await laptop.expect(/TEST-01> /);
  laptop.type('logout\r');
  await laptop.expect(/bye\r\n[\s\S]*PIN: /);

  // --- the audit trail ----------------------------------------------------------------------
  const rows = booth.store.db.prepare('SELECT kind, command, outcome FROM console_audit ORDER BY id').all() as { kind: string; command: string | null; outcome: string | null }[];
  const kinds = rows.map((r) => r.kind);
  t.equal(kinds.filter((k) => k === 'login-failed').length, 4, 'three wrong PINs and the one typed after the disconnect');
  t.ok(kinds.includes('locked-out'));
  t.equal(kinds.filter((k) => k === 'login').length, 2);
  t.ok(kinds.includes('disconnect'));
  t.ok(kinds.includes('logout'));
  t.ok(rows.some((r) => r.kind === 'command' && r.command === 'coin test' && r.outcome === 'ok'));
  t.ok(rows.some((r) => r.kind === 'command' && r.command === 'light on' && r.outcome === 'refused'));
  t.notOk(rows.some((r) => (r.command ?? '').includes(PIN)), 'the PIN is never in the journal');
  await until('audit forwarded to the fleet', () => booth.parts.events.some((e) => e.type === 'console.logout'));
  t.ok(booth.parts.events.some((e) => e.type === 'console.locked-out'));
  t.ok(booth.parts.events.some((e) => e.type === 'console.login'));
  t.equal(consoleErr.includes('Error'), false, `no error on the console's stderr: ${consoleErr.slice(0, 500)}`);

});
