// Running the console on a line: a serial device (reopened after a pulled cable, each time
// with a fresh session that asks for the PIN) or stdin/stdout. The booth checks the PIN and
// keeps the audit trail and the lockout: the console holds no secret and writes nothing; with
// the booth down it says so and waits.
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { ControlClient } from './client.ts';
import { ConsoleSession, type SessionEnd } from './session.ts';
import { terminalHasColour } from './terminal.ts';
import { sleep, systemClock } from '../hal/clock.ts';

/** The control socket: `console.socket`, or `cabine.sock` in the data dir. */
export function controlSocketPath(config: Config): string {
  return config.console.socket ?? join(config.data.dir, 'cabine.sock');
}

export interface RunConsoleOptions {
  config: Config;
  logger: Logger;
  /** Serial device; absent: stdin/stdout. */
  port?: string;
  baud?: number;
  /** Force colours on or off; default: from `term` (serial) or TERM (stdio). */
  colour?: boolean;
  /** Terminal type of the technician's terminal (serial lines cannot tell). */
  term?: string;
  rows?: number;
  columns?: number;
  /** Stops the console (tests, SIGTERM). */
  signal?: AbortSignal;
  /** Reopen period of a serial device that went away (ms). */
  reopenMs?: number;
}

function openSerial(path: string, baudRate: number): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, autoOpen: false });
    port.open((err) => (err ? reject(err) : resolve(port)));
  });
}

export async function runConsole(options: RunConsoleOptions): Promise<void> {
  const { config, logger, signal } = options;
  const log = logger.child({ module: 'console' });
  const client = new ControlClient(controlSocketPath(config));
  const common = {
    boothId: config.booth.id,
    client,
    idleTimeoutMs: config.console.idleTimeoutSeconds * 1000,
    rows: options.rows ?? 24,
    columns: options.columns ?? 80,
    logger,
  };
  try {
    if (!options.port) {
      const stdin = process.stdin;
      if (stdin.isTTY) stdin.setRawMode(true);
      const colour = options.colour ?? (!process.env.NO_COLOR && process.stdout.isTTY === true && terminalHasColour(options.term ?? process.env.TERM));
      const session = new ConsoleSession({
        ...common,
        input: stdin,
        output: process.stdout,
        port: 'stdio',
        colour,
        rows: options.rows ?? process.stdout.rows ?? 24,
        columns: options.columns ?? process.stdout.columns ?? 80,
      });
      signal?.addEventListener('abort', () => stdin.destroy(), { once: true });
      await session.run();
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      return;
    }
    const path = options.port;
    const colour = options.colour ?? terminalHasColour(options.term);
    let warned = false;
    while (!signal?.aborted) {
      let port: SerialPort;
      try {
        port = await openSerial(path, options.baud ?? 115200);
      } catch (err) {
        if (!warned) log.warn({ err, port: path }, `cannot open ${path}; retrying until it comes back`);
        warned = true;
        await sleep(systemClock, options.reopenMs ?? 1000, signal).catch(() => undefined); // aborted: the loop ends
        continue;
      }
      warned = false;
      log.info({ port: path, baud: options.baud ?? 115200 }, 'console line open');
      port.on('error', (err) => log.debug({ err }, 'serial error'));
      const onAbort = () => port.close(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      let end: SessionEnd = 'logout';
      while (port.isOpen && !signal?.aborted) {
        const session = new ConsoleSession({ ...common, input: port, output: port, port: path, colour });
        end = await session.run();
        if (end === 'disconnect') break;
      }
      signal?.removeEventListener('abort', onAbort);
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      log.info({ port: path, end }, 'console line closed; waiting for it to come back');
      if (!signal?.aborted) await sleep(systemClock, options.reopenMs ?? 1000, signal).catch(() => undefined); // aborted: the loop ends
    }
  } finally {
    client.close();
  }
}
