// Acceptance of the technician console: `cabine console --port` (a real process) on one end
// of a socat pseudo-terminal pair, the technician's laptop (serialport) on the other, and the
// real simulated booth (`buildBooth` with --sim devices) behind the control socket. Wrong PINs
// until lockout, login, every command of the issue against the booth's real parts (coins
// through the ccTalk simulator, touches through the FT6236 model, the curtain through its
// GPIO line, a page at the simulated printer), refusals while a customer is in the booth,
// restart, garbage, and a cable pulled in the middle of a coin test.
//
// CABINE_CONSOLE_TRANSCRIPT=FILE writes what the laptop's screen showed (docs/console.md).
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPin } from '../../src/console/auth.ts';
import type { SimulatedPrinter } from '../../src/hal/printer/sim.ts';
import { Laptop, renderTranscript, root, startRealBooth, startSocat, stopProcess, until, writeBoothConfig, type RealBooth } from './real-booth.ts';

const PIN = '482916';

t.test('the console over a serial line against the simulated booth', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-console-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const consoleEnd = join(dir, 'ttyConsole');
  const laptopEnd = join(dir, 'ttyLaptop');
  const { configFile } = writeBoothConfig(dir, await hashPin(PIN));
  // As on a provisioned booth, the config file is read-only (root-owned under /etc there).
  chmodSync(configFile, 0o444);
  const configText = readFileSync(configFile, 'utf8');

  let real: RealBooth = await startRealBooth(configFile);
  t.teardown(() => real.stop());
  const booth = () => real.booth;

  let socat = await startSocat(consoleEnd, laptopEnd);
  t.teardown(() => stopProcess(socat));
  const consoleProc = spawn(process.execPath, [join(root, 'bin/cabine.js'), 'console', '--port', consoleEnd, '--config', configFile, '--rows', '12', '--term', 'vt100'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CABINE_LOG_LEVEL: 'warn' },
  });
  let consoleErr = '';
  consoleProc.stderr!.on('data', (d: Buffer) => (consoleErr += d.toString()));
  t.teardown(() => stopProcess(consoleProc));

  const laptop = new Laptop(laptopEnd);
  await laptop.open();
  t.teardown(() => laptop.close());
  t.teardown(() => {
    if (process.env.CABINE_CONSOLE_TRANSCRIPT) writeFileSync(process.env.CABINE_CONSOLE_TRANSCRIPT, renderTranscript(laptop.transcript));
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
  // Press Enter now and then, as a technician would, until the PIN is asked again.
  for (let i = 0; i < 20 && !/PIN: $/.test(laptop.received); i++) {
    await new Promise((r) => setTimeout(r, 1000));
    laptop.type('\r');
    await new Promise((r) => setTimeout(r, 200));
  }
  await laptop.expect(/PIN: $/);
  laptop.type(PIN + '\r');
  await laptop.expect(/logged in/);
  await laptop.expect(/TEST-01> /);

  /** Types a command, pages through its output (space at each --More--) up to the next prompt. */
  const run = async (command: string, expected: RegExp) => {
    const start = laptop.mark;
    laptop.type(command + '\r');
    for (;;) {
      const piece = await laptop.expect(/--More-- \([^)]*\)|TEST-01> /);
      if (piece.endsWith('TEST-01> ')) break;
      laptop.type(' ');
    }
    const text = laptop.received.slice(start, laptop.mark);
    if (!expected.test(text)) throw new Error(`"${command}": ${expected} not in the output:\n${JSON.stringify(text.slice(-1500))}`);
    return text;
  };

  // --- status, devices, light ---------------------------------------------------------------
  const status = await run('status', /cpu temp[\s\S]*devices[\s\S]*printer/);
  t.match(status, /session\s+idle/);
  t.match(status, /sales\s+on/);
  for (const device of ['lighting', 'curtain', 'touch', 'camera', 'coinAcceptor', 'printer']) t.match(status, new RegExp(`${device}\\s+ok\\s+sim`), `${device} ok`);
  await run('devices', /touch\s+ok[\s\S]*printer\s+ok/);
  await run('light level 40', /light on, level 40 %/);
  t.match(booth().parts.lighting.status().readings, { on: true, level: 40, relay: 1 }, 'the ring is on at 40 % (relay line driven, PCA9685 target)');
  await run('light off', /light off, level 40 %/);
  t.match(booth().parts.lighting.status().readings, { on: false, relay: 0 }, 'the relay line is off');
  await run('light level 140', /brightness from 0 to 100/);

  // --- coin test: real acceptor driver on the ccTalk simulator -----------------------------------
  t.same(booth().parts.coinAcceptor.acceptance(), [], 'acceptor inhibited before the test');
  t.equal(real.insertCoin('EU200A'), 'rejected', 'no coin taken outside a payment or a test');
  laptop.type('coin test\r');
  await laptop.expect(/acceptor enabled: accepting EU010A EU020A EU050A EU100A EU200A;/);
  t.equal(real.insertCoin('EU200A'), 'accepted', 'enabled for the test');
  await laptop.expect(/coin EU200A\s+2\.00 EUR\s+channel 5\s+validated on channel 5; test coin/);
  t.equal(real.insertCoin('EU050A'), 'accepted');
  await laptop.expect(/coin EU050A\s+0\.50 EUR\s+channel 3/);
  t.equal(real.insertCoin('GB100A'), 'rejected', 'a coin without euro value stays inhibited');
  await laptop.expect(/REJECT\s+coin of type 6 inhibited/);
  laptop.type('q');
  await laptop.expect(/acceptor inhibited; 2\.50 EUR inserted during the test/);
  await laptop.expect(/TEST-01> /);
  t.same(booth().parts.coinAcceptor.acceptance(), [], 'acceptor inhibited after the test');
  t.equal(real.insertCoin('EU100A'), 'rejected', 'and the slot refuses coins again');
  t.same(booth().desk.storedCredit(), [], 'test coins are nobody\'s credit');
  t.equal(booth().desk.ledger.currentSession(), null);
  await run('counters', /cash box\s+2\.50 EUR[\s\S]*of which test coins: 2, 2\.50 EUR/);

  // A customer comes in during a coin test (curtain drawn, a product chosen and confirmed on
  // the screen): the booth ends the test at once.
  laptop.type('coin test\r');
  await laptop.expect(/acceptor enabled/);
  await real.curtain(true);
  booth().screen.act({ type: 'choose', product: 'ephoto' });
  booth().screen.act({ type: 'confirm' });
  await laptop.expect(/the booth ended the test: a customer session started; acceptor inhibited/);
  await laptop.expect(/TEST-01> /);
  await until('acceptor inhibited', () => booth().parts.coinAcceptor.acceptance().length === 0);
  t.not(booth().machine.snapshot().step, 'idle', 'a session is in progress');

  // --- a customer is in the booth: what would disturb them refuses unless forced ----------------
  await run('status', /session\s+\S+ \S+ \(customer in the booth\)/);
  await run('light on', /refused: a customer session is in progress \(step \S+\); light would disturb it/);
  await run('coin test', /refused: a customer session is in progress/);
  t.same(booth().parts.coinAcceptor.acceptance(), [], 'still inhibited');
  await run('print test', /refused: a customer session is in progress/);
  await run('cash collect', /refused: a customer session is in progress/);
  await run('restart', /refused: a customer session is in progress/);
  t.equal(real.restarts, 0);
  await run('light on --force', /light on, level \d+ %/);
  booth().machine.send({ type: 'CANCEL' });
  await until('session over', () => booth().machine.snapshot().step === 'idle');
  await real.curtain(false);

  // --- curtain (live), touch test (live), camera test, print test -------------------------------
  laptop.type('curtain\r');
  await laptop.expect(/curtain is open \(q to stop\)/);
  await real.curtain(true);
  await laptop.expect(/curtain DRAWN/);
  await real.curtain(false);
  await laptop.expect(/curtain open/);
  laptop.type('q');
  await laptop.expect(/TEST-01> /);
  t.equal(booth().machine.snapshot().step, 'idle', 'the curtain alone starts nothing: the customer chooses a product first');

  laptop.type('touch test\r');
  await laptop.expect(/touch panel 800x480, write on it:/);
  await real.sign();
  const drawing = await laptop.expect(/strokes [1-9]\d*, points [1-9]\d*/);
  t.match(drawing, /#/, 'touched points drawn');
  laptop.type('q');
  await laptop.expect(/TEST-01> /);

  const camera = await run('camera test', /validation: (COMPLIANT|NOT COMPLIANT)[\s\S]*face\.count/);
  t.match(camera, /still \d+x\d+, \d+ KiB, not kept \(checked in memory only\)/);
  t.notOk(existsSync(join(dir, 'data', 'console')) && readdirSync(join(dir, 'data', 'console')).length > 0, 'no still of whoever stood in the booth on disk');

  const printer = booth().parts.printer as SimulatedPrinter;
  const print = await run('print test', /print job (\d+): completed on sim:/);
  const jobId = /print job (\d+)/.exec(print)![1]!;
  const page = printer.fileOf(jobId);
  t.ok(page && existsSync(page), `the test page is at the simulated printer (${page})`);
  t.match(page, /cabine-test-\d+\.png$/);
  t.equal(readFileSync(page!).subarray(1, 4).toString(), 'PNG');

  // --- counters, cash collect, journal, outbox, config, network, sales ------------------------------
  await run('counters', /sessions\s+1 \(0 completed, 1 not\)[\s\S]*cash box\s+2\.50 EUR[\s\S]*money owed\s+0\.00 EUR in 0 refund claims/);
  await run('refunds', /no refund claim owed/);
  await run('refund paid 12345678', /no refund claim due for session 12345678/);
  await run('refund paid 9CAB-ABCD', /usage: refund paid SESSION/);
  // A coin incident: 8 events the booth never read (more than the acceptor's 5), then closed.
  await run('incidents', /no coin incident open/);
  const acceptorSim = booth().parts.sim!.coins!;
  acceptorSim.setCounter((acceptorSim.status().acceptor.counter + 8 - 1) % 255 + 1);
  await until('the incident recorded', () => booth().desk.coinIncidents().length === 1);
  await run('incidents', /#1 .* 3 events lost \(counter \d+ -> \d+\) {2}session -/);
  await run('incident closed 2', /no open coin incident 2/);
  await run('incident closed x', /usage: incident closed ID/);
  await run('incident closed 1', /coin incident #1 closed \(3 events lost\)/);
  await run('incidents', /no coin incident open/);
  t.same(booth().desk.coinIncidents(), [], 'closed: no longer counted');
  await run('cash collect', /collection cash-\S+ at .*: 2\.50 EUR[\s\S]*cash-box counters reset/);
  await run('counters', /cash box\s+0\.00 EUR since 20/);
  laptop.type('journal tail 8\r');
  await laptop.expect(/console\s+command "cashCollect" ok/);
  await laptop.expect(/TEST-01> /);
  await run('outbox', /outbox: \d+ record\(s\) waiting/);
  await run('outbox flush', /no fleet configured/);
  await run('config get payment.priceCents', /payment\.priceCents = 800/);
  await run('config set payment.priceCents abc', /invalid value: payment\.priceCents/);
  await run('config set payment.priceCents 950', /payment\.priceCents = 950 \(applied now; saved in .*settings\.json\)/);
  t.equal(booth().settings.current().payment.priceCents, 950, 'the price is in force at once');
  await run('config set printer.jobTimeoutSeconds 90', /printer\.jobTimeoutSeconds = 90 \(takes effect after `restart`; saved in/);
  await run('config get printer.jobTimeoutSeconds', /printer\.jobTimeoutSeconds = 120 \(saved: 90 after `restart`\)/);
  t.equal(readFileSync(configFile, 'utf8'), configText, 'the read-only config file is left as it was');
  await run('network', /hostname\s+\S+[\s\S]*lo\s+127\.0\.0\.1/);
  await run('sales off maintenance', /sales off - maintenance/);
  t.match(booth().unavailable(), /sales off: maintenance/, 'the booth stops selling');
  await run('status', /sales\s+off - maintenance/);
  await run('sales on', /sales on/);
  t.equal(booth().unavailable(), null, 'selling again');

  // --- restart: the booth process ends (here: the test plays systemd), the console stays -----------
  const restarted = real.restartRequested();
  await run('restart', /restarting: the booth process ends now/);
  await restarted;
  await real.stop();
  real = await startRealBooth(configFile);
  t.equal(real.config.payment.priceCents, 950, 'the restarted booth reads the changed price');
  t.equal(real.config.printer.jobTimeoutSeconds, 90, 'and the key saved for the restart');
  await run('status', /booth\s+TEST-01 .*up \d+ s[\s\S]*session\s+idle/);

  // Help, paging (12 rows: three pages), completion.
  laptop.type('help\r');
  await laptop.expect(/--More--/);
  laptop.type(' ');
  await laptop.expect(/--More--/);
  laptop.type(' ');
  await laptop.expect(/logout\s+end the session/);
  await laptop.expect(/TEST-01> /);
  await run('help coin', /usage: coin test \[--force\][\s\S]*inhibited again/);
  laptop.type('jour\t');
  await laptop.expect(/journal /);
  laptop.type('tail 40\r');
  await laptop.expect(/--More--/);
  laptop.type('q');
  await laptop.expect(/TEST-01> /);
  await run('frobnicate', /unknown command "frobnicate"/);

  // --- garbage -----------------------------------------------------------------------------
  let seed = 42;
  const noise = Buffer.from(Buffer.alloc(4000, 0).map(() => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed >> 16;
  }));
  const noiseFrom = laptop.transcript.length;
  laptop.type(noise);
  laptop.type('\x15\r'); // ^U then Enter: whatever the noise left on the line goes
  await laptop.expect(/TEST-01> /);
  await laptop.drain(); // the noise held CRs: each made a line (refused as unknown) and a prompt
  // The transcript keeps a note instead of a screenful of noise.
  laptop.transcript = `${laptop.transcript.slice(0, noiseFrom)}\r\n[4000 random bytes sent here: each CR-ended fragment answered "unknown command"]\r\nTEST-01> `;
  await run('x'.repeat(2000), /line too long \(over 256 characters\): ignored/);
  await run('status', /session\s+idle/);
  t.equal(consoleProc.exitCode, null, 'the console survived the noise');

  // --- the cable is pulled in the middle of a coin test, then plugged back --------------------------
  laptop.type('coin test\r');
  await laptop.expect(/acceptor enabled/);
  t.ok(booth().parts.coinAcceptor.acceptance().length > 0);
  await laptop.close();
  await stopProcess(socat);
  await until('acceptor inhibited after the disconnect', () => booth().parts.coinAcceptor.acceptance().length === 0);
  t.equal(real.insertCoin('EU200A'), 'rejected', 'no coin taken once the technician is gone');
  socat = await startSocat(consoleEnd, laptopEnd);
  await laptop.open();
  laptop.reset();
  laptop.type('\r');
  await laptop.expect(/PIN: /);
  laptop.type('status\r'); // not logged in: this is a (wrong) PIN, never a command
  await laptop.expect(/wrong PIN/);
  laptop.type(PIN + '\r');
  await laptop.expect(/TEST-01> /);
  laptop.type('logout\r');
  await laptop.expect(/bye\r\n[\s\S]*PIN: /);

  // --- the record: ledger, journal, audit trail ------------------------------------------------------
  const db = booth().store.db;
  const testCoins = db.prepare('SELECT coin, cents, channel FROM payment_test_coins ORDER BY id').all();
  t.same(testCoins, [
    { coin: 'EU200A', cents: 200, channel: 5 },
    { coin: 'EU050A', cents: 50, channel: 3 },
  ]);
  t.equal((db.prepare('SELECT COUNT(*) AS n FROM payment_coins').get() as { n: number }).n, 0, 'no sale coin');
  const tests = db.prepare('SELECT end_reason FROM payment_tests ORDER BY id').all() as { end_reason: string }[];
  t.same(tests.map((r) => r.end_reason), ['technician ended the test', 'a customer session started', 'technician ended the test']);
  const rows = db.prepare('SELECT kind, command, outcome FROM console_audit ORDER BY id').all() as { kind: string; command: string | null; outcome: string | null }[];
  const kinds = rows.map((r) => r.kind);
  t.equal(kinds.filter((k) => k === 'login-failed').length, 4, 'three wrong PINs and the one typed after the disconnect');
  t.ok(kinds.includes('locked-out'));
  t.equal(kinds.filter((k) => k === 'login').length, 2);
  t.ok(kinds.includes('disconnect'));
  t.ok(kinds.includes('logout'));
  t.ok(rows.some((r) => r.kind === 'command' && r.command === 'subscribe topic=coin' && r.outcome === 'ok'), 'the booth names what it was asked');
  t.ok(rows.some((r) => r.kind === 'command' && r.command === 'light on=true' && r.outcome === 'refused'));
  t.notOk(rows.some((r) => (r.command ?? '').includes(PIN)), 'the PIN is never in the journal');
  t.ok(readdirSync(join(dir, 'data')).includes('booth.db'));
  t.equal(consoleErr.includes('Error'), false, `no error on the console's stderr: ${consoleErr.slice(0, 500)}`);
});
