// Structured logs: JSON lines (pino) for the journal of a headless booth, pretty-printed
// when a person is watching a terminal. Every module takes a child logger named after it.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** Pretty output; defaults to whether stderr is a terminal. */
  pretty?: boolean;
  /** Where JSON lines go (default stderr, so stdout stays free for command output). */
  destination?: NodeJS.WritableStream;
}

const validLevels: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function levelFromEnv(): LevelWithSilent | undefined {
  const level = process.env.CABINE_LOG_LEVEL;
  return level && validLevels.includes(level) ? (level as LevelWithSilent) : undefined;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? levelFromEnv() ?? 'info';
  const pretty = options.pretty ?? (process.stderr.isTTY === true && !process.env.CI);
  if (pretty && !options.destination) {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, base: undefined }, options.destination ?? pino.destination({ fd: 2, sync: true }));
}

/** A logger that discards everything: for tests and for commands that print their own output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
