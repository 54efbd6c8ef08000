// Shared test support of the payment suites: a child process speaking JSON lines (Child).
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A child speaking JSON lines on stdout. */
export class Child {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr = '';

  constructor(readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ text: line });
      }
      for (const w of this.waiters.splice(0)) w();
    });
    proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    // 'close': exited and stdout read to the end (every line the process wrote is in `lines`).
    this.exited = new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first line from index `from` on that matches. */
  async line(what: string, match: (l: Record<string, unknown>) => boolean, from = 0, limitMs = 20000): Promise<Record<string, unknown>> {
    const end = Date.now() + limitMs;
    for (;;) {
      const found = this.lines.slice(from).find(match);
      if (found) return found;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${what}: process exited (${this.proc.exitCode ?? this.proc.signalCode}): ${this.stderr}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}
