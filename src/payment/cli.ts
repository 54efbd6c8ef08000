// `cabine coin monitor` (the acceptor driver alone on a serial line, for a technician or a
// test) and `cabine sim cctalk --pty` (the ccTalk device simulator on a real pty pair).
import type { Command } from 'commander';
import { configSchema } from '../config/schema.ts';
import { createLogger, silentLogger } from '../log.ts';
import { isAcceptedValue } from './coins.ts';
import { positiveInt } from '../args.ts';
// The ccTalk stack (and serialport) is imported when a command runs, so `cabine` starts fast.

const line = (value: unknown) => process.stdout.write(JSON.stringify(value) + '\n');

/** A simulator on its pty until its commands end or a signal: says its port, serves, closes once. */
async function servePtySimulator(running: { hostPath: string; close(): Promise<void> }, serve: () => Promise<void>): Promise<void> {
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await running.close();
  };
  process.once('SIGTERM', () => void close().then(() => process.exit(0)));
  process.once('SIGINT', () => void close().then(() => process.exit(0)));
  line({ ready: true, port: running.hostPath });
  try {
    await serve();
  } finally {
    await close();
  }
}

export function registerPaymentCommands(program: Command): void {
  const coin = program.command('coin').description('the coin acceptor');
  coin
    .command('monitor')
    .requiredOption('--port <dev>', 'serial device of the ccTalk bus (e.g. /dev/ttyUSB0, or the pty of `cabine sim cctalk --pty`)')
    .option('--seconds <n>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--poll <ms>', 'buffered-credit poll period', '100')
    .option('--json', 'one JSON line per event: {"value_cents","coin","event":"credit",...}, {"event":"error"|"alarm"|"fault"|"ready",...}')
    .option('--verbose', 'driver logs on stderr')
    .description('run the acceptor driver alone: enable every euro coin 0.10-2.00 and print each credited coin, error and alarm (exit 1 if the acceptor never answered)')
    .action(async (opts: { port: string; seconds?: string; poll: string; json?: boolean; verbose?: boolean }) => {
      const seconds = opts.seconds === undefined ? undefined : positiveInt(opts.seconds, '--seconds', 86400);
      const pollMs = positiveInt(opts.poll, '--poll', 1000);
      const config = configSchema.parse({ coinAcceptor: { port: opts.port, pollMs: Math.max(50, pollMs) } });
      const logger = opts.verbose ? createLogger({ level: 'debug' }) : silentLogger();
      const { createCoinAcceptor, parseCoinId } = await import('../hal/coin-acceptor/index.ts');
      const device = createCoinAcceptor(config.coinAcceptor, { simulated: false, logger });
      const print = (json: Record<string, unknown>, text: string) => (opts.json ? line(json) : process.stdout.write(text + '\n'));
      let answered = false;
      device.on('credit', (c) =>
        print(
          { value_cents: c.valueCents, coin: c.coin, event: 'credit', channel: c.channel, counter: c.counter, at: c.at },
          `${c.at}  credit  ${c.coin}  ${(c.valueCents / 100).toFixed(2)} EUR  (channel ${c.channel}, event ${c.counter})`,
        ),
      );
      device.on('coin-error', (e) =>
        print({ event: 'error', code: e.code, kind: e.kind, message: e.message, counter: e.counter, at: e.at }, `${e.at}  error   ${e.kind}: ${e.message} (code ${e.code})`),
      );
      device.on('alarm', (a) => print({ event: 'alarm', kind: a.kind, message: a.message, ...(a.missed ? { missed: a.missed } : {}), at: a.at }, `${a.at}  ALARM   ${a.message}`));
      device.on('fault', (f) => print({ event: 'fault', message: f.message, at: new Date().toISOString() }, `fault: ${f.message}`));
      const enableAll = async () => {
        answered = true;
        const euro = device.coinTable().filter((s) => isAcceptedValue(s.valueCents ?? parseCoinId(s.coin)?.valueCents));
        await device.setAcceptance(euro.map((s) => s.coin)).catch(() => undefined);
        const id = device.identity();
        print({ event: 'ready', identity: id, accepting: device.acceptance() }, `ready: ${id?.manufacturer} ${id?.product} #${id?.serial}, accepting ${device.acceptance().join(' ')}`);
      };
      device.on('recovered', () => void enableAll());
      await device.start();
      if (device.status().health === 'ok') await enableAll();
      await new Promise<void>((resolve) => {
        const timer = seconds === undefined ? undefined : setTimeout(resolve, seconds * 1000);
        const stop = () => {
          clearTimeout(timer);
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await device.stop();
      if (!answered) {
        process.stderr.write(`cabine: no coin acceptor answered on ${opts.port}\n`);
        process.exitCode = 1;
      }
    });

  const sim = program.commands.find((c) => c.name() === 'sim') ?? program.command('sim').description('device simulators');
  sim
    .command('cctalk')
    .option('--pty', 'run on a real pseudo-terminal pair made with socat (the only mode; required)')
    .option('--link <path>', 'path of the symlink to the host end of the pty pair (default: in a temp dir)')
    .option('--script <file>', 'JSON-lines commands to play at start ({"wait":ms} paces them)')
    .option('--hopper', 'also simulate a hopper (address 3) paying EU100A')
    .option('--seed <n>', 'seed of the injected garbage', '1')
    .option('--poll-watchdog <ms>', 'credit-poll watchdog: with no credit poll for this long the acceptor returns coins (0 = an acceptor without one)', '1000')
    .description(
      'ccTalk coin acceptor (address 2) and hopper simulator; prints {"ready":true,"port":PATH} then one JSON reply per command read on stdin ' +
        '({"coin":"EU200A"}, {"fault":"drop|corrupt|no-echo|garbage|wrong-address","count":N}, {"garbage":N}, {"silent":bool}, {"reset":true}, {"counter":N}, {"jam":bool}, {"error":CODE}, {"status":true}, {"quit":true})',
    )
    .action(async (opts: { pty?: boolean; link?: string; script?: string; hopper?: boolean; seed: string; pollWatchdog: string }) => {
      if (!opts.pty) throw new Error('only the --pty mode exists (the in-process simulator runs inside `cabine start --sim`)');
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got "${opts.seed}"`);
      const pollWatchdogMs = Number(opts.pollWatchdog);
      if (!Number.isInteger(pollWatchdogMs) || pollWatchdogMs < 0 || pollWatchdogMs > 600000) throw new Error(`--poll-watchdog must be 0-600000 ms, got "${opts.pollWatchdog}"`);
      const { runScript, serveControl, startPtySimulator } = await import('../hal/coin-acceptor/sim-pty.ts');
      const running = await startPtySimulator({ seed, pollWatchdogMs, hopper: opts.hopper === true, ...(opts.link ? { link: opts.link } : {}) });
      await servePtySimulator(running, async () => {
        if (opts.script) await runScript(running.sim, opts.script, line);
        await serveControl(running.sim, process.stdin, line);
      });
    });

  sim
    .command('mdb')
    .option('--pty', 'run on a real pseudo-terminal pair made with socat (the only mode; required)')
    .option('--link <path>', 'path of the symlink to the host end of the pty pair (default: in a temp dir)')
    .description(
      'contactless MDB cashless reader behind the MDB-to-serial interface (docs/payment.md); prints {"ready":true,"port":PATH} then one JSON reply per command on stdin ' +
        '({"tap":{"decision":"approve|deny|no-answer","delayMs":N,"fundsCents":N,"label":"..."}}, {"cancel":true}, {"reset":true}, {"silent":bool}, {"fault":"corrupt|drop","count":N}, {"status":true}, {"quit":true})',
    )
    .action(async (opts: { pty?: boolean; link?: string }) => {
      if (!opts.pty) throw new Error('only the --pty mode exists (the in-process simulator runs inside `cabine start --sim`)');
      const { startPtyCardReader, serveCardControl } = await import('../hal/card-reader/sim-pty.ts');
      const running = await startPtyCardReader(opts.link ? { link: opts.link } : {});
      await servePtySimulator(running, () => serveCardControl(running.sim, process.stdin, line));
    });
}
