// The ccTalk coin acceptor driver (address 2): identifies the device, reads its coin table,
// sets per-coin and master inhibits, and polls "read buffered credit or error codes" with the
// full event-counter semantics:
// - the counter counts events 1..255 and wraps 255 → 1; 0 only right after a reset, so a 0
//   after a non-zero counter means the device reset (credit inserted since the last poll may
//   be lost: alarm) and lost its inhibits (re-applied);
// - one reply holds the last 5 events, newest first; new events = counter distance since the
//   last poll; a distance above 5 means events were lost: the gap goes to the gap sink (the
//   ledger records a money incident) before the 5 buffered ones, all new, are credited;
// - a credit is handed to the credit sink (the payment ledger, which journals it) before
//   anyone hears of it; if the sink fails, the counter is not advanced past that event, so
//   the next poll offers it again, and the acceptor is inhibited meanwhile.
// A device that stops answering is a fault: the driver keeps trying to reconnect, and on
// reconnection re-identifies it and re-applies the inhibits before it counts anything.
import type { Logger } from '../../log.ts';
import { BaseDevice } from '../device.ts';
import type { CctalkBus } from './bus.ts';
import { decodeCoinError, parseCoinId } from './codes.ts';
import { ADDRESS, HEADER } from './frame.ts';
import type { CctalkLink } from './link.ts';
import type {
  AcceptorAlarm,
  AcceptorIdentity,
  CoinAcceptorDevice,
  CoinCreditEvent,
  CoinErrorEvent,
  CoinSlot,
  CounterMark,
  CreditSink,
  GapSink,
  HopperDevice,
  ResumePoint,
} from './interface.ts';

export interface AcceptorOptions {
  pollMs: number;
  simulated: boolean;
  logger: Logger;
  hopper?: HopperDevice | undefined;
  /** Failed poll transactions in a row before the device is declared faulty. */
  failuresBeforeFault?: number;
}

const text = (data: Buffer) => data.toString('latin1').replace(/\0+$/, '').trim();

/** The counter `back` events before `counter`, on the 1..255 ring. */
export function counterBefore(counter: number, back: number): number {
  return ((((counter - 1 - back) % 255) + 255) % 255) + 1;
}

/** Number of events between two counters (wrap 255 → 1; from 0 = after reset). */
export function eventsSince(last: number, now: number): number {
  // Counting up, or from 0 after a reset (the counter never returns to 0 by wrapping).
  if (now >= last) return now - last;
  return now + 255 - last;
}

export class CctalkCoinAcceptor extends BaseDevice implements CoinAcceptorDevice {
  readonly name = 'coinAcceptor';
  readonly driver: string;
  readonly simulated: boolean;
  readonly hopper: HopperDevice | undefined;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly failuresBeforeFault: number;
  private ident: AcceptorIdentity | undefined;
  private slots: CoinSlot[] = [];
  private desired: string[] = [];
  private applied: string[] = [];
  private connected = false;
  private lastCounter: number | undefined;
  /** The counter the ledger holds for this acceptor (a credit, a gap or a mark wrote it). */
  private persisted: number | undefined;
  private failures = 0;
  private sink: CreditSink | undefined;
  private resume: ResumePoint | undefined;
  private mark: CounterMark | undefined;
  private gap: GapSink | undefined;
  private running = false;
  private timer: unknown;
  private tick: Promise<void> = Promise.resolve();
  private readonly counters = { credits: 0, creditedCents: 0, errors: 0, missedEvents: 0, resets: 0, polls: 0 };

  constructor(
    private readonly bus: CctalkBus,
    options: AcceptorOptions,
  ) {
    super();
    this.simulated = options.simulated;
    this.driver = options.simulated ? 'cctalk-sim' : `cctalk:${bus.description}`;
    this.pollMs = options.pollMs;
    this.failuresBeforeFault = options.failuresBeforeFault ?? 2;
    this.hopper = options.hopper;
    this.log = options.logger.child({ module: 'coin-acceptor' });
  }

