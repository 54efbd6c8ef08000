// One technician session on a terminal: the PIN (with lockout), then a readline prompt with
// history and completion, commands run against the booth, long output paged, live tests
// ended by a key, and an idle timeout. Every login, failure and command is written to the
// audit log first and then forwarded to the booth (fleet event). The session ends on
// logout, idle timeout or when the line goes away; the caller then starts a new one, which
// asks for the PIN again.
import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import type { AuditLog } from './audit.ts';
import { verifyPin, type Lockout } from './auth.ts';
import { BoothUnreachableError, type ControlClient } from './client.ts';
import { complete, helpLines, matchCommand, splitWords, UsageError, type CommandContext } from './commands.ts';
import type { AuditEvent } from './protocol.ts';
import { MAX_LINE_BYTES, Terminal } from './terminal.ts';

export type SessionEnd = 'logout' | 'idle-timeout' | 'disconnect';

export interface ConsoleSessionOptions {
  input: Readable;
  output: NodeJS.WritableStream;
  /** Name of the line in the audit trail: the serial device, or "stdio". */
  port: string;
  boothId: string;
  client: ControlClient;
  audit: AuditLog;
  lockout: Lockout;
  /** scrypt hash of the PIN; undefined: logins are refused, and the session says why. */
  pinHash: string | undefined;
  idleTimeoutMs: number;
  colour: boolean;
  rows?: number;
  columns?: number;
  logger: Logger;
  /** Wall clock for the lockout (ms). */
  now?: () => number;
}

const QUIT_KEYS = new Set([0x71, 0x51, 0x0d, 0x0a, 0x03, 0x1b]); // q Q CR LF ^C Esc

export class ConsoleSession {
  private readonly term: Terminal;
  private readonly log: Logger;
  private readonly now: () => number;
  private idleTimer: NodeJS.Timeout | undefined;
  private loggedIn = false;
  private endedWith: SessionEnd | undefined;
  private endWaiters = new Set<(end: SessionEnd) => void>();
  private forwarding: Promise<void> | undefined;
  private forwardAgain = false;

  constructor(private readonly options: ConsoleSessionOptions) {
    this.log = options.logger.child({ module: 'console', port: options.port });
    this.now = options.now ?? (() => Date.now());
    this.term = new Terminal({
      input: options.input,
      output: options.output,
      colour: options.colour,
      rows: options.rows ?? 24,
      columns: options.columns ?? 80,
      onActivity: () => this.resetIdle(),
    });
    this.term.onClose(() => this.finish('disconnect'));
  }

