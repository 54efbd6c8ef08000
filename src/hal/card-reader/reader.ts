// The MDB cashless device driver (level 1), the booth being the master (VMC). Connection:
// RESET, POLL until JUST RESET, SETUP config data (feature level, currency, scale), SETUP
// max/min prices, EXPANSION REQUEST ID, then READER ENABLE/DISABLE as wanted. Then it POLLs
// every `pollMs` and turns the reader's replies into events: BEGIN SESSION → `card`, VEND
// APPROVED / DENIED → the pending `requestVend`, SESSION CANCEL REQUEST → SESSION COMPLETE
// (unless a vend is approved and awaits delivery), END SESSION → `session-ended`, JUST RESET
// outside the connection → alarm, the approval (if any) counted as voided, setup again.
// A reader that stops answering is a fault (not fatal: the booth still sells for coins).
import type { SerialPortStream } from '@serialport/stream';
import { silentLogger, type Logger } from '../../log.ts';
import { BaseDevice } from '../device.ts';
import { COMMAND, EURO_COUNTRY_CODE, EXPANSION, READER, REPLY, SETUP, VEND, FUNDS_UNKNOWN, readU16, u16 } from './frame.ts';
import type { CardReaderAlarm, CardReaderDevice, CardSessionEvent, ReaderIdentity, VendEnd, VendOutcome } from './interface.ts';
import { MdbError, MdbLink, type MdbAnswer, type MdbLinkOptions } from './link.ts';
import { sleep, systemClock, type Clock } from '../clock.ts';

export type PortOpener = () => Promise<SerialPortStream>;

export interface CashlessOptions {
  pollMs?: number;
  link?: MdbLinkOptions;
  /** Longest vend authorisation waited for (ms); default: the reader's own max response time. */
  vendTimeoutMs?: number;
  /** Prices the booth may ask (SETUP max/min prices), cents. */
  maxPriceCents?: number;
  minPriceCents?: number;
  simulated: boolean;
  logger?: Logger;
  /** Consecutive failed polls before the reader is a fault. */
  faultAfter?: number;
  /** Polls, vend timeouts, the link's reply timeouts and event timestamps run on this clock. */
  clock?: Clock;
}

interface Scale {
  factor: number;
  decimals: number;
  maxResponseMs: number;
}

/** Byte length of each poll reply (level 1), so concatenated replies can be split. */
const REPLY_LENGTH: Record<number, number> = {
  [REPLY.justReset]: 1,
  [REPLY.readerConfig]: 8,
  [REPLY.beginSession]: 3,
  [REPLY.sessionCancelRequest]: 1,
  [REPLY.vendApproved]: 3,
  [REPLY.vendDenied]: 1,
  [REPLY.endSession]: 1,
  [REPLY.cancelled]: 1,
  [REPLY.peripheralId]: 30,
  [REPLY.malfunction]: 2,
  [REPLY.outOfSequence]: 1,
};

export class MdbCashlessReader extends BaseDevice implements CardReaderDevice {
  readonly name = 'cardReader';
  readonly driver: string;
  readonly simulated: boolean;
  private readonly pollMs: number;
  private readonly log: Logger;
  private readonly options: CashlessOptions;
  private link: MdbLink | undefined;
  private port: SerialPortStream | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private connected = false;
  private wanted = false;
  private applied = false;
  private scale: Scale = { factor: 1, decimals: 2, maxResponseMs: 30_000 };
  private ident: ReaderIdentity | undefined;
  private session = false;
  private pendingVend: { resolve: (o: VendOutcome) => void; timer: unknown } | undefined;
  private readonly clock: Clock;
  private approved = false;
  private approvalLost = false;
  private failures = 0;
  private wake: (() => void) | undefined;
  private readonly counts = { sessions: 0, approved: 0, denied: 0, charged: 0, released: 0, voided: 0, resets: 0 };

