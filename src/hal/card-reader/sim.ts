// A contactless MDB cashless reader (level 1) behind the booth's MDB-to-serial interface,
// simulated at the level of bytes: it reads the interface's lines, answers each MDB block as
// a reader would (checksum, ACK, RET, poll replies kept until ACKed) and writes the
// interface's lines back. The cashless driver runs unchanged against it, in process
// (`openSimulatedPort`) or across a real pty pair (`sim-pty.ts`).
//
// Device-side API (tests, `cabine sim mdb --pty`, the /sim panel): `tap(card)` presents a card,
// `customerCancel()`, `resetReader()` (a reader reset, e.g. mid-vend), `setSilent()`,
// `inject('corrupt' | 'drop')`, `status()` with what was charged and what was voided.
import {
  CASHLESS_ADDRESS,
  COMMAND,
  CONTROL,
  EURO_COUNTRY_CODE,
  EXPANSION,
  FUNDS_UNKNOWN,
  READER,
  REPLY,
  SETUP,
  VEND,
  controlWord,
  decodeLine,
  decodeMaster,
  encodeLine,
  peripheralBlock,
  readU16,
  u16,
} from './frame.ts';

/** What the card presented does when a vend is requested. */
export interface CardProfile {
  /** A label for tests and the panel ("visa-ok", "expired"...). */
  label?: string;
  /** approve (default), deny, or never answer (the bank does not reply). */
  decision?: 'approve' | 'deny' | 'no-answer';
  /** Funds the reader announces at BEGIN SESSION (cents); absent = unknown. */
  fundsCents?: number;
  /** How long the authorisation takes (ms). */
  delayMs?: number;
  /** Approve a different amount than requested (cents), as some readers do. */
  approveCents?: number;
}

export type ReaderState = 'inactive' | 'disabled' | 'enabled' | 'session' | 'vend' | 'approved';
export type TapResult = 'session' | 'disabled' | 'busy' | 'silent';

export interface CardCharge {
  item: number;
  cents: number;
  label: string;
}

export interface CardSimStatus {
  state: ReaderState;
  enabled: boolean;
  /** Vends confirmed by VEND SUCCESS: the card is charged. */
  charged: CardCharge[];
  /** Approvals released without a charge (VEND FAILURE, session ended or reset before success). */
  voided: CardCharge[];
  denied: number;
  /** Commands received, by name (for tests). */
  commands: Record<string, number>;
  prices: { maxCents: number; minCents: number } | null;
  faults: { corrupt: number; drop: number };
}

export interface CardSimOptions {
  serial?: string;
  model?: string;
}

const SCALE = 1;
const DECIMALS = 2;

export class MdbCardReaderSimulator {
  private state: ReaderState = 'inactive';
  private enabledFlag = false;
  private events: number[][] = [[REPLY.justReset]];
  /** The poll reply sent and not yet ACKed: resent at the next POLL. */
  private unacked = false;
  private lastReply: number[] | undefined;
  private lastCommand: string | undefined;
  private card: Required<Pick<CardProfile, 'decision' | 'delayMs'>> & CardProfile = { decision: 'approve', delayMs: 50 };
  private vend: { item: number; cents: number } | undefined;
  private approvedVend: CardCharge | undefined;
  private decisionTimer: NodeJS.Timeout | undefined;
  private silent = false;
  private readonly faults = { corrupt: 0, drop: 0 };
  private readonly charged: CardCharge[] = [];
  private readonly voided: CardCharge[] = [];
  private denied = 0;
  private readonly commands: Record<string, number> = {};
  private prices: { maxCents: number; minCents: number } | null = null;
  private buffer = '';
  private readonly listeners = new Set<(bytes: Buffer) => void>();
  private readonly serial: string;
  private readonly model: string;

  constructor(options: CardSimOptions = {}) {
    this.serial = (options.serial ?? 'SIMCARD00001').padEnd(12, ' ').slice(0, 12);
    this.model = (options.model ?? 'CAB-NFC-1').padEnd(12, ' ').slice(0, 12);
  }

  // ---- the wire ----------------------------------------------------------------------------

