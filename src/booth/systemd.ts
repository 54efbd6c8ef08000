// sd_notify for `Type=notify` units: READY once the booth is up, WATCHDOG only while its
// main loop is healthy (so a hung booth is restarted by systemd), STOPPING on the way out.
// Node has no unix datagram sockets; `unix-dgram` (optional native module) provides them.
import { createRequire } from 'node:module';
import type { Logger } from '../log.ts';

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, callback: (err?: Error) => void): void;
  close(): void;
  on(event: 'error', listener: (err: Error) => void): void;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

export interface SystemdNotifier {
  /** Whether a service manager is listening (NOTIFY_SOCKET set and usable). */
  readonly active: boolean;
  ready(status?: string): Promise<void>;
  status(text: string): Promise<void>;
  stopping(): Promise<void>;
  /**
   * Pings the watchdog if `lastTick` (ms epoch of the main loop's last run) is fresher than
   * `maxAgeMs`; returns whether it pinged. A stale loop gets no ping: systemd restarts us.
   */
  watchdog(lastTick: number, maxAgeMs: number, now?: number): Promise<boolean>;
  /** Watchdog period systemd asked for (half of WatchdogSec), or undefined. */
  readonly watchdogIntervalMs: number | undefined;
  close(): void;
}

function loadUnixDgram(): UnixDgramModule | undefined {
  try {
    return createRequire(import.meta.url)('unix-dgram') as UnixDgramModule;
  } catch {
    return undefined;
  }
}

export function createSystemdNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
  const log = logger.child({ module: 'systemd' });
  const path = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const pidOk = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogIntervalMs = Number.isFinite(usec) && usec > 0 && pidOk ? Math.max(500, Math.floor(usec / 2000)) : undefined;

  let socket: DgramSocket | undefined;
  if (path) {
    const dgram = loadUnixDgram();
    if (path.startsWith('@')) log.error({ path }, 'abstract NOTIFY_SOCKET is not supported; systemd notifications disabled');
    else if (!dgram) log.error('unix-dgram is not installed; systemd notifications disabled');
    else {
      socket = dgram.createSocket('unix_dgram');
      socket.on('error', (err) => log.warn({ err }, 'sd_notify failed'));
    }
  }

  const send = (message: string) =>
    new Promise<void>((resolve) => {
      if (!socket || !path) return resolve();
      const buf = Buffer.from(message);
      socket.send(buf, 0, buf.length, path, (err) => {
        if (err) log.warn({ err, message }, 'sd_notify failed');
        resolve();
      });
    });

  return {
    active: socket !== undefined,
    watchdogIntervalMs,
    ready: (status) => send(`READY=1\nMAINPID=${process.pid}${status ? `\nSTATUS=${status}` : ''}`),
    status: (text) => send(`STATUS=${text}`),
    stopping: () => send('STOPPING=1'),
    async watchdog(lastTick, maxAgeMs, now = Date.now()) {
      if (now - lastTick > maxAgeMs) {
        log.error({ ageMs: now - lastTick }, 'main loop stalled: withholding the watchdog ping');
        return false;
      }
      await send('WATCHDOG=1');
      return true;
    },
    close() {
      socket?.close();
      socket = undefined;
    },
  };
}
