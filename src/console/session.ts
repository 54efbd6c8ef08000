// One technician session on a terminal: the PIN (checked by the booth, with its lockout),
// then a readline prompt with history and completion, commands run against the booth, long
// output paged, live tests ended by a key, and an idle timeout. The booth writes the audit
// trail of every login, failure and request itself (gate.ts); the console only tells it why
// a session ended. The session ends on logout, idle timeout or when the line goes away; the
// caller then starts a new one, which asks for the PIN again.
import { createInterface, type Interface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import { BoothUnreachableError, SessionEndedError, type ControlClient } from './client.ts';
import { complete, helpLines, matchCommand, splitWords, UsageError, type CommandContext } from './commands.ts';
import { MAX_LINE_BYTES, Terminal } from './terminal.ts';

export type SessionEnd = 'logout' | 'idle-timeout' | 'disconnect';

export interface ConsoleSessionOptions {
  input: Readable;
  output: NodeJS.WritableStream;
  /** Name of the line in the audit trail: the serial device, or "stdio". */
  port: string;
  boothId: string;
  client: ControlClient;
  idleTimeoutMs: number;
  colour: boolean;
  rows?: number;
  columns?: number;
  logger: Logger;
  /** Wall clock (ms), to say how long a lockout lasts. */
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
    if (this.loggedIn) {
      // The booth records the end and forgets the session; unreachable, it expires there.
      await this.options.client.logout(end).catch((err: unknown) => this.log.debug({ err }, 'logout not sent to the booth'));
    }
    this.term.detach();
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

  /** Says something and waits for Enter before the login is tried again; false if the session ended. */
  private async pause(message: string): Promise<boolean> {
    this.term.writeLine(message);
    return this.waitEnter();
  }

  private async login(): Promise<boolean> {
    const { client, boothId, port } = this.options;
    this.term.writeLine(`\nCabine technician console - booth ${boothId}`);
    for (;;) {
      // The booth checks the PIN and keeps the lockout: nothing is possible while it is down.
      let state;
      try {
        state = await client.sessionRequest('loginState', {});
      } catch (err) {
        if (!(await this.pause(`${(err as Error).message}; press Enter to try again`))) return false;
        continue;
      }
      if (!state.pinSet) {
        const why = state.problem ?? 'no technician PIN is set on this booth.';
        if (!(await this.pause(`console login refused: ${why}\nSet one on the booth with \`cabine console --set-pin\` (provisioning does it). Press Enter to try again`))) return false;
        continue;
      }
      if (state.lockedUntil !== null) {
        const seconds = Math.max(1, Math.ceil((Date.parse(state.lockedUntil) - this.now()) / 1000));
        if (!(await this.pause(`locked after ${state.failures} wrong PINs: try again in ${seconds} s (press Enter)`))) return false;
        continue;
      }
      const pin = await this.readSecret('PIN: ');
      if (pin === null) return false;
      if (pin === '') continue;
      let result;
      try {
        result = await client.login(pin, port);
      } catch (err) {
        if (!(await this.pause(`${(err as Error).message}; press Enter to try again`))) return false;
        continue;
      }
      if (this.endedWith) {
        if (result.outcome === 'ok') await client.logout('disconnect').catch(() => undefined);
        return false;
      }
      switch (result.outcome) {
        case 'ok':
          this.loggedIn = true;
          this.resetIdle();
          return true;
        case 'wrong':
          if (result.lockedUntil !== null) {
            const seconds = Math.max(1, Math.ceil((Date.parse(result.lockedUntil) - this.now()) / 1000));
            this.term.writeLine(`wrong PIN. Too many failures: locked for ${seconds} s`);
          } else {
            this.term.writeLine('wrong PIN');
          }
          break;
        case 'locked':
          break; // the loop says for how long
        case 'no-pin':
          if (!(await this.pause(`console login refused: ${result.detail}; press Enter to try again`))) return false;
          break;
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
      return;
    }
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
      await this.page(lines);
    } catch (err) {
      await this.page(lines);
      const message = (err as Error).message;
      const refused = /^refused:/.test(message);
      this.term.writeLine(err instanceof UsageError || err instanceof BoothUnreachableError || err instanceof SessionEndedError || refused ? message : `error: ${message}`);
      if (err instanceof SessionEndedError || /^refused: (not logged in|the console session expired)/.test(message)) {
        this.loggedIn = false;
        this.finish('logout');
      }
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