  /** Runs the session to its end; never throws for anything the line or the booth does. */
  async run(): Promise<SessionEnd> {
    try {
      const ok = await this.login();
      if (ok) await this.shell();
    } catch (err) {
      if (!this.endedWith) {
        this.log.error({ err }, 'console session failed');
        this.term.writeLine(`console error: ${(err as Error).message}`);
        this.finish('logout');
      }
    }
    const end = this.endedWith ?? 'logout';
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.loggedIn || end === 'disconnect') this.recordAudit({ kind: end === 'logout' ? 'logout' : end, command: null, outcome: 'ok', detail: this.loggedIn ? null : 'before login' });
    this.term.detach();
    await this.forwarding;
    return end;
  }

  // --- ending -----------------------------------------------------------------------------

  private finish(end: SessionEnd): void {
    if (this.endedWith) return;
    this.endedWith = end;
    for (const w of this.endWaiters) w(end);
    this.endWaiters.clear();
  }

  /** Resolves when the session ends (disconnect, idle timeout, logout). */
  private ended(): Promise<SessionEnd> {
    if (this.endedWith) return Promise.resolve(this.endedWith);
    return new Promise((resolve) => this.endWaiters.add(resolve));
  }

  private resetIdle(): void {
    if (!this.loggedIn || this.endedWith) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.term.writeLine('\nidle timeout: logged out');
      this.finish('idle-timeout');
    }, this.options.idleTimeoutMs);
  }

  // --- audit ------------------------------------------------------------------------------

  private recordAudit(event: Omit<AuditEvent, 'at' | 'port'>): void {
    try {
      this.options.audit.record({ ...event, at: new Date(this.now()).toISOString(), port: this.options.port });
    } catch (err) {
      // A full disk must not lock the technician out of the booth they came to fix.
      this.log.error({ err }, 'console audit not written');
    }
    this.forwardAudit();
  }

  /** Sends unforwarded audit entries to the booth (fleet events), in order, one at a time. */
  private forwardAudit(): void {
    if (this.forwarding) {
      this.forwardAgain = true;
      return;
    }
    this.forwarding = (async () => {
      do {
        this.forwardAgain = false;
        for (const entry of this.options.audit.unforwarded(50)) {
          const { id, ...event } = entry;
          try {
            await this.options.client.request('audit', event);
            this.options.audit.markForwarded(id);
          } catch (err) {
            this.log.debug({ err }, 'audit entry not forwarded (booth unreachable); kept for later');
            return;
          }
        }
      } while (this.forwardAgain);
    })()
      .catch((err: unknown) => this.log.warn({ err }, 'audit forwarding failed'))
      .finally(() => {
        this.forwarding = undefined;
      });
  }

  // --- login ------------------------------------------------------------------------------

  /** Reads one line in key mode, echoing `*` per character (or nothing); null if the session ended. */
  private readSecret(prompt: string, maxLength = 64): Promise<string | null> {
    this.term.write(prompt);
    return new Promise((resolve) => {
      let text = '';
      let done = false;
      const stopWaiting = this.term.onClose(() => settle(null));
      const settle = (value: string | null) => {
        if (done) return;
        done = true;
        stopWaiting();
        this.term.busy();
        resolve(value);
      };
      this.term.keyMode((bytes) => {
        for (const b of bytes) {
          if (b === 0x0d || b === 0x0a) {
            this.term.write('\n');
            settle(text);
            return;
          }
          if (b === 0x7f || b === 0x08) {
            if (text.length) {
              text = text.slice(0, -1);
              this.term.write('\b \b');
            }
          } else if (b === 0x15 || b === 0x03) {
            this.term.write('\b \b'.repeat(text.length));
            text = '';
          } else if (b >= 0x20 && b < 0x7f && text.length < maxLength) {
            text += String.fromCharCode(b);
            this.term.write('*');
          }
        }
      });
    });
  }

  /** Waits for Enter (other keys ignored); false if the session ended. */
  private waitEnter(): Promise<boolean> {
    return new Promise((resolve) => {
      const stopWaiting = this.term.onClose(() => resolve(false));
      this.term.keyMode((bytes) => {
        if (bytes.includes(0x0d) || bytes.includes(0x0a)) {
          stopWaiting();
          this.term.busy();
          resolve(true);
        }
      });
    });
  }

  private async login(): Promise<boolean> {
    const { pinHash, lockout, boothId } = this.options;
    this.term.writeLine(`\nCabine technician console - booth ${boothId}`);
    if (!pinHash) {
      for (;;) {
        this.term.writeLine('console login refused: no technician PIN is set on this booth.');
        this.term.writeLine('Set one on the booth with `cabine console --set-pin` (provisioning does it).');
        this.recordAudit({ kind: 'login-failed', command: null, outcome: 'refused', detail: 'no PIN set' });
        if (!(await this.waitEnter())) return false;
      }
    }
    for (;;) {
      const state = lockout.state(this.now());
      if (state.lockedUntil !== null) {
        const seconds = Math.ceil((state.lockedUntil - this.now()) / 1000);
        this.term.writeLine(`locked after ${state.failures} wrong PINs: try again in ${seconds} s (press Enter)`);
        if (!(await this.waitEnter())) return false;
        continue;
      }
      const pin = await this.readSecret('PIN: ');
      if (pin === null) return false;
      if (pin === '') continue;
      let good: boolean;
      try {
        good = await verifyPin(pin, pinHash);
      } catch (err) {
        this.term.writeLine(`console login refused: ${(err as Error).message}`);
        this.recordAudit({ kind: 'login-failed', command: null, outcome: 'refused', detail: (err as Error).message });
        if (!(await this.waitEnter())) return false;
        continue;
      }
      if (this.endedWith) return false;
      if (good) {
        lockout.success();
        this.loggedIn = true;
        this.recordAudit({ kind: 'login', command: null, outcome: 'ok', detail: null });
        this.resetIdle();
        return true;
      }
      const after = lockout.failure(this.now());
      this.recordAudit({ kind: 'login-failed', command: null, outcome: 'refused', detail: `wrong PIN (${after.failures} in a row)` });
      if (after.lockedUntil !== null) {
        const seconds = Math.ceil((after.lockedUntil - this.now()) / 1000);
        this.recordAudit({ kind: 'locked-out', command: null, outcome: 'refused', detail: `${after.failures} wrong PINs, locked ${seconds} s` });
        this.term.writeLine(`wrong PIN. Too many failures: locked for ${seconds} s`);
      } else {
        this.term.writeLine('wrong PIN');
      }
    }
  }

  // --- shell ------------------------------------------------------------------------------

  private async shell(): Promise<void> {
    const rl: Interface = createInterface({
      input: this.term.lineInput,
      output: this.term.lineOutput,
      terminal: true,
      historySize: 100,
      removeHistoryDuplicates: true,
      completer: (line: string) => complete(line),
      prompt: `${this.options.boothId}> `,
      tabSize: 4,
    });
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    rl.on('line', (line: string) => {
      const overflow = this.term.takeOverflow();
      if (queue.length < 16) queue.push(overflow ? '\u0000overflow' : line);
      wake?.();
    });
    rl.on('SIGINT', () => {
      // ^C: drop what is typed, fresh prompt (readline would otherwise close).
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
      this.term.writeLine('^C');
      rl.prompt();
    });
    rl.on('SIGTSTP', () => undefined);
    this.term.onClose(() => wake?.());
    this.term.writeLine('logged in; type help for the commands, Tab to complete, logout to leave');
    try {
      while (!this.endedWith) {
        if (!queue.length) {
          this.term.lineMode();
          rl.prompt();
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), this.ended()]);
          wake = undefined;
          this.term.busy();
        }
        const line = queue.shift();
        if (line === undefined || this.endedWith) continue;
        await this.execute(line);
      }
    } finally {
      rl.close();
    }
  }

  private async execute(rawLine: string): Promise<void> {
    if (rawLine === '\u0000overflow') {
      this.term.writeLine(`line too long (over ${MAX_LINE_BYTES} characters): ignored, nothing was run`);
      this.recordAudit({ kind: 'command', command: null, outcome: 'refused', detail: 'over-long line ignored' });
      return;
    }
    // Whatever a noisy line left (U+FFFD from bad UTF-8, stray escape parts) is not a command.
    const line = rawLine.replace(/[^\x20-\x7e]/g, '').trim();
    if (!line) return;
    const words = splitWords(line);
    const force = words.includes('--force');
    const rest = words.filter((w) => w !== '--force');
    const head = rest[0]?.toLowerCase();
    if (head === 'logout' || head === 'exit' || head === 'quit') {
      this.recordAudit({ kind: 'command', command: line, outcome: 'ok', detail: null });
      this.term.writeLine('bye');
      this.finish('logout');
      return;
    }
    if (head === 'help' || head === '?') {
      await this.page(helpLines(rest.slice(1)));
      return;
    }
    const match = matchCommand(rest);
    if (!match) {
      this.term.writeLine(`unknown command "${line.slice(0, 40)}"; type help for the list`);
      this.recordAudit({ kind: 'command', command: line, outcome: 'error', detail: 'unknown command' });
      return;
    }
    // Journaled before it runs, so even a command that hangs or kills the booth is on record.
    this.recordAudit({ kind: 'command', command: line, outcome: null, detail: 'started' });
    const lines: string[] = [];
    const ctx: CommandContext = {
      client: this.options.client,
      args: match.args,
      force,
      out: (l = '') => lines.push(l),
      term: this.term,
      live: (start) => this.live(start),
    };
    try {
      await match.spec.run(ctx);
      this.recordAudit({ kind: 'command', command: line, outcome: 'ok', detail: null });
      await this.page(lines);
    } catch (err) {
      await this.page(lines);
      const message = (err as Error).message;
      const refused = /^refused:/.test(message);
      this.term.writeLine(err instanceof UsageError || err instanceof BoothUnreachableError || refused ? message : `error: ${message}`);
      this.recordAudit({ kind: 'command', command: line, outcome: refused ? 'refused' : 'error', detail: message.slice(0, 500) });
    }
  }

  /** A live display: `start` runs until the promise it gets resolves (a quit key or the session's end). */
  private async live(start: (stopped: Promise<void>) => Promise<void>): Promise<void> {
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    this.term.keyMode((bytes) => {
      if (bytes.some((b) => QUIT_KEYS.has(b))) stop();
    });
    void this.ended().then(() => stop());
    try {
      await start(stopped);
    } finally {
      this.term.busy();
    }
  }

  /** Shows lines a screen at a time: --More-- waits for space (page), Enter (line) or q. */
  private async page(lines: string[]): Promise<void> {
    const pageSize = Math.max(2, this.term.rows - 1);
    let shown = 0;
    let budget = pageSize;
    while (shown < lines.length && !this.endedWith) {
      while (budget > 0 && shown < lines.length) {
        this.term.writeLine(lines[shown++]);
        budget--;
      }
      if (shown >= lines.length) break;
      this.term.write(`--More-- (${shown}/${lines.length}; space: page, Enter: line, q: stop)`);
      const key = await new Promise<number | null>((resolve) => {
        const stopWaiting = this.term.onClose(() => resolve(null));
        this.term.keyMode((bytes) => {
          stopWaiting();
          this.term.busy();
          resolve(bytes[0] ?? 0x20);
        });
      });
      this.term.write('\r\x1b[K');
      if (key === null || (QUIT_KEYS.has(key) && key !== 0x0d && key !== 0x0a)) return;
      budget = key === 0x0d || key === 0x0a ? 1 : pageSize;
    }
  }
}
