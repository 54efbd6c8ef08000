// The terminal layer of the console, between a raw byte stream (a serial port, or stdin/stdout)
// and node:readline:
//  - input: control bytes we do not use are dropped (^Z would suspend the process, ^D would
//    end readline, XON/XOFF and NUL are line noise), lines are capped (an over-long line is
//    flagged and never executed), and every byte counts as activity for the idle timeout;
//  - routing: bytes go to readline (line editing, history, completion) while a prompt is
//    shown, to a key handler for the PIN, --More-- and live tests, and nowhere while a
//    command runs (noise or typeahead cannot end up in the next command);
//  - output: our text gets CRLF line ends (serial terminals need the CR), readline's cursor
//    moves are rewritten to sequences a plain VT100 knows, colour only when the terminal shows it.
// Written here because readline assumes an xterm-like TTY on process.stdin; none of this is a
// library's job (see docs/console.md).
import { PassThrough, Writable, type Readable } from 'node:stream';

/** Longest command line accepted, in bytes. Longer lines are refused whole, not truncated. */
export const MAX_LINE_BYTES = 256;

const ESC = 0x1b;
/** Control bytes that mean something to readline or to us; every other C0 byte is dropped. */
const KEPT_CONTROLS: ReadonlySet<number> = new Set([
  0x01, // ^A start of line
  0x02, // ^B back
  0x03, // ^C cancel
  0x05, // ^E end of line
  0x06, // ^F forward
  0x08, // BS
  0x09, // TAB completion
  0x0a, // LF
  0x0b, // ^K kill to end
  0x0c, // ^L clear screen
  0x0d, // CR
  0x0e, // ^N next history
  0x10, // ^P previous history
  0x15, // ^U kill line
  0x17, // ^W kill word
  ESC,
  0x7f, // DEL (backspace on most terminals)
]);

export type KeyHandler = (bytes: Buffer) => void;

/**
 * Rewrites what readline writes into VT100 sequences: `CSI n G` (cursor to column, not in
 * the VT100) becomes CR + `CSI n-1 C`; `CSI 2J`/`CSI 0J`, `CSI n A/B/C/D` and `CSI K` are VT100.
 */
export function toVt100(text: string): string {
  // eslint-disable-next-line no-control-regex -- ESC is what we rewrite
  return text.replace(/\x1b\[(\d*)G/g, (_m, n: string) => {
    const column = Math.max(1, Number(n || '1'));
    return column > 1 ? `\r\x1b[${column - 1}C` : '\r';
  });
}

/** Whether a terminal type shows ANSI colours (vt100, vt220, dumb and unknown do not). */
export function terminalHasColour(term: string | undefined): boolean {
  if (!term) return false;
  return /(^xterm|^screen|^tmux|^rxvt|^linux$|^ansi$|^putty|^konsole|^gnome|^alacritty|^kitty|color)/i.test(term);
}

export interface TerminalOptions {
  input: Readable;
  output: NodeJS.WritableStream;
  colour: boolean;
  rows: number;
  columns: number;
  /** Called on every input byte (idle timeout). */
  onActivity?: () => void;
}

export class Terminal {
  readonly colour: boolean;
  readonly rows: number;
  readonly columns: number;
  /** What readline reads: only the bytes routed to it. */
  readonly lineInput = new PassThrough();
  /** What readline writes: filtered to VT100 and sent to the real output. */
  readonly lineOutput: Writable & { columns: number; rows: number; isTTY: boolean };
  private mode: 'line' | 'keys' | 'busy' = 'busy';
  private keyHandler: KeyHandler | undefined;
  private lineBytes = 0;
  private overflowed = false;
  private overflowSeen = false;
  private ended = false;
  private readonly endListeners = new Set<() => void>();
  private readonly onData = (chunk: Buffer | string) => this.receive(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  private readonly onEnd = () => this.end();

  constructor(private readonly options: TerminalOptions) {
    this.colour = options.colour;
    this.rows = options.rows;
    this.columns = options.columns;
    const out = options.output;
    const lineOutput = new Writable({
      write: (chunk: Buffer | string, _enc, callback) => {
        if (!this.ended) out.write(toVt100(chunk.toString()));
        callback();
      },
    });
    this.lineOutput = Object.assign(lineOutput, { columns: options.columns, rows: options.rows, isTTY: true });
    options.input.on('data', this.onData);
    options.input.on('end', this.onEnd);
    options.input.on('close', this.onEnd);
    options.input.on('error', this.onEnd);
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Calls `listener` once when the input ends (disconnect); at once if it already has. */
  onClose(listener: () => void): () => void {
    if (this.ended) {
      listener();
      return () => undefined;
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const listener of [...this.endListeners]) listener();
    this.endListeners.clear();
  }

  /** Detaches from the streams (the session is over; the port may serve the next one). */
  detach(): void {
    this.options.input.off('data', this.onData);
    this.options.input.off('end', this.onEnd);
    this.options.input.off('close', this.onEnd);
    this.options.input.off('error', this.onEnd);
    this.lineInput.end();
    this.keyHandler = undefined;
    this.mode = 'busy';
  }

  private receive(chunk: Buffer): void {
    if (this.ended) return;
    this.options.onActivity?.();
    const kept: number[] = [];
    for (const byte of chunk) {
      if (byte < 0x20 || byte === 0x7f) {
        if (!KEPT_CONTROLS.has(byte)) continue;
      }
      if (byte === 0x0d || byte === 0x0a) {
        if (this.overflowed) this.overflowSeen = true;
        this.overflowed = false;
        this.lineBytes = 0;
        kept.push(byte);
        continue;
      }
      if (this.mode === 'line' && byte >= 0x20 && byte !== 0x7f) {
        if (this.lineBytes >= MAX_LINE_BYTES) {
          if (!this.overflowed) this.options.output.write('\x07');
          this.overflowed = true;
          continue;
        }
        this.lineBytes++;
      }
      if (byte === 0x15 || byte === 0x03) {
        // ^U / ^C empty the line being typed
        this.lineBytes = 0;
        this.overflowed = false;
      }
      kept.push(byte);
    }
    if (!kept.length) return;
    const bytes = Buffer.from(kept);
    if (this.mode === 'line') this.lineInput.write(bytes);
    else if (this.mode === 'keys') this.keyHandler?.(bytes);
  }

  /** Whether the line just completed had been too long (then it must not run); clears the flag. */
  takeOverflow(): boolean {
    const seen = this.overflowSeen;
    this.overflowSeen = false;
    return seen;
  }

  lineMode(): void {
    this.keyHandler = undefined;
    this.lineBytes = 0;
    this.mode = 'line';
  }

  keyMode(handler: KeyHandler): void {
    this.keyHandler = handler;
    this.mode = 'keys';
  }

  busy(): void {
    this.keyHandler = undefined;
    this.mode = 'busy';
  }

  /** Writes text with CRLF line ends. */
  write(text: string): void {
    if (this.ended) return;
    this.options.output.write(text.replace(/\r?\n/g, '\r\n'));
  }

  writeLine(text = ''): void {
    this.write(text + '\n');
  }

  /** Wraps text in an SGR colour when the terminal shows colours. */
  paint(text: string, colour: 'red' | 'green' | 'yellow' | 'bold'): string {
    if (!this.colour) return text;
    const code = { red: 31, green: 32, yellow: 33, bold: 1 }[colour];
    return `\x1b[${code}m${text}\x1b[0m`;
  }
}