  constructor(
    private readonly openPort: PortOpener,
    options: CashlessOptions,
    private readonly description = 'mdb',
  ) {
    super();
    this.options = options;
    this.simulated = options.simulated;
    this.driver = options.simulated ? 'mdb-cashless+sim' : 'mdb-cashless';
    this.pollMs = options.pollMs ?? 100;
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger()).child({ device: 'cardReader' });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.health = 'starting';
    try {
      await this.connect();
    } catch (err) {
      this.markFault(`card reader on ${this.description}: ${(err as Error).message}`, false);
    }
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.resolveVend({ result: 'fault', reason: 'the reader driver stopped' });
    if (this.connected) await this.command([COMMAND.reader, READER.disable]).catch(() => undefined);
    this.closeLink();
    this.markStopped();
  }

  identity(): ReaderIdentity | undefined {
    return this.ident;
  }

  enabled(): boolean {
    return this.wanted;
  }

  inSession(): boolean {
    return this.session;
  }

  async setEnabled(enabled: boolean): Promise<void> {
    this.wanted = enabled;
    if (!this.connected) return;
    await this.applyEnabled();
  }

  async requestVend(cents: number, item: number): Promise<VendOutcome> {
    if (!this.connected) return { result: 'fault', reason: 'card reader not connected' };
    if (!this.session) return { result: 'no-session', reason: 'no card session open' };
    if (this.pendingVend || this.approved) return { result: 'fault', reason: 'a vend is already in progress' };
    const amount = this.toAmount(cents);
    const outcome = new Promise<VendOutcome>((resolve) => {
      const timeoutMs = this.options.vendTimeoutMs ?? this.scale.maxResponseMs;
      const timer = this.clock.setTimeout(() => void this.cancelVend(), timeoutMs);
      this.pendingVend = { resolve, timer };
    });
    try {
      const answer = await this.command([COMMAND.vend, VEND.request, ...u16(amount), ...u16(item)]);
      if (answer.kind === 'data') this.handleReplies(answer.data);
    } catch (err) {
      this.resolveVend({ result: 'fault', reason: `VEND REQUEST not answered: ${(err as Error).message}` });
    }
    this.wake?.();
    return outcome;
  }

  async finishVend(delivered: boolean, item: number): Promise<VendEnd> {
    if (!this.approved || this.approvalLost) {
      const wasLost = this.approvalLost;
      this.approvalLost = false;
      if (this.approved || wasLost) this.counts.voided++;
      this.approved = false;
      return 'voided';
    }
    const answer = await this.command(delivered ? [COMMAND.vend, VEND.success, ...u16(item)] : [COMMAND.vend, VEND.failure]);
    if (answer.kind === 'data') this.handleReplies(answer.data);
    if (this.approvalLost) {
      this.approvalLost = false;
      this.counts.voided++;
      return 'voided';
    }
    this.approved = false;
    if (delivered) this.counts.charged++;
    else this.counts.released++;
    await this.endSession().catch((err: Error) => this.log.warn({ err: err.message }, 'SESSION COMPLETE not answered'));
    return delivered ? 'charged' : 'released';
  }

  async endSession(): Promise<void> {
    if (!this.session || this.approved) return;
    const answer = await this.command([COMMAND.vend, VEND.sessionComplete]);
    if (answer.kind === 'data') this.handleReplies(answer.data);
  }

  protected override readings(): Record<string, unknown> {
    return {
      enabled: this.wanted,
      inSession: this.session,
      vendPending: this.pendingVend !== undefined,
      approvedAwaitingDelivery: this.approved,
      ...this.counts,
      ...(this.link ? { link: { ...this.link.stats } } : {}),
    };
  }

  // ---- internals --------------------------------------------------------------------------

  private async run(): Promise<void> {
    while (this.running) {
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(resolve, this.pollMs);
        this.wake = () => {
          this.clock.clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (!this.running) break;
      try {
        if (!this.connected) await this.connect();
        const answer = await this.command([COMMAND.poll]);
        if (answer.kind === 'data') this.handleReplies(answer.data);
        this.failures = 0;
        if (this.health !== 'ok') this.markOk();
      } catch (err) {
        this.failures++;
        if (this.failures >= (this.options.faultAfter ?? 3) || !this.connected) {
          this.lost(`card reader not answering: ${(err as Error).message}`);
        }
      }
    }
  }

  /** RESET and the setup sequence. */
  private async connect(): Promise<void> {
    const link = await this.openLink();
    await link.transaction([COMMAND.reset]);
    let reset = false;
    for (let i = 0; i < 10 && !reset; i++) {
      const answer = await link.transaction([COMMAND.poll]);
      if (answer.kind === 'data' && answer.data[0] === REPLY.justReset) reset = true;
      else await sleep(this.clock, 20);
    }
    if (!reset) throw new Error('the reader did not report JUST RESET after RESET');
    await this.setup(link);
    this.connected = true;
    this.failures = 0;
    this.applied = false;
    await this.applyEnabled();
    this.markOk();
    this.log.info({ identity: this.ident }, 'card reader ready');
  }

  private async setup(link: MdbLink): Promise<void> {
    // VMC feature level 1, no display (0 columns, 0 rows), display info 0.
    const config = await link.transaction([COMMAND.setup, SETUP.configData, 1, 0, 0, 0]);
    if (config.kind !== 'data' || config.data[0] !== REPLY.readerConfig || config.data.length < 8) throw new Error('no reader config data at SETUP');
    const [, level, , , factor, decimals, maxResponse] = config.data as [number, number, number, number, number, number, number];
    const country = readU16(config.data, 2);
    if (country !== EURO_COUNTRY_CODE) {
      this.alarm('currency', `the reader's currency is ${country.toString(16)}, not the euro (1978): refused`);
      throw new Error('reader currency is not the euro');
    }
    this.scale = { factor: Math.max(1, factor), decimals, maxResponseMs: Math.max(1, maxResponse) * 1000 };
    const maxPrice = this.toAmount(this.options.maxPriceCents ?? 10_000, true);
    const minPrice = this.toAmount(this.options.minPriceCents ?? 0, true);
    await link.transaction([COMMAND.setup, SETUP.maxMinPrices, ...u16(maxPrice), ...u16(minPrice)]);
    const id = await link.transaction([COMMAND.expansion, EXPANSION.requestId, ...Buffer.from('CAB'), ...Buffer.from('CABINE000001'), ...Buffer.from('CABINE BOOTH'), 0x01, 0x00]);
    const ascii = (d: number[], from: number, len: number) => Buffer.from(d.slice(from, from + len)).toString('latin1').trim();
    const d = id.kind === 'data' && id.data[0] === REPLY.peripheralId ? id.data : undefined;
    this.ident = {
      manufacturer: d ? ascii(d, 1, 3) : 'unknown',
      serial: d ? ascii(d, 4, 12) : 'unknown',
      model: d ? ascii(d, 16, 12) : 'unknown',
      software: d ? `${d[28] ?? 0}.${d[29] ?? 0}` : 'unknown',
      featureLevel: level,
      currency: country & 0x0fff ? Number((country & 0x0fff).toString(16)) : 0,
    };
  }

  private async applyEnabled(): Promise<void> {
    const want = this.wanted;
    await this.command([COMMAND.reader, want ? READER.enable : READER.disable]);
    this.applied = want;
  }

  private async openLink(): Promise<MdbLink> {
    if (this.link && this.port?.isOpen) return this.link;
    this.closeLink();
    const port = await this.openPort();
    this.port = port;
    port.on('error', (err: Error) => this.log.warn({ err: err.message }, 'card reader port error'));
    this.link = new MdbLink(port, this.log, { ...this.options.link, clock: this.clock });
    return this.link;
  }

  private closeLink(): void {
    this.link?.close();
    this.link = undefined;
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) port.close(() => undefined);
  }

  private async command(bytes: number[]): Promise<MdbAnswer> {
    const link = this.link;
    if (!link) throw new MdbError('closed', 'card reader not connected');
    return link.transaction(bytes);
  }

  private handleReplies(data: number[]): void {
    let at = 0;
    while (at < data.length) {
      const code = data[at] as number;
      const length = REPLY_LENGTH[code] ?? data.length - at;
      this.handleReply(data.slice(at, at + length));
      at += length;
    }
  }

  private handleReply(reply: number[]): void {
    switch (reply[0]) {
      case REPLY.justReset:
        this.onReaderReset();
        return;
      case REPLY.beginSession: {
        if (this.session) return; // repeated (our ACK was lost): the same session
        this.session = true;
        this.counts.sessions++;
        const funds = readU16(reply, 1);
        const event: CardSessionEvent = { fundsCents: funds === FUNDS_UNKNOWN ? undefined : this.toCents(funds), at: this.now() };
        setImmediate(() => this.emit('card', event));
        return;
      }
      case REPLY.vendApproved:
        if (!this.pendingVend) return;
        this.approved = true;
        this.counts.approved++;
        this.resolveVend({ result: 'approved', cents: this.toCents(readU16(reply, 1)) });
        return;
      case REPLY.vendDenied:
        if (!this.pendingVend) return;
        this.counts.denied++;
        this.resolveVend({ result: 'denied', reason: 'the card was refused' });
        return;
      case REPLY.sessionCancelRequest:
        // The customer cancelled on the reader: end the session unless a vend is under way.
        if (!this.pendingVend && !this.approved) void this.endSession().catch(() => undefined);
        return;
      case REPLY.endSession:
      case REPLY.cancelled:
        if (!this.session) return;
        this.session = false;
        setImmediate(() => this.emit('session-ended', 'session complete'));
        return;
      case REPLY.malfunction:
        this.alarm('malfunction', `the card reader reports a malfunction (code ${(reply[1] ?? 0).toString(16)})`);
        return;
      case REPLY.outOfSequence:
        this.alarm('out-of-sequence', 'the card reader says a command was out of sequence');
        if (this.pendingVend) this.resolveVend({ result: 'fault', reason: 'command out of sequence' });
        return;
      default:
        return; // display requests, config data repeated: nothing to do
    }
  }

  private onReaderReset(): void {
    if (!this.connected) return;
    this.counts.resets++;
    this.alarm('reset', 'the card reader reset itself; set up again');
    if (this.approved) this.approvalLost = true;
    this.resolveVend({ result: 'reset', reason: 'the card reader reset during the vend' });
    this.endLocalSession('the reader reset');
    // Set up again without another RESET (the reader just did one).
    this.connected = false;
    void (async () => {
      const link = this.link;
      if (!link) return;
      try {
        await this.setup(link);
        this.connected = true;
        await this.applyEnabled();
      } catch (err) {
        this.lost(`card reader setup after reset failed: ${(err as Error).message}`);
      }
    })();
  }

  private lost(message: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    if (this.approved) this.approvalLost = true;
    this.resolveVend({ result: 'fault', reason: message });
    this.endLocalSession('the reader stopped answering');
    this.markFault(message, false);
    if (wasConnected) this.closeLink();
  }

  private endLocalSession(reason: string): void {
    if (!this.session) return;
    this.session = false;
    setImmediate(() => this.emit('session-ended', reason));
  }

  /** No authorisation in time: the vend is cancelled (the reader answers VEND DENIED, ignored). */
  private async cancelVend(): Promise<void> {
    const pending = this.pendingVend;
    if (!pending) return;
    this.pendingVend = undefined; // the reader's VEND DENIED to the cancel is not a refusal of the card
    try {
      const answer = await this.command([COMMAND.vend, VEND.cancel]);
      if (answer.kind === 'data') this.handleReplies(answer.data);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'VEND CANCEL not answered');
    }
    pending.resolve({ result: 'timeout', reason: 'no authorisation in time: vend cancelled' });
  }

  private resolveVend(outcome: VendOutcome): void {
    const pending = this.pendingVend;
    if (!pending) return;
    this.pendingVend = undefined;
    this.clock.clearTimeout(pending.timer);
    pending.resolve(outcome);
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private alarm(kind: CardReaderAlarm['kind'], message: string): void {
    this.log.warn({ kind }, message);
    const alarm: CardReaderAlarm = { kind, message, at: this.now() };
    setImmediate(() => this.emit('alarm', alarm));
  }

  /** MDB amount units for `cents` (scale factor and decimal places from SETUP). */
  private toAmount(cents: number, clamp = false): number {
    const unit = this.scale.factor * 10 ** (2 - this.scale.decimals);
    const amount = cents / unit;
    if (clamp) return Math.min(0xfffe, Math.floor(amount));
    if (!Number.isInteger(amount) || amount > 0xfffe || amount < 0) throw new Error(`${cents} cents is not a price this reader can ask`);
    return amount;
  }

  private toCents(amount: number): number {
    return Math.round(amount * this.scale.factor * 10 ** (2 - this.scale.decimals));
  }
}
