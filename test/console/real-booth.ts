// The booth the console tests talk to: the real composition root (`buildBooth`, as
// `cabine start --sim --config FILE` builds it) with every device simulated at its own
// protocol (GPIO lines, I2C registers, ccTalk bytes, camera frames, the file printer), its
// control socket, and handles on the simulators to play the customer and the technician's
// hands (coins, curtain, touches). Plus the serial plumbing: a socat pty pair and the
// technician's "laptop" on one end of it, reading what the console writes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { buildBooth, type Booth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { SimCurtainSwitch } from '../../src/hal/curtain/index.ts';
import { loadRecording, TouchReplayer } from '../../src/hal/touch/index.ts';
import { silentLogger } from '../../src/log.ts';

export const root = join(import.meta.dirname, '../..');

export async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Writes the booth's config file (YAML, with a comment the console must keep) and its PIN
 * file (data.dir/console-pin.hash, 0600, as `cabine console --set-pin` leaves it).
 */
export function writeBoothConfig(dir: string, pinHash: string, extra: string[] = []): { configFile: string; socketPath: string; pinFile: string } {
  const configFile = join(dir, 'config.yaml');
  const socketPath = join(dir, 'cabine.sock');
  const pinFile = join(dir, 'data', 'console-pin.hash');
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(pinFile, pinHash + '\n', { mode: 0o600 });
  writeFileSync(
    configFile,
    [
      '# booth config used by the console test',
      'booth:',
      '  id: TEST-01',
      'data:',
      `  dir: ${join(dir, 'data')}`,
      'hal:',
      '  simulated: true',
      'console:',
      `  socket: ${socketPath}`,
      '  freeFailures: 3',
      '  lockoutSeconds: 3',
      ...extra,
      '',
    ].join('\n'),
  );
  return { configFile, socketPath, pinFile };
}

export interface RealBooth {
  booth: Booth;
  config: Config;
  /** Times the console's `restart` asked the booth to end. */
  restarts: number;
  /** Resolves at the next `restart` request. */
  restartRequested(): Promise<void>;
  insertCoin(coin: string): 'accepted' | 'rejected';
  curtain(drawn: boolean): Promise<void>;
  /** Writes the recorded initials on the simulated FT6236, frame by frame. */
  sign(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds and starts the booth as `cabine start --sim --config FILE` does (no customer screen). */
export async function startRealBooth(configFile: string): Promise<RealBooth> {
  const config = loadConfig({ file: configFile, overrides: { 'hal.simulated': true } });
  let waiter: (() => void) | undefined;
  const state = { restarts: 0 };
  const booth = await buildBooth(config, silentLogger(), {
    ui: false,
    restart: () => {
      state.restarts++;
      waiter?.();
    },
  });
  await booth.start();
  const sim = booth.parts.sim;
  if (!sim?.coins) throw new Error('the booth was not built on simulators');
  const coins = sim.coins;
  // The acceptor must be identified before a test can enable it.
  await until('coin acceptor ready', () => booth.parts.coinAcceptor.status().health === 'ok');
  const curtainSwitch = new SimCurtainSwitch(sim.gpio, config.curtain.line, config.curtain.closedLevel);
  return {
    booth,
    config: booth.config,
    get restarts() {
      return state.restarts;
    },
    restartRequested: () => new Promise<void>((resolve) => (waiter = resolve)),
    insertCoin: (coin) => coins.insertCoin(coin),
    async curtain(drawn) {
      await (drawn ? curtainSwitch.draw({ bounces: 2 }) : curtainSwitch.open({ bounces: 2 }));
      await until(`curtain ${drawn ? 'drawn' : 'open'}`, () => booth.parts.curtain.state().drawn === drawn);
    },
    async sign() {
      const recording = loadRecording(join(root, 'test/fixtures/signatures/initials.json'));
      const replayer = new TouchReplayer(sim.touch, recording);
      while (replayer.step()) await booth.parts.touch.settled();
      await booth.parts.touch.settled();
    },
    stop: () => booth.stop(),
  };
}

export function startSocat(a: string, b: string): Promise<ChildProcess> {
  const proc = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  return until('socat links', () => existsSync(a) && existsSync(b)).then(() => proc);
}

export function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill(signal);
  });
}

