// `cabine console`: the technician console on a serial port or on stdin/stdout, and
// `cabine console --set-pin` for provisioning.
import type { Command } from 'commander';
import { configFromOptions } from '../booth/options.ts';
import { createLogger } from '../log.ts';
import { positiveInt } from '../args.ts';

interface ConsoleCliOptions {
  port?: string;
  baud: string;
  config?: string;
  sim?: boolean;
  setPin?: boolean;
  color?: boolean;
  term?: string;
  rows: string;
  columns: string;
}

export function registerConsoleCommands(program: Command): void {
  program
    .command('console')
    .description('technician console: on a serial port (--port) or on stdin/stdout; --set-pin sets the PIN')
    .option('--port <dev>', 'serial device, e.g. /dev/ttyAMA0 (default: stdin/stdout)')
    .option('--baud <n>', 'serial speed (8N1)', '115200')
    .option('-c, --config <file>', 'the booth\'s config file (YAML or JSON)')
    .option('--sim', 'simulated booth settings (as `start --sim`)')
    .option('--set-pin', 'read a new technician PIN twice from stdin and store its hash in the PIN file (console.pinFile, 0600)')
    .option('--color', 'use colours')
    .option('--no-color', 'never use colours')
    .option('--term <type>', 'terminal type of the technician\'s terminal (vt100, xterm...)')
    .option('--rows <n>', 'terminal height (paging)', '24')
    .option('--columns <n>', 'terminal width', '80')
    .action(async (opts: ConsoleCliOptions) => {
      if (opts.setPin) {
        const { setPin } = await import('./pin.ts');
        process.stdout.write((await setPin(configFromOptions(opts), opts.config)) + '\n');
        return;
      }
      const config = configFromOptions(opts);
      const baud = positiveInt(opts.baud, '--baud', 4_000_000);
      const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level });
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGTERM', stop);
      if (opts.port) process.once('SIGINT', stop);
      try {
        const { runConsole } = await import('./run.ts');
        await runConsole({
          config,
          logger,
          baud,
          rows: positiveInt(opts.rows, '--rows', 500),
          columns: positiveInt(opts.columns, '--columns', 500),
          signal: controller.signal,
          ...(opts.port ? { port: opts.port } : {}),
          ...(opts.color !== undefined ? { colour: opts.color } : {}),
          ...(opts.term ? { term: opts.term } : {}),
        });
      } finally {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
      }
    });
}