  receive(bytes: Buffer): void {
    this.buffer += bytes.toString('latin1');
    if (this.buffer.length > 4096) this.buffer = this.buffer.slice(-4096);
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const text = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      const line = decodeLine(text);
      if (!line || line.dir !== '>') {
        this.send({ dir: '!', error: 'bad line' });
        continue;
      }
      this.onBlock(line.words);
    }
  }

  onOutput(listener: (bytes: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    clearTimeout(this.decisionTimer);
  }

  // ---- the customer and the technician -----------------------------------------------------

  /** A card is presented to the reader. */
  tap(card: CardProfile = {}): TapResult {
    if (this.silent) return 'silent';
    if (this.state === 'session' || this.state === 'vend' || this.state === 'approved') return 'busy';
    if (this.state !== 'enabled') return 'disabled';
    this.card = { decision: 'approve', delayMs: 50, ...card };
    this.state = 'session';
    const funds = card.fundsCents === undefined ? FUNDS_UNKNOWN : Math.min(0xfffe, Math.round(card.fundsCents / SCALE));
    this.events.push([REPLY.beginSession, ...u16(funds)]);
    return 'session';
  }

  /** The customer presses cancel on the reader (or takes the card away) during a session. */
  customerCancel(): boolean {
    if (this.state !== 'session') return false;
    this.events.push([REPLY.sessionCancelRequest]);
    return true;
  }

  /** The reader resets by itself (power glitch, watchdog): everything in progress is lost. */
  resetReader(): void {
    this.voidApproval();
    this.clearVend();
    this.state = 'inactive';
    this.enabledFlag = false;
    this.events = [[REPLY.justReset]];
    this.unacked = false;
  }

  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** The next `count` replies are corrupted (bad checksum) or dropped. */
  inject(kind: 'corrupt' | 'drop', count = 1): void {
    this.faults[kind] += count;
  }

  status(): CardSimStatus {
    return {
      state: this.state,
      enabled: this.enabledFlag,
      charged: [...this.charged],
      voided: [...this.voided],
      denied: this.denied,
      commands: { ...this.commands },
      prices: this.prices,
      faults: { ...this.faults },
    };
  }

  // ---- MDB ---------------------------------------------------------------------------------

  private onBlock(words: number[]): void {
    if (this.silent) {
      this.send({ dir: '!', error: 'timeout' });
      return;
    }
    const block = decodeMaster(words);
    if (block.kind === 'bad') {
      // A peripheral ignores a block it cannot read; the interface reports the silence.
      this.send({ dir: '!', error: 'timeout' });
      return;
    }
    if (block.kind === 'control') {
      if (block.word === CONTROL.ack && this.unacked) {
        this.events.shift();
        this.unacked = false;
      } else if (block.word === CONTROL.ret && this.lastReply) {
        this.reply(this.lastReply, false);
      }
      return;
    }
    const bytes = block.bytes;
    const address = (bytes[0] as number) & 0xf8;
    if (address !== CASHLESS_ADDRESS) {
      this.send({ dir: '!', error: 'timeout' }); // another address: nobody of ours answers
      return;
    }
    const key = bytes.join(',');
    const command = bytes[0] as number;
    // A command repeated right after itself is a retransmission (our reply was lost): the
    // same reply again, the command not executed twice.
    if (command !== COMMAND.poll && key === this.lastCommand && this.lastReply) {
      this.reply(this.lastReply, false);
      return;
    }
    this.lastCommand = key;
    if (command !== COMMAND.poll) this.unacked = false; // an unACKed poll reply is offered again later
    this.reply(this.execute(bytes), true);
  }

  private count(name: string): void {
    this.commands[name] = (this.commands[name] ?? 0) + 1;
  }

  /** The reply words of one command (data block or ACK). */
  private execute(bytes: number[]): number[] {
    const command = bytes[0] as number;
    const sub = bytes[1];
    const ack = controlWord(CONTROL.ack, true);
    switch (command) {
      case COMMAND.reset:
        this.count('RESET');
        this.resetReader();
        return ack;
      case COMMAND.poll: {
        this.count('POLL');
        const event = this.events[0];
        if (!event) return ack;
        this.unacked = true;
        return peripheralBlock(event);
      }
      case COMMAND.setup:
        if (sub === SETUP.configData) {
          this.count('SETUP CONFIG');
          if (this.state === 'inactive') this.state = 'disabled';
          // level 1, euro, scale 1, 2 decimals, 30 s max response, no options
          return peripheralBlock([REPLY.readerConfig, 1, ...u16(EURO_COUNTRY_CODE), SCALE, DECIMALS, 30, 0]);
        }
        if (sub === SETUP.maxMinPrices) {
          this.count('SETUP PRICES');
          this.prices = { maxCents: readU16(bytes, 2) * SCALE, minCents: readU16(bytes, 4) * SCALE };
          return ack;
        }
        return peripheralBlock([REPLY.outOfSequence]);
      case COMMAND.expansion:
        if (sub === EXPANSION.requestId) {
          this.count('REQUEST ID');
          const ascii = (s: string) => [...Buffer.from(s, 'ascii')];
          return peripheralBlock([REPLY.peripheralId, ...ascii('CAB'), ...ascii(this.serial), ...ascii(this.model), 0x01, 0x00]);
        }
        return peripheralBlock([REPLY.outOfSequence]);
      case COMMAND.reader:
        if (sub === READER.enable) {
          this.count('READER ENABLE');
          if (this.state === 'inactive') return peripheralBlock([REPLY.outOfSequence]);
          this.enabledFlag = true;
          if (this.state === 'disabled') this.state = 'enabled';
          return ack;
        }
        if (sub === READER.disable) {
          this.count('READER DISABLE');
          this.enabledFlag = false;
          if (this.state === 'enabled') this.state = 'disabled';
          return ack;
        }
        if (sub === READER.cancel) {
          this.count('READER CANCEL');
          return peripheralBlock([REPLY.cancelled]);
        }
        return peripheralBlock([REPLY.outOfSequence]);
      case COMMAND.vend:
        return this.vendCommand(bytes);
      default:
        return peripheralBlock([REPLY.outOfSequence]);
    }
  }

  private vendCommand(bytes: number[]): number[] {
    const ack = controlWord(CONTROL.ack, true);
    const outOfSequence = peripheralBlock([REPLY.outOfSequence]);
    switch (bytes[1]) {
      case VEND.request: {
        this.count('VEND REQUEST');
        if (this.state !== 'session') return outOfSequence;
        const cents = readU16(bytes, 2) * SCALE;
        const item = readU16(bytes, 4);
        this.state = 'vend';
        this.vend = { item, cents };
        const card = this.card;
        if (card.decision !== 'no-answer') {
          this.decisionTimer = setTimeout(() => this.decide(), card.delayMs);
          this.decisionTimer.unref?.();
        }
        return ack;
      }
      case VEND.cancel:
        this.count('VEND CANCEL');
        if (this.state !== 'vend') return outOfSequence;
        this.clearVend();
        this.state = 'session';
        this.denied++;
        return peripheralBlock([REPLY.vendDenied]);
      case VEND.success: {
        this.count('VEND SUCCESS');
        if (this.state !== 'approved' || !this.approvedVend) return outOfSequence;
        this.charged.push({ ...this.approvedVend, item: readU16(bytes, 2) });
        this.approvedVend = undefined;
        this.state = 'session';
        return ack;
      }
      case VEND.failure:
        this.count('VEND FAILURE');
        if (this.state !== 'approved') return outOfSequence;
        this.voidApproval();
        this.state = 'session';
        return ack;
      case VEND.sessionComplete:
        this.count('SESSION COMPLETE');
        if (this.state === 'inactive' || this.state === 'disabled' || this.state === 'enabled') return outOfSequence;
        this.voidApproval();
        this.clearVend();
        this.state = this.enabledFlag ? 'enabled' : 'disabled';
        return peripheralBlock([REPLY.endSession]);
      default:
        return outOfSequence;
    }
  }

  private decide(): void {
    const vend = this.vend;
    if (this.state !== 'vend' || !vend) return;
    this.vend = undefined;
    if (this.card.decision === 'deny') {
      this.denied++;
      this.state = 'session';
      this.events.push([REPLY.vendDenied]);
      return;
    }
    const cents = this.card.approveCents ?? vend.cents;
    this.approvedVend = { item: vend.item, cents, label: this.card.label ?? 'card' };
    this.state = 'approved';
    this.events.push([REPLY.vendApproved, ...u16(Math.round(cents / SCALE))]);
  }

  private clearVend(): void {
    clearTimeout(this.decisionTimer);
    this.vend = undefined;
  }

  private voidApproval(): void {
    if (this.approvedVend) this.voided.push(this.approvedVend);
    this.approvedVend = undefined;
  }

  private reply(words: number[], fresh: boolean): void {
    if (fresh) this.lastReply = words;
    if (this.faults.drop > 0) {
      this.faults.drop--;
      this.send({ dir: '!', error: 'timeout' });
      return;
    }
    let out = words;
    if (this.faults.corrupt > 0 && words.length > 1) {
      this.faults.corrupt--;
      out = [...words.slice(0, -1), (words[words.length - 1] as number) ^ 0x01];
    }
    this.send({ dir: '<', words: out });
  }

  private send(line: Parameters<typeof encodeLine>[0]): void {
    const bytes = encodeLine(line);
    for (const listener of this.listeners) listener(bytes);
  }
}
