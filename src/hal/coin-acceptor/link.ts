// The ccTalk link: one transaction at a time on a single-wire bus.
//
// `@serialport/parser-cctalk` splits the byte stream into frames by their length byte and
// resets after an inter-byte gap; it does not check checksums, addresses or the echo. On a
// single-wire bus every byte the host sends comes back first as echo, so this layer (written
// by hand: no library does it) checks that the first frame after a request is exactly the
// request, then that the next one is a well-formed reply (checksum, addressed to the host,
// from the device asked, header 0), with a reply timeout and retries. Anything else is counted
// and the attempt fails; before any new request the link waits for a quiet gap on the line,
// so the parser starts the next frame on a clean buffer (resync after garbage).
import type { Duplex } from 'node:stream';
import { CCTalkParser } from '@serialport/parser-cctalk';
import type { Logger } from '../../log.ts';
import { ADDRESS, HEADER, decodeFrame, encodeFrame, hex, type Frame } from './frame.ts';
import { sleep, systemClock, type Clock } from '../clock.ts';

export interface LinkOptions {
  /** How long a device may take to answer, after the echo (ms). */
  replyTimeoutMs?: number;
  /** Retries of a failed attempt (0 for requests that must not be repeated). */
  retries?: number;
  /** Inter-byte gap after which a partial frame is dropped (ccTalk: 50 ms). */
  gapMs?: number;
  /** Transmission time allowed per byte of the request, added to the reply timeout (9600 baud: ~1 ms). */
  byteMs?: number;
  /** Timeouts and the quiet-line wait run on this clock (the parser's inter-byte gap is its own). */
  clock?: Clock;
}

export type LinkErrorKind = 'timeout' | 'no-echo' | 'checksum' | 'wrong-address' | 'nak' | 'busy' | 'closed';

export class CctalkError extends Error {
  constructor(
    readonly kind: LinkErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CctalkError';
  }
}

export interface LinkStats {
  transactions: number;
  failedAttempts: number;
  timeouts: number;
  echoErrors: number;
  checksumErrors: number;
  wrongAddress: number;
  unsolicitedFrames: number;
}

interface Pending {
  sent: Buffer;
  dest: number;
  echoSeen: boolean;
  settle: (result: { frame: Frame } | { error: CctalkError }) => void;
}


export class CctalkLink {
  private readonly parser: CCTalkParser;
  private readonly replyTimeoutMs: number;
  private readonly retries: number;
  private readonly gapMs: number;
  private readonly byteMs: number;
  private readonly log: Logger;
  private readonly clock: Clock;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | undefined;
  private lastByteAt = 0;
  /** Bytes read from the port, and bytes the parser has emitted as frames. */
  private bytesIn = 0;
  private bytesFramed = 0;
  private closed = false;
  readonly stats: LinkStats = {
    transactions: 0,
    failedAttempts: 0,
    timeouts: 0,
    echoErrors: 0,
    checksumErrors: 0,
    wrongAddress: 0,
    unsolicitedFrames: 0,
  };

