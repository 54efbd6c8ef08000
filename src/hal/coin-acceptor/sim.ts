// The ccTalk bus simulator: a byte-level model of a coin acceptor (address 2) and a hopper
// (address 3) on a single-wire bus. It reads the bytes the host writes, echoes them as the
// wire does, and answers with the bytes a device would send, so the host driver runs
// unchanged against it (in process through `SimBinding`, or across a real pty pair through
// `cabine sim cctalk --pty`). Faults are injected at the byte level: garbage, lost, corrupt
// or misaddressed replies, missing echo, a silent device, a reset, counter wrap, a jam.
import { CCTalkParser } from '@serialport/parser-cctalk';
import { EventEmitter } from 'node:events';
import { ADDRESS, HEADER, decodeFrame, encodeFrame, type Frame } from './frame.ts';
import { prng } from '../prng.ts';

/** Coin table of the simulated acceptor: position (1-16) → coin id. */
export const SIM_COIN_TABLE: readonly string[] = ['EU010A', 'EU020A', 'EU050A', 'EU100A', 'EU200A', 'GB100A'];

export type SimFaultKind = 'drop' | 'corrupt' | 'no-echo' | 'garbage' | 'wrong-address';

export interface SimOptions {
  /** Seed of the pseudo-random garbage (deterministic tests). */
  seed?: number;
  /** Delay before a reply, as a device's processing time (ms). */
  replyDelayMs?: number;
  coinTable?: readonly string[];
  acceptorSerial?: number;
  /** Simulate a hopper at address 3. */
  hopper?: boolean | { coin?: string; level?: number; serial?: number; msPerCoin?: number };
  /**
   * Credit-poll watchdog (ms; 0 = none, as on acceptors without one): with no "read buffered
   * credit" for that long, the acceptor takes no coin (returned, no event) until the host polls
   * again. Real acceptors do this (Money Controls SR5, Azkoyen X6: 1 s) so that coins are never
   * swallowed when the host stops counting; their buffer holds 5 events only. The stand-in for
   * the hardware, `cabine sim cctalk --pty`, has it at 1000 ms by default; in process (the
   * `--sim` booth, unit tests of the booth's logic on a loaded machine) the default is none.
   */
  pollWatchdogMs?: number;
  /** The device's clock (ms; default Date.now, which fake timers also fake). */
  now?: () => number;
}

export interface SimStatus {
  acceptor: {
    counter: number;
    masterEnabled: boolean;
    inhibitMask: number;
    jammed: boolean;
    silent: boolean;
    /** Coins accepted (credited by the device) since the simulator started, by coin id. */
    accepted: Record<string, number>;
    acceptedCents: number;
    rejected: number;
    /** Coins returned while the credit-poll watchdog held the acceptor inhibited (no event). */
    autoInhibited: number;
    /** Whether the watchdog holds the acceptor inhibited now (no poll for pollWatchdogMs). */
    watchdogInhibits: boolean;
  };
  hopper?: { counter: number; enabled: boolean; level: number; paid: number; coin: string };
  faults: Record<SimFaultKind, number>;
  /** Replies damaged by the fuzzer. */
  fuzzed: number;
  requests: number;
}

const ascii = (s: string) => [...Buffer.from(s, 'latin1')];
const serialBytes = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];

/** Cents of a ccTalk euro coin id such as EU200A (other currencies: undefined). */
function simCents(coin: string): number | undefined {
  const m = /^EU(\d{3})[A-Z]$/.exec(coin);
  return m ? Number(m[1]) : undefined;
}

/** The acceptor's commands that take no data bytes. */
const NO_DATA_HEADERS: ReadonlySet<number> = new Set([
  HEADER.simplePoll, HEADER.requestEquipmentCategory, HEADER.requestManufacturerId, HEADER.requestProductCode,
  HEADER.requestSerialNumber, HEADER.requestSoftwareRevision, HEADER.requestInhibitStatus, HEADER.requestMasterInhibit,
  HEADER.readBufferedCredit, HEADER.resetDevice,
]);

