// The MDB master's side of one transaction, over the MDB-to-serial interface's lines: send a
// block (address byte with the mode bit, data, CHK), read the peripheral's block, check it,
// ask for a retransmission (RET) of a block that arrives damaged, and ACK a data block once
// it is read. One transaction at a time; a missing answer (`! timeout` from the interface, or
// nothing at all within `replyTimeoutMs`) is retried `retries` times.
import type { Duplex } from 'node:stream';
import { ReadlineParser } from '@serialport/parser-readline';
import type { Logger } from '../../log.ts';
import { systemClock, type Clock } from '../clock.ts';
import { CONTROL, decodeLine, decodePeripheral, encodeLine, hexWords, masterBlock } from './frame.ts';

export interface MdbLinkOptions {
  /** How long the interface may take to report the peripheral's answer (ms). */
  replyTimeoutMs?: number;
  /** Attempts after a failed one. */
  retries?: number;
  /** RET requests for a damaged block before the attempt counts as failed. */
  maxRet?: number;
  /** Reply timeouts run on this clock. */
  clock?: Clock;
}

export class MdbError extends Error {
  constructor(
    readonly kind: 'timeout' | 'checksum' | 'nak' | 'closed',
    message: string,
  ) {
    super(message);
    this.name = 'MdbError';
  }
}

export interface MdbLinkStats {
  transactions: number;
  timeouts: number;
  checksumErrors: number;
  retransmissions: number;
  naks: number;
  badLines: number;
}

export type MdbAnswer = { kind: 'ack' } | { kind: 'data'; data: number[] };

type Line = { words: number[] } | { error: string };

export class MdbLink {
  private readonly parser: ReadlineParser;
  private readonly replyTimeoutMs: number;
  private readonly retries: number;
  private readonly maxRet: number;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting: ((line: Line) => void) | undefined;
  private closed = false;
  private readonly clock: Clock;
  readonly stats: MdbLinkStats = { transactions: 0, timeouts: 0, checksumErrors: 0, retransmissions: 0, naks: 0, badLines: 0 };

  constructor(
    private readonly port: Duplex,
    private readonly log: Logger,
    options: MdbLinkOptions = {},
  ) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? 200;
    this.retries = options.retries ?? 2;
    this.maxRet = options.maxRet ?? 2;
    this.clock = options.clock ?? systemClock;
    this.parser = port.pipe(new ReadlineParser({ delimiter: '\n', encoding: 'latin1' }));
    this.parser.on('data', (text: string) => this.onLine(text));
  }

  close(): void {
    this.closed = true;
    this.port.unpipe(this.parser);
    this.waiting?.({ error: 'closed' });
  }

  /** Sends one command block (bytes without CHK) and returns the peripheral's checked answer. */
  transaction(bytes: number[], retries = this.retries): Promise<MdbAnswer> {
    const run = this.queue.then(() => this.attempts(bytes, retries));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async attempts(bytes: number[], retries: number): Promise<MdbAnswer> {
    this.stats.transactions++;
    let last: MdbError | undefined;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (this.closed) throw new MdbError('closed', 'link closed');
      try {
        return await this.once(bytes);
      } catch (err) {
        last = err as MdbError;
        if (last.kind === 'closed') throw last;
      }
    }
    throw last ?? new MdbError('timeout', 'no answer');
  }

  private async once(bytes: number[]): Promise<MdbAnswer> {
    let line = await this.exchange(masterBlock(bytes));
    for (let ret = 0; ; ret++) {
      if ('error' in line) {
        if (line.error === 'closed') throw new MdbError('closed', 'link closed');
        this.stats.timeouts++;
        throw new MdbError('timeout', `no answer to ${hexWords(masterBlock(bytes))} (${line.error})`);
      }
      const reply = decodePeripheral(line.words);
      if (reply.kind === 'ack') return { kind: 'ack' };
      if (reply.kind === 'nak') {
        this.stats.naks++;
        throw new MdbError('nak', 'the reader answered NAK');
      }
      if (reply.kind === 'data') {
        await this.write([CONTROL.ack]);
        return { kind: 'data', data: reply.data };
      }
      this.stats.checksumErrors++;
      this.log.debug({ words: hexWords(line.words), reason: reply.reason }, 'damaged MDB block');
      if (ret >= this.maxRet) throw new MdbError('checksum', `damaged answer: ${reply.reason}`);
      this.stats.retransmissions++;
      line = await this.exchange([CONTROL.ret]);
    }
  }

  /** Writes one line and waits for the next line from the interface (or the timeout). */
  private exchange(words: number[]): Promise<Line> {
    return new Promise<Line>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.waiting = undefined;
        resolve({ error: 'no line from the interface' });
      }, this.replyTimeoutMs);
      this.waiting = (line) => {
        this.clock.clearTimeout(timer);
        this.waiting = undefined;
        resolve(line);
      };
      this.write(words).catch((err: Error) => this.waiting?.({ error: err.message }));
    });
  }

  private write(words: number[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(encodeLine({ dir: '>', words }), (err) => (err ? reject(err) : resolve()));
    });
  }

  private onLine(text: string): void {
    const line = decodeLine(text);
    if (!line || line.dir === '>') {
      this.stats.badLines++;
      return;
    }
    const waiting = this.waiting;
    if (!waiting) {
      this.stats.badLines++; // a late answer to an attempt already given up
      return;
    }
    waiting(line.dir === '!' ? { error: line.error } : { words: line.words });
  }
}
