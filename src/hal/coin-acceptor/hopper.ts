// The ccTalk hopper driver (address 3) on the acceptor's bus: identifies the hopper and the
// coin it holds, and pays out N coins. A dispense request is never retried blindly (a lost
// reply would pay twice): after a failed request the hopper's event counter tells whether it
// was taken. The payout is followed with "request hopper status" until nothing remains.
import type { Logger } from '../../log.ts';
import { BaseDevice } from '../device.ts';
import type { CctalkBus } from './bus.ts';
import { parseCoinId } from './codes.ts';
import { ADDRESS, HEADER } from './frame.ts';
import type { HopperDevice, PayoutResult } from './interface.ts';
import type { CctalkLink } from './link.ts';
import { sleep } from '../clock.ts';


export class CctalkHopper extends BaseDevice implements HopperDevice {
  readonly name = 'hopper';
  readonly driver: string;
  private readonly log: Logger;
  private serial: Buffer | undefined;
  private paysOut: { coin: string; valueCents: number } | undefined;
  private running = false;
  private busy: Promise<unknown> = Promise.resolve();
  private level = { payouts: 0, paid: 0, unpaid: 0 };

  constructor(
    private readonly bus: CctalkBus,
    readonly simulated: boolean,
    logger: Logger,
    private readonly statusPollMs = 50,
  ) {
    super();
    this.driver = simulated ? 'cctalk-sim' : `cctalk:${bus.description}`;
    this.log = logger.child({ module: 'hopper' });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.health = 'starting';
    this.bus.acquire();
    await this.identify().catch(() => undefined);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.busy.catch(() => undefined);
    await this.bus.release();
    this.markStopped();
  }

  protected override readings(): Record<string, unknown> {
    return { ...(this.paysOut ? { coin: this.paysOut.coin } : {}), ...this.level };
  }

  coin(): { coin: string; valueCents: number } | undefined {
    return this.paysOut;
  }

  dispense(count: number): Promise<PayoutResult> {
    if (!Number.isInteger(count) || count < 1 || count > 255) return Promise.reject(new Error(`cannot dispense ${count} coins (1-255)`));
    const run = this.busy.then(() => this.payout(count));
    this.busy = run.catch(() => undefined);
    return run;
  }

  private async identify(): Promise<CctalkLink> {
    try {
      const link = await this.bus.link();
      await link.request(ADDRESS.hopper, HEADER.simplePoll);
      const category = (await link.request(ADDRESS.hopper, HEADER.requestEquipmentCategory)).data.toString('latin1').trim();
      if (!/payout|hopper/i.test(category)) throw new Error(`device at address ${ADDRESS.hopper} is a "${category}", not a hopper`);
      const serial = (await link.request(ADDRESS.hopper, HEADER.requestSerialNumber)).data;
      if (serial.length !== 3) throw new Error('bad hopper serial number reply');
      const coin = parseCoinId((await link.request(ADDRESS.hopper, HEADER.requestHopperCoin)).data.toString('latin1'));
      if (!coin?.valueCents) throw new Error('the hopper holds no euro coin');
      this.serial = Buffer.from(serial);
      this.paysOut = { coin: coin.id, valueCents: coin.valueCents };
      this.markOk(`pays ${coin.id}`);
      return link;
    } catch (err) {
      this.markFault(`hopper not answering: ${(err as Error).message}`, false, this.paysOut ? 'fault' : 'absent');
      throw err;
    }
  }

  private async readStatus(link: CctalkLink): Promise<{ counter: number; remaining: number; paid: number; unpaid: number }> {
    const { data } = await link.request(ADDRESS.hopper, HEADER.requestHopperStatus);
    if (data.length !== 4) throw new Error(`hopper status: ${data.length} bytes, expected 4`);
    return { counter: data[0] as number, remaining: data[1] as number, paid: data[2] as number, unpaid: data[3] as number };
  }

  private async payout(count: number): Promise<PayoutResult> {
    const link = this.serial ? await this.bus.link() : await this.identify();
    const serial = this.serial as Buffer;
    try {
      await link.request(ADDRESS.hopper, HEADER.enableHopper, [165]);
      const before = await this.readStatus(link);
      try {
        await link.request(ADDRESS.hopper, HEADER.dispenseHopperCoins, [...serial, count], { retries: 0 });
      } catch (err) {
        const after = await this.readStatus(link);
        if (after.counter === before.counter) throw err; // not taken: nothing paid
        this.log.warn({ err: (err as Error).message }, 'dispense reply lost, but the hopper took the request');
      }
      const deadline = this.bus.clock.now() + 2000 + count * 1000;
      for (;;) {
        await sleep(this.bus.clock, this.statusPollMs);
        const s = await this.readStatus(link);
        if (s.remaining === 0) {
          this.level.payouts++;
          this.level.paid += s.paid;
          this.level.unpaid += s.unpaid;
          if (s.unpaid > 0) this.markFault(`hopper empty: ${s.unpaid} of ${count} coins not paid`, false, 'degraded');
          this.log.info({ requested: count, paid: s.paid, unpaid: s.unpaid }, 'payout ended');
          return { requested: count, paid: s.paid, unpaid: s.unpaid };
        }
        if (this.bus.clock.now() > deadline) {
          const stop = await link.request(ADDRESS.hopper, HEADER.emergencyStop);
          const unpaid = stop.data[0] ?? s.remaining;
          this.markFault(`hopper payout stalled: ${unpaid} coins not paid`, false, 'degraded');
          return { requested: count, paid: count - unpaid, unpaid };
        }
      }
    } finally {
      await link.request(ADDRESS.hopper, HEADER.enableHopper, [0]).catch(() => undefined);
    }
  }
}