class AcceptorModel {
  counter = 0;
  events: [number, number][] = [];
  inhibitMask = 0;
  masterEnabled = false;
  jammed = false;
  accepted: Record<string, number> = {};
  acceptedCents = 0;
  rejected = 0;
  autoInhibited = 0;
  /** When the host last read the buffered credit (undefined: not since power-up or reset). */
  private lastPoll: number | undefined;

  constructor(
    readonly table: readonly string[],
    readonly serial: number,
    private readonly watchdogMs: number,
    private readonly now: () => number,
  ) {}

  reset(): void {
    this.counter = 0;
    this.events = [];
    this.inhibitMask = 0;
    this.masterEnabled = false;
    this.lastPoll = undefined;
  }

  /** The credit-poll watchdog holds coins back: nobody has read the buffer for watchdogMs. */
  watchdogInhibits(): boolean {
    return this.watchdogMs > 0 && (this.lastPoll === undefined || this.now() - this.lastPoll >= this.watchdogMs);
  }

  private record(a: number, b: number): void {
    this.counter = this.counter >= 255 ? 1 : this.counter + 1;
    this.events.unshift([a, b]);
    this.events.length = Math.min(this.events.length, 5);
  }

  /** A coin goes through the slot: credited if enabled, else rejected with an error code. */
  insert(coin: string): 'accepted' | 'rejected' {
    const position = this.table.indexOf(coin) + 1;
    if (this.jammed) {
      this.rejected++;
      this.record(0, 14); // credit sensor blocked
      return 'rejected';
    }
    if (position === 0) {
      this.rejected++;
      this.record(0, 1); // reject coin: not a programmed coin
      return 'rejected';
    }
    if (this.watchdogInhibits()) {
      // As the SR5 does: the coin is returned, counted, and no event enters the buffer.
      this.rejected++;
      this.autoInhibited++;
      return 'rejected';
    }
    if (!this.masterEnabled || !(this.inhibitMask & (1 << (position - 1)))) {
      this.rejected++;
      this.record(0, this.masterEnabled ? 127 + position : 2);
      return 'rejected';
    }
    this.record(position, 1);
    this.accepted[coin] = (this.accepted[coin] ?? 0) + 1;
    this.acceptedCents += simCents(coin) ?? 0;
    return 'accepted';
  }

  error(code: number): void {
    this.record(0, code);
  }

  answer(header: number, data: Buffer): number[] | 'nak' | 'reset' {
    // A request that carries data where the command takes none is malformed: refused.
    if (NO_DATA_HEADERS.has(header) && data.length > 0) return 'nak';
    switch (header) {
      case HEADER.simplePoll:
        return [];
      case HEADER.requestEquipmentCategory:
        return ascii('Coin Acceptor');
      case HEADER.requestManufacturerId:
        return ascii('CAB');
      case HEADER.requestProductCode:
        return ascii('SIM-CA');
      case HEADER.requestSerialNumber:
        return serialBytes(this.serial);
      case HEADER.requestSoftwareRevision:
        return ascii('1.0');
      case HEADER.requestCoinId: {
        const n = data[0];
        if (data.length !== 1 || n === undefined || n < 1 || n > 16) return 'nak';
        return ascii(this.table[n - 1] ?? '......');
      }
      case HEADER.modifyInhibitStatus:
        if (data.length !== 2) return 'nak';
        this.inhibitMask = (data[0] as number) | ((data[1] as number) << 8);
        return [];
      case HEADER.requestInhibitStatus:
        return [this.inhibitMask & 0xff, this.inhibitMask >> 8];
      case HEADER.modifyMasterInhibit:
        if (data.length !== 1) return 'nak';
        this.masterEnabled = ((data[0] as number) & 1) === 1;
        return [];
      case HEADER.requestMasterInhibit:
        return [this.masterEnabled ? 1 : 0];
      case HEADER.readBufferedCredit: {
        this.lastPoll = this.now();
        const out = [this.counter];
        for (let i = 0; i < 5; i++) out.push(...(this.events[i] ?? [0, 0]));
        return out;
      }
      case HEADER.resetDevice:
        return 'reset';
      default:
        return 'nak';
    }
  }
}