  // ---- Device -----------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.health = 'starting';
    this.bus.acquire();
    this.tick = this.step();
    await this.tick;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.bus.clock.clearTimeout(this.timer);
    await this.tick;
    if (this.connected) {
      // Leave the acceptor inhibited: no coin may be taken while nobody counts.
      await this.link()
        .then((link) => this.writeAcceptance(link, []))
        .catch(() => undefined);
    }
    this.connected = false;
    await this.bus.release();
    this.markStopped();
  }

  protected override readings(): Record<string, unknown> {
    const link = this.bus.current();
    return {
      ...(this.ident ? { identity: this.ident } : {}),
      counter: this.lastCounter ?? null,
      accepting: this.applied,
      ...this.counters,
      ...(link ? { link: { ...link.stats } } : {}),
    };
  }

  // ---- public surface ---------------------------------------------------------------------

  identity(): AcceptorIdentity | undefined {
    return this.ident;
  }

  coinTable(): CoinSlot[] {
    return this.slots.map((s) => ({ ...s }));
  }

  acceptance(): readonly string[] {
    return this.applied;
  }

  setCreditSink(sink: CreditSink | undefined, resume?: ResumePoint, mark?: CounterMark, gap?: GapSink): void {
    this.sink = sink;
    this.resume = resume;
    this.mark = mark;
    this.gap = gap;
  }

  async setAcceptance(coins: readonly string[]): Promise<void> {
    this.desired = [...coins]; // only asked "is this coin wished?": order and repeats do not matter
    if (!this.running) return;
    // Serialised with the poll loop: one transaction at a time, and never between a poll and
    // the processing of its events.
    const run = this.tick.then(async () => {
      if (!this.connected) throw new Error(`coin acceptor not ready: ${this.detail ?? this.health}`);
      await this.writeAcceptance(await this.link(), this.desired);
    });
    this.tick = run.catch(() => undefined);
    await run;
  }

  // ---- loop -------------------------------------------------------------------------------

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.bus.clock.setTimeout(() => {
      this.tick = this.tick.then(() => this.step());
    }, this.pollMs);
  }

  private async step(): Promise<void> {
    try {
      if (!this.connected) await this.connect();
      else await this.poll();
    } catch (err) {
      this.onFailure(err);
    } finally {
      this.schedule();
    }
  }

  private link(): Promise<CctalkLink> {
    return this.bus.link();
  }

  private onFailure(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.failures++;
    if (!this.connected || this.failures >= this.failuresBeforeFault) {
      if (this.connected) this.log.warn({ err: message }, 'coin acceptor stopped answering');
      this.connected = false;
      this.applied = [];
      this.markFault(`coin acceptor not answering: ${message}`, true, this.ident ? 'fault' : 'absent');
    }
  }

  private async connect(): Promise<void> {
    const link = await this.link();
    const ask = (header: number, data: number[] = []) => link.request(ADDRESS.acceptor, header, data);
    await ask(HEADER.simplePoll);
    const category = text((await ask(HEADER.requestEquipmentCategory)).data);
    if (!/coin acceptor/i.test(category)) throw new Error(`device at address ${ADDRESS.acceptor} is a "${category}", not a coin acceptor`);
    const manufacturer = text((await ask(HEADER.requestManufacturerId)).data);
    const product = text((await ask(HEADER.requestProductCode)).data);
    const serialBytes = (await ask(HEADER.requestSerialNumber)).data;
    if (serialBytes.length !== 3) throw new Error(`bad serial number reply (${serialBytes.length} bytes)`);
    const serial = Buffer.from(serialBytes).reverse().toString('hex').toUpperCase();
    const software = await ask(HEADER.requestSoftwareRevision).then((f) => text(f.data), () => undefined);
    const slots: CoinSlot[] = [];
    for (let position = 1; position <= 16; position++) {
      const parsed = parseCoinId(text((await ask(HEADER.requestCoinId, [position])).data));
      if (parsed) slots.push({ position, coin: parsed.id, valueCents: parsed.valueCents });
    }
    const sameDevice = this.ident?.serial === serial;
    this.ident = { category, manufacturer, product, serial, ...(software ? { software } : {}) };
    this.slots = slots;
    await this.writeAcceptance(link, this.desired);
    const reply = await this.readBuffer(link);
    if (!sameDevice) {
      // A new device (or the first connection): resume where the ledger stopped counting for
      // this serial number (coins accepted while the booth was down are credited), else start
      // from the counter as it is, and persist that starting point (a crash before the first
      // coin is journaled must not skip the coins taken meanwhile).
      const resumed = this.resume?.(serial);
      if (resumed === undefined) this.mark?.(serial, reply.counter);
      this.lastCounter = resumed ?? reply.counter;
      this.persisted = this.lastCounter;
      if (resumed !== undefined && resumed !== reply.counter) this.log.info({ from: resumed, to: reply.counter }, 'resuming event counter from the ledger');
    }
    this.connected = true;
    this.failures = 0;
    this.log.info({ ...this.ident, coins: slots.map((s) => s.coin) }, 'coin acceptor ready');
    this.markOk(`${manufacturer} ${product} #${serial}`);
    this.process(reply);
  }

  private async poll(): Promise<void> {
    const link = await this.link();
    const reply = await this.readBuffer(link);
    this.failures = 0;
    this.counters.polls++;
    // Health is 'ok' here: every fault (no answer, a credit not recorded) also ends the
    // connection, and only connect() (which marks it ok) opens the next one.
    this.process(reply);
  }

  private async readBuffer(link: CctalkLink): Promise<{ counter: number; events: [number, number][] }> {
    const { data } = await link.request(ADDRESS.acceptor, HEADER.readBufferedCredit);
    if (data.length !== 11) throw new Error(`read buffered credit: ${data.length} data bytes, expected 11`);
    // The counter, then 5 events (credit or 0, sorter path or error code), newest first.
    const events = Array.from({ length: 5 }, (_, i): [number, number] => [data[1 + 2 * i] as number, data[2 + 2 * i] as number]);
    return { counter: data[0] as number, events };
  }

  private async writeAcceptance(link: CctalkLink, coins: readonly string[]): Promise<void> {
    let mask = 0;
    for (const slot of this.slots) if (coins.includes(slot.coin)) mask |= 1 << (slot.position - 1);
    if (mask === 0) {
      await link.request(ADDRESS.acceptor, HEADER.modifyMasterInhibit, [0]);
      await link.request(ADDRESS.acceptor, HEADER.modifyInhibitStatus, [0, 0]);
    } else {
      await link.request(ADDRESS.acceptor, HEADER.modifyInhibitStatus, [mask & 0xff, mask >> 8]);
      await link.request(ADDRESS.acceptor, HEADER.modifyMasterInhibit, [1]);
    }
    this.applied = this.slots.filter((s) => mask & (1 << (s.position - 1))).map((s) => s.coin);
    this.log.debug({ accepting: this.applied }, 'acceptance applied');
  }

  private alarm(alarm: Omit<AcceptorAlarm, 'at'>): void {
    const full: AcceptorAlarm = { ...alarm, at: new Date(this.bus.clock.now()).toISOString() };
    this.log.warn(full, alarm.message);
    this.emit('alarm', full);
  }

  private process(reply: { counter: number; events: [number, number][] }): void {
    const now = reply.counter;
    const last = this.lastCounter ?? now; // connect() sets it before the first reply is processed
    if (now === last) return;
    if (now === 0) {
      this.counters.resets++;
      this.lastCounter = 0;
      try {
        // Count from 0 after a restart too (else the old counter would look like lost events).
        // Identified: connect() sets the identity before the first reply is processed.
        this.mark?.(this.ident!.serial, 0);
        this.persisted = 0;
      } catch (err) {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'counter reset not persisted');
      }
      this.alarm({ kind: 'reset', message: 'coin acceptor reset (event counter back to 0): coins inserted since the last poll may be lost', counter: 0 });
      // A reset device forgets its inhibits: connect again (re-identify, re-apply).
      this.connected = false;
      return;
    }
    let count = eventsSince(last, now);
    if (count > 5) {
      const missed = count - 5;
      const toCounter = counterBefore(now, 5);
      // Recorded (durably, by the ledger) before the buffered events are credited: a lost
      // coin is never silent, and a restart resumes after the gap without reporting it twice.
      if (!this.recordGap({ serial: this.ident?.serial ?? '', fromCounter: last, toCounter, missed, at: new Date(this.bus.clock.now()).toISOString() })) return;
      this.counters.missedEvents += missed;
      this.alarm({ kind: 'missed-events', message: `${missed} coin acceptor events missed (counter ${last} → ${now}): coins may have been taken and not credited`, missed, counter: now });
      this.lastCounter = toCounter;
      this.persisted = toCounter;
      count = 5;
    }
    for (let i = count - 1; i >= 0; i--) {
      const [a, b] = reply.events[i] as [number, number];
      const counter = counterBefore(now, i);
      if (a === 0 && b === 0) {
        this.lastCounter = counter; // null event (buffer shorter than the counter distance)
        continue;
      }
      if (a !== 0) {
        if (!this.credit(a, b, counter)) return;
        this.persisted = counter;
      } else {
        this.coinError(b, counter);
      }
      this.lastCounter = counter;
    }
    this.persistSeen();
  }

  /**
   * Events that are no credit (refused coins, errors) are not journaled, yet the ledger must
   * count past them: else a restart resumes from the last coin, sees the refusals already
   * reported as a gap above 5 and records lost events that were never lost. One write per
   * poll that ended on such events (a coin writes its counter with the coin).
   */
  private persistSeen(): void {
    if (!this.ident || this.lastCounter === undefined || this.lastCounter === this.persisted || !this.mark) return;
    try {
      this.mark(this.ident.serial, this.lastCounter);
      this.persisted = this.lastCounter;
    } catch (err) {
      // Not fatal: after a restart these error events may be reported again, never a coin.
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'event counter not persisted');
    }
  }

  /** Returns false when the gap could not be recorded (processing stops there, retried). */
  private recordGap(gap: Parameters<GapSink>[0]): boolean {
    try {
      this.gap?.(gap);
      return true;
    } catch (err) {
      this.refuseAfterSinkFailure(`missed events ${gap.fromCounter} → ${gap.toCounter}`, err, gap.fromCounter);
      return false;
    }
  }

  /** A record the ledger refused: alarm, fault, acceptor inhibited; the next poll offers it again. */
  private refuseAfterSinkFailure(what: string, err: unknown, counter: number): void {
    const message = err instanceof Error ? err.message : String(err);
    this.alarm({ kind: 'record-failed', message: `${what} could not be recorded (${message}); kept in the acceptor's buffer, acceptor inhibited`, counter });
    this.markFault(`cannot record credit: ${message}`);
    // Inhibit now (best effort, queued after this poll); reconnecting re-applies the wish.
    this.connected = false;
    void this.link()
      .then((link) => this.writeAcceptance(link, []))
      .catch(() => undefined);
  }

  /** Returns false when the credit could not be recorded (processing stops there). */
  private credit(position: number, sorterPath: number, counter: number): boolean {
    const slot = this.slots.find((s) => s.position === position);
    if (!slot || slot.valueCents === undefined) {
      this.alarm({ kind: 'unknown-coin', message: `coin accepted at position ${position} which has no euro value in the coin table: not credited`, counter });
      return true;
    }
    const credit: CoinCreditEvent = {
      coin: slot.coin,
      valueCents: slot.valueCents,
      channel: position,
      sorterPath,
      counter,
      serial: this.ident!.serial, // identified before the first reply is processed
      at: new Date(this.bus.clock.now()).toISOString(),
    };
    try {
      this.sink?.(credit);
    } catch (err) {
      this.refuseAfterSinkFailure(`coin ${slot.coin}`, err, counter);
      return false;
    }
    this.counters.credits++;
    this.counters.creditedCents += credit.valueCents;
    this.log.info({ coin: credit.coin, cents: credit.valueCents, counter }, 'coin credited');
    this.emit('credit', credit);
    return true;
  }

  private coinError(code: number, counter: number): void {
    const error: CoinErrorEvent = { ...decodeCoinError(code), counter, at: new Date(this.bus.clock.now()).toISOString() };
    this.counters.errors++;
    this.log.info({ code, kind: error.kind }, error.message);
    this.emit('coin-error', error);
    if (error.alarm) this.alarm({ kind: 'coin-alarm', message: `coin acceptor: ${error.message}`, counter });
  }
}
