// sd_notify for `Type=notify` units: READY once the booth is up, WATCHDOG only while its
// main loop is healthy (so a hung booth is restarted by systemd), STOPPING on the way out.
// Node has no unix datagram sockets; `unix-dgram` (optional native module) provides them.
// Without it (a board where it failed to build) or for an abstract socket, each message goes
// through systemd's own `systemd-notify --pid=<us>` (the unit has NotifyAccess=all so systemd
// takes it from that child): a booth must never lose READY, or systemd restarts it forever.
import { execFile } from 'node:child_process';
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

export interface NotifierOptions {
  /** The unix-dgram module, or null to use the systemd-notify fallback (default: loaded if installed). */
  unixDgram?: UnixDgramModule | null;
  /** The systemd-notify program (default: systemd-notify on PATH). */
  notifyProgram?: string;
}

export function createSystemdNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env, options: NotifierOptions = {}): SystemdNotifier {
  const log = logger.child({ module: 'systemd' });
  const path = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const pidOk = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogIntervalMs = Number.isFinite(usec) && usec > 0 && pidOk ? Math.max(500, Math.floor(usec / 2000)) : undefined;

  let socket: DgramSocket | undefined;
  let fallback = false;
  if (path) {
    const dgram = options.unixDgram === undefined ? loadUnixDgram() : options.unixDgram ?? undefined;
    if (dgram && !path.startsWith('@')) {
      socket = dgram.createSocket('unix_dgram');
      socket.on('error', (err) => log.warn({ err }, 'sd_notify failed'));
    } else {
      fallback = true;
      log.warn({ path }, `${dgram ? 'abstract NOTIFY_SOCKET' : 'unix-dgram not installed'}: notifying through systemd-notify`);
    }
  }
  const program = options.notifyProgram ?? 'systemd-notify';
  const viaProgram = (message: string) =>
    new Promise<void>((resolve) => {
      execFile(program, [`--pid=${process.pid}`, ...message.split('\n')], { env: { ...process.env, NOTIFY_SOCKET: path }, timeout: 10_000 }, (err) => {
        if (err) log.warn({ err, message }, 'systemd-notify failed');
        resolve();
      });
    });

  const send = (message: string) =>
    new Promise<void>((resolve) => {
      if (fallback) return void viaProgram(message).then(resolve);
      if (!socket || !path) return resolve();
      const buf = Buffer.from(message);
      socket.send(buf, 0, buf.length, path, (err) => {
        if (err) log.warn({ err, message }, 'sd_notify failed');
        resolve();
      });
    });

  return {
    active: socket !== undefined || fallback,
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