class HopperModel {
  counter = 0;
  enabled = false;
  remaining = 0;
  paid = 0;
  unpaid = 0;
  totalPaid = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly coin: string,
    public level: number,
    readonly serial: number,
    readonly msPerCoin: number,
  ) {}

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  answer(header: number, data: Buffer): number[] | 'nak' | 'reset' {
    switch (header) {
      case HEADER.simplePoll:
        return [];
      case HEADER.requestEquipmentCategory:
        return ascii('Payout');
      case HEADER.requestManufacturerId:
        return ascii('CAB');
      case HEADER.requestProductCode:
        return ascii('SIM-HOP');
      case HEADER.requestSerialNumber:
        return serialBytes(this.serial);
      case HEADER.requestSoftwareRevision:
        return ascii('1.0');
      case HEADER.requestHopperCoin:
        return ascii(this.coin);
      case HEADER.enableHopper:
        if (data.length !== 1) return 'nak';
        this.enabled = data[0] === 165;
        return [];
      case HEADER.testHopper:
        // bit 0 absolute max current exceeded ... bit 7 power-up detected; we report the
        // "opto path blocked" bit when empty, as an attention flag.
        return [this.level === 0 ? 0x10 : 0];
      case HEADER.requestHopperStatus:
        return [this.counter, this.remaining, this.paid, this.unpaid];
      case HEADER.dispenseHopperCoins: {
        if (data.length !== 4) return 'nak';
        const serial = (data[0] as number) | ((data[1] as number) << 8) | ((data[2] as number) << 16);
        if (serial !== this.serial || !this.enabled || this.remaining > 0) return 'nak';
        const n = data[3] as number;
        this.counter = this.counter >= 255 ? 1 : this.counter + 1;
        this.remaining = n;
        this.paid = 0;
        this.unpaid = 0;
        this.timer = setInterval(() => this.payOne(), this.msPerCoin);
        return [this.counter];
      }
      case HEADER.emergencyStop: {
        const unpaid = this.remaining;
        this.unpaid += unpaid;
        this.remaining = 0;
        this.stop();
        return [unpaid];
      }
      case HEADER.resetDevice:
        return 'reset';
      default:
        return 'nak';
    }
  }

  private payOne(): void {
    if (this.remaining === 0) return this.stop();
    this.remaining--;
    if (this.level > 0) {
      this.level--;
      this.paid++;
      this.totalPaid++;
    } else {
      this.unpaid++;
    }
    if (this.remaining === 0) this.stop();
  }
}

/**
 * The simulated bus. Feed it what the host writes with `receive`; it emits `output` with the
 * bytes the host reads (echo first, then the device's reply).
 */
export class CctalkBusSimulator extends EventEmitter {
  readonly acceptor: AcceptorModel;
  readonly hopper: HopperModel | undefined;
  private readonly parser: CCTalkParser;
  private readonly random: () => number;
  private readonly replyDelayMs: number;
  private readonly faults: Record<SimFaultKind, number> = { drop: 0, corrupt: 0, 'no-echo': 0, garbage: 0, 'wrong-address': 0 };
  private silent = false;
  private fuzzRate = 0;
  private fuzzed = 0;
  private requests = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(options: SimOptions = {}) {
    super();
    this.random = prng(options.seed ?? 1);
    this.replyDelayMs = options.replyDelayMs ?? 1;
    const watchdogMs = options.pollWatchdogMs ?? 0;
    if (!(Number.isInteger(watchdogMs) && watchdogMs >= 0)) throw new Error('pollWatchdogMs must be a whole number of ms, 0 for none');
    this.acceptor = new AcceptorModel(options.coinTable ?? SIM_COIN_TABLE, options.acceptorSerial ?? 0x0a0b0c, watchdogMs, options.now ?? (() => Date.now()));
    const hopper = options.hopper === true ? {} : options.hopper || undefined;
    this.hopper = hopper ? new HopperModel(hopper.coin ?? 'EU100A', hopper.level ?? 50, hopper.serial ?? 0x030201, hopper.msPerCoin ?? 20) : undefined;
    this.parser = new CCTalkParser(50);
    this.parser.on('data', (bytes: Buffer) => this.onFrame(bytes));
  }