/** Receives a terminal's output and waits for patterns in it, as `expect` does. */
export class Screen {
  received = '';
  mark = 0;
  /** Everything received and typed, for the transcript. */
  transcript = '';
  add(text: string): void {
    this.received += text;
    this.transcript += text;
  }
  /** Waits until nothing has arrived for `quietMs`, then skips what arrived (after noise). */
  async drain(quietMs = 500): Promise<void> {
    let length = -1;
    while (length !== this.received.length) {
      length = this.received.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
    this.mark = this.received.length;
  }
  reset(): void {
    this.received = '';
    this.mark = 0;
  }
  /** Waits for `re` in what arrived since the last expect; returns the text up to the match. */
  async expect(re: RegExp, ms = 30_000): Promise<string> {
    let found: RegExpExecArray | null = null;
    try {
      await until(`${re}`, () => (found = re.exec(this.received.slice(this.mark))) !== null, ms);
    } catch (err) {
      throw new Error(`${(err as Error).message}; received since last match:\n${JSON.stringify(this.received.slice(this.mark).slice(-1500))}`, { cause: err });
    }
    const m = found as unknown as RegExpExecArray;
    const text = this.received.slice(this.mark, this.mark + m.index + m[0].length);
    this.mark += m.index + m[0].length;
    return text;
  }
}

/** The technician's laptop on the far end of the serial cable (serialport on a pty). */
export class Laptop extends Screen {
  port!: SerialPort;
  constructor(private readonly path: string) {
    super();
  }
  async open(): Promise<void> {
    this.port = new SerialPort({ path: this.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => this.port.open((err) => (err ? rej(err) : res())));
    this.port.on('data', (d: Buffer) => this.add(d.toString('latin1')));
    this.port.on('error', () => undefined);
  }
  async close(): Promise<void> {
    if (this.port?.isOpen) await new Promise<void>((res) => this.port.close(() => res()));
  }
  type(text: string | Buffer): void {
    this.port.write(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }
}

/**
 * What a VT100 would show of a raw byte log (for the transcript in docs/console.md): a small
 * screen model with a cursor: CR, LF, BS, and the CSI sequences the console sends (cursor
 * up/down/forward/back, erase to end of line / of screen); bells and other sequences dropped.
 * Lines that scrolled away stay in the result, so it reads as the terminal's scrollback.
 */
export function renderTranscript(raw: string): string {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = () => (lines[row] ??= []);
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\x1b' && raw[i + 1] === '[') {
      // eslint-disable-next-line no-control-regex -- ESC starts the sequences we interpret
      const m = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(raw.slice(i, i + 16));
      if (!m) continue;
      i += m[0].length - 1;
      const n = Math.max(1, Number(m[1] || '1'));
      const cmd = m[2];
      if (cmd === 'A') row = Math.max(0, row - n);
      else if (cmd === 'B') row += n;
      else if (cmd === 'C') col += n;
      else if (cmd === 'D') col = Math.max(0, col - n);
      else if (cmd === 'K') line().length = Math.min(line().length, col);
      else if (cmd === 'J') {
        line().length = Math.min(line().length, col);
        lines.length = Math.min(lines.length, row + 1);
      }
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') row++;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else if (ch >= ' ' || ch === '\t') {
      const l = line();
      while (l.length < col) l.push(' ');
      l[col++] = ch === '\t' ? ' ' : ch;
    }
    while (lines.length <= row) lines.push([]);
  }
  return lines.map((l) => l.join('').replace(/\s+$/, '')).join('\n') + '\n';
}