  constructor(
    private readonly port: Duplex,
    logger: Logger,
    options: LinkOptions = {},
  ) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? 150;
    this.retries = options.retries ?? 2;
    this.gapMs = options.gapMs ?? 50;
    this.byteMs = options.byteMs ?? 2;
    this.clock = options.clock ?? systemClock;
    this.log = logger.child({ module: 'cctalk' });
    this.parser = new CCTalkParser(this.gapMs);
    port.on('data', (chunk: Buffer) => {
      this.lastByteAt = this.clock.now();
      this.bytesIn += chunk.length;
    });
    port.pipe(this.parser);
    this.parser.on('data', (bytes: Buffer) => this.onFrame(bytes));
    port.on('error', (err: Error) => this.log.warn({ err: err.message }, 'serial port error'));
    port.on('close', () => {
      this.closed = true;
      this.pending?.settle({ error: new CctalkError('closed', 'serial port closed') });
    });
  }

  /**
   * Sends one request to `dest` and resolves with its reply (header 0). Requests are queued:
   * one transaction on the bus at a time. Rejects with a CctalkError after the retries.
   */
  request(dest: number, header: number, data: readonly number[] = [], options: { retries?: number; replyTimeoutMs?: number } = {}): Promise<Frame> {
    const run = this.queue.then(() => this.transact(dest, header, Buffer.from(data), options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.closed = true;
    this.port.unpipe(this.parser);
  }

  private async transact(dest: number, header: number, data: Buffer, options: { retries?: number; replyTimeoutMs?: number }): Promise<Frame> {
    const sent = encodeFrame({ dest, src: ADDRESS.host, header, data });
    const retries = options.retries ?? this.retries;
    let last: CctalkError | undefined;
    this.stats.transactions++;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (this.closed) throw new CctalkError('closed', 'serial port closed');
      await this.quietLine();
      const result = await this.attempt(sent, dest, options.replyTimeoutMs ?? this.replyTimeoutMs);
      if ('frame' in result) return result.frame;
      last = result.error;
      this.stats.failedAttempts++;
      this.log.debug({ dest, header, attempt, kind: last.kind }, last.message);
      if (last.kind === 'nak' || last.kind === 'closed') break;
    }
    throw last ?? new CctalkError('timeout', 'no reply');
  }

  /**
   * When the parser holds a partial frame (garbage, a truncated reply), waits until the line
   * has been silent for the inter-byte gap: the parser then drops it on the next byte. After
   * a clean transaction every byte read was framed and the next request goes out at once.
   */
  private async quietLine(): Promise<void> {
    if (this.bytesIn === this.bytesFramed) return;
    for (;;) {
      const wait = this.lastByteAt + this.gapMs + 5 - this.clock.now();
      if (wait <= 0) break;
      await sleep(this.clock, wait);
    }
    this.bytesFramed = this.bytesIn;
  }

  private attempt(sent: Buffer, dest: number, timeoutMs: number): Promise<{ frame: Frame } | { error: CctalkError }> {
    return new Promise((resolve) => {
      const settle = (result: { frame: Frame } | { error: CctalkError }) => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        this.clock.clearTimeout(timer);
        resolve(result);
      };
      const pending: Pending = { sent, dest, echoSeen: false, settle };
      this.pending = pending;
      // The echo comes back within the frame's transmission time; the reply timeout counts
      // from the write, plus that time (10 bits a byte at 9600 baud, about 1 ms a byte).
      const timer = this.clock.setTimeout(() => {
        this.stats.timeouts++;
        if (!pending.echoSeen) this.stats.echoErrors++;
        settle({
          error: pending.echoSeen
            ? new CctalkError('timeout', `no reply from address ${dest} within ${timeoutMs} ms`)
            : new CctalkError('no-echo', `no echo of the request to address ${dest} (line broken or device absent)`),
        });
      }, timeoutMs + sent.length * this.byteMs);
      this.port.write(sent, (err) => {
        if (err) settle({ error: new CctalkError('closed', `serial write failed: ${err.message}`) });
      });
    });
  }

  private onFrame(bytes: Buffer): void {
    this.bytesFramed += bytes.length;
    const pending = this.pending;
    if (!pending) {
      this.stats.unsolicitedFrames++;
      this.log.debug({ bytes: hex(bytes) }, 'unsolicited bytes dropped');
      return;
    }
    if (!pending.echoSeen) {
      if (bytes.equals(pending.sent)) {
        pending.echoSeen = true;
        return;
      }
      const stale = decodeFrame(bytes);
      if (stale.ok && stale.frame.dest === ADDRESS.host) {
        // A reply that came after its request timed out: not ours, dropped; the echo of our
        // request still has to come.
        this.stats.unsolicitedFrames++;
        return;
      }
      this.stats.echoErrors++;
      pending.settle({ error: new CctalkError('no-echo', `echo missing or garbled: sent ${hex(pending.sent)}, read ${hex(bytes)}`) });
      return;
    }
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) {
      this.stats.checksumErrors++;
      pending.settle({ error: new CctalkError('checksum', `corrupt reply (${decoded.reason}): ${hex(bytes)}`) });
      return;
    }
    const { frame } = decoded;
    if (frame.dest !== ADDRESS.host || frame.src !== pending.dest) {
      this.stats.wrongAddress++;
      pending.settle({ error: new CctalkError('wrong-address', `reply from address ${frame.src} to ${frame.dest}, expected ${pending.dest} to ${ADDRESS.host}`) });
      return;
    }
    if (frame.header === HEADER.nak) {
      pending.settle({ error: new CctalkError('nak', `address ${pending.dest} refused the request (NAK)`) });
      return;
    }
    if (frame.header === HEADER.busy) {
      pending.settle({ error: new CctalkError('busy', `address ${pending.dest} is busy`) });
      return;
    }
    if (frame.header !== HEADER.reply) {
      this.stats.checksumErrors++;
      pending.settle({ error: new CctalkError('checksum', `reply with header ${frame.header} (expected 0)`) });
      return;
    }
    pending.settle({ frame });
  }
}