  /** Bytes the host wrote onto the wire. */
  receive(bytes: Buffer): void {
    if (this.faults['no-echo'] > 0) this.faults['no-echo']--;
    else this.output(bytes);
    this.parser.write(bytes);
  }

  onOutput(listener: (bytes: Buffer) => void): () => void {
    this.on('output', listener);
    return () => this.off('output', listener);
  }

  // ---- the customer and the technician --------------------------------------------------

  insertCoin(coin: string): 'accepted' | 'rejected' {
    return this.acceptor.insert(coin);
  }

  /** Sends `count` random bytes to the host now. */
  garbage(count: number): void {
    this.output(this.randomBytes(count));
  }

  /** The next `count` replies (or echoes, for no-echo) suffer the fault. */
  inject(kind: SimFaultKind, count = 1): void {
    this.faults[kind] += count;
  }

  /** A silent device answers nothing (the wire still echoes what the host sends). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** Power glitch of the acceptor: counter back to 0, buffer and inhibits lost. */
  resetAcceptor(): void {
    this.acceptor.reset();
  }

  /**
   * Moves the event counter to `counter` as if the events in between happened unseen: the
   * buffer then holds null events only (a host polling across the jump sees lost events).
   * Set it before the host connects to start near the 255 → 1 wrap.
   */
  setCounter(counter: number): void {
    if (!Number.isInteger(counter) || counter < 0 || counter > 255) throw new Error('counter must be 0-255');
    this.acceptor.counter = counter;
    this.acceptor.events = [];
  }

  setJam(jammed: boolean): void {
    this.acceptor.jammed = jammed;
    if (jammed) this.acceptor.error(14);
  }

  /** Records an arbitrary error event (ccTalk error code) in the acceptor's buffer. */
  errorEvent(code: number): void {
    if (!Number.isInteger(code) || code < 0 || code > 255) throw new Error('error code must be 0-255');
    this.acceptor.error(code);
  }

  /**
   * From now on each reply is damaged with probability `rate` (0-1): one byte changed,
   * truncated, replaced by random bytes, prefixed by garbage, misaddressed, or lost.
   */
  setFuzz(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error('fuzz rate must be between 0 and 1');
    this.fuzzRate = rate;
  }

  setHopperLevel(level: number): void {
    if (!this.hopper) throw new Error('no hopper simulated');
    this.hopper.level = level;
  }

  status(): SimStatus {
    const a = this.acceptor;
    return {
      acceptor: {
        counter: a.counter,
        masterEnabled: a.masterEnabled,
        inhibitMask: a.inhibitMask,
        jammed: a.jammed,
        silent: this.silent,
        accepted: { ...a.accepted },
        acceptedCents: a.acceptedCents,
        rejected: a.rejected,
        autoInhibited: a.autoInhibited,
        watchdogInhibits: a.watchdogInhibits(),
      },
      ...(this.hopper
        ? { hopper: { counter: this.hopper.counter, enabled: this.hopper.enabled, level: this.hopper.level, paid: this.hopper.totalPaid, coin: this.hopper.coin } }
        : {}),
      faults: { ...this.faults },
      fuzzed: this.fuzzed,
      requests: this.requests,
    };
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.hopper?.stop();
  }

  // ---- the wire -------------------------------------------------------------------------

  private output(bytes: Buffer): void {
    if (bytes.length > 0) this.emit('output', Buffer.from(bytes));
  }

  private randomBytes(count: number): Buffer {
    return Buffer.from(Array.from({ length: count }, () => Math.floor(this.random() * 256)));
  }

  private onFrame(bytes: Buffer): void {
    const decoded = decodeFrame(bytes);
    if (!decoded.ok) return; // a device ignores a frame with a bad checksum
    const { frame } = decoded;
    const device = frame.dest === ADDRESS.acceptor ? this.acceptor : frame.dest === ADDRESS.hopper ? this.hopper : undefined;
    if (!device || frame.src !== ADDRESS.host) return;
    this.requests++;
    if (this.silent) return;
    const answer = device.answer(frame.header, frame.data);
    let reply: Frame;
    if (answer === 'nak') reply = { dest: ADDRESS.host, src: frame.dest, header: HEADER.nak, data: Buffer.alloc(0) };
    else reply = { dest: ADDRESS.host, src: frame.dest, header: HEADER.reply, data: Buffer.from(answer === 'reset' ? [] : answer) };
    if (answer === 'reset') {
      if (device === this.acceptor) this.acceptor.reset();
      else if (this.hopper) {
        this.hopper.stop();
        this.hopper.enabled = false;
        this.hopper.counter = 0;
      }
    }
    this.sendReply(encodeFrame(reply));
  }

  private fuzz(bytes: Buffer): Buffer | undefined {
    this.fuzzed++;
    const r = this.random;
    switch (Math.floor(r() * 6)) {
      case 0: {
        const out = Buffer.from(bytes);
        const i = Math.floor(r() * out.length);
        out[i] = ((out[i] as number) ^ (1 + Math.floor(r() * 255))) & 0xff;
        return out;
      }
      case 1:
        return bytes.subarray(0, Math.floor(r() * bytes.length));
      case 2:
        return this.randomBytes(1 + Math.floor(r() * 20));
      case 3:
        return Buffer.concat([this.randomBytes(1 + Math.floor(r() * 8)), bytes]);
      case 4: {
        const out = Buffer.from(bytes);
        out[2] = (out[2] as number) ^ (1 + Math.floor(r() * 255));
        out[out.length - 1] = 0;
        out[out.length - 1] = (256 - (out.reduce((s, b) => s + b, 0) & 0xff)) & 0xff;
        return out;
      }
      default:
        return undefined;
    }
  }

  private sendReply(bytes: Buffer): void {
    if (this.fuzzRate > 0 && this.random() < this.fuzzRate) {
      const damaged = this.fuzz(bytes);
      if (damaged) this.later(damaged);
      return;
    }
    if (this.faults.drop > 0) {
      this.faults.drop--;
      return;
    }
    let out = bytes;
    if (this.faults.corrupt > 0) {
      this.faults.corrupt--;
      out = Buffer.from(bytes);
      const i = 1 + Math.floor(this.random() * (out.length - 1));
      out[i] = ((out[i] as number) ^ (1 + Math.floor(this.random() * 255))) & 0xff;
    }
    if (this.faults['wrong-address'] > 0) {
      this.faults['wrong-address']--;
      out = Buffer.from(bytes);
      out[2] = 7; // another device answers
      out[out.length - 1] = 0;
      out[out.length - 1] = (256 - (out.reduce((s, b) => s + b, 0) & 0xff)) & 0xff;
    }
    if (this.faults.garbage > 0) {
      this.faults.garbage--;
      out = Buffer.concat([this.randomBytes(1 + Math.floor(this.random() * 8)), out]);
    }
    this.later(out);
  }

  private later(out: Buffer): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.output(out);
    }, this.replyDelayMs);
    this.timers.add(timer);
  }
}
