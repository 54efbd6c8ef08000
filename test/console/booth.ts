// A booth for the console tests: the control server with handlers built by
// createControlHandlers from a real store, the real simulated camera (photos from the
// fixtures), the real FT6236 driver on a register-level model of the chip, the real sales
// switch; and in-memory doubles (test code, not product code) for the parts whose modules
// are not wired yet: lighting, curtain, coin tester, printer, cash box, outbox, fleet, session.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Config } from '../../src/config/schema.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createCamera } from '../../src/hal/camera/index.ts';
import { Ft6236Model, Ft6236Panel, loadRecording, TouchReplayer } from '../../src/hal/touch/index.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { createControlHandlers, type CashBox, type CoinTester, type CurtainView, type FleetLink, type LightingControl, type OutboxView, type PrintTester, type SessionView } from '../../src/console/handlers.ts';
import { openSalesSwitch } from '../../src/console/sales.ts';
import { createControlServer, type ControlServer } from '../../src/console/server.ts';
import type { CoinEvent, CurtainState } from '../../src/console/protocol.ts';
import { TestGpioChip, TestI2cBus } from '../hal/touch-harness.ts';

export class LightingDouble implements LightingControl {
  on = false;
  level = 0;
  async set(change: { on?: boolean; level?: number }) {
    if (change.level !== undefined) this.level = change.level;
    if (change.on !== undefined) this.on = change.on;
    return { on: this.on, level: this.level };
  }
}

export class CurtainDouble extends EventEmitter implements CurtainView {
  current: CurtainState = { drawn: false, at: null };
  watchers = 0;
  state() {
    return this.current;
  }
  watch(listener: (s: CurtainState) => void) {
    this.watchers++;
    this.on('change', listener);
    return () => {
      this.watchers--;
      this.off('change', listener);
    };
  }
  set(drawn: boolean) {
    this.current = { drawn, at: new Date().toISOString() };
    this.emit('change', this.current);
  }
}

/** The acceptor's test mode: enabled while a test runs; inserted coins go to the cash box. */
export class CoinDouble implements CoinTester {
  enabled = false;
  private emit: ((e: CoinEvent) => void) | undefined;
  constructor(private readonly cash: CashDouble) {}
  async startTest(emit: (e: CoinEvent) => void) {
    this.enabled = true;
    this.emit = emit;
    return {
      detail: 'coin table EU010A..EU200A',
      stop: async () => {
        this.enabled = false;
        this.emit = undefined;
      },
    };
  }
  insert(coin: string, valueCents: number): boolean {
    if (!this.enabled) return false;
    this.cash.add(valueCents, coin);
    this.emit?.({ kind: 'credit', valueCents, coin, message: 'accepted', at: new Date().toISOString() });
    return true;
  }
}

export class CashDouble implements CashBox {
  private coins = new Map<number, { coin: string; count: number }>();
  private since: string | null = null;
  collections = 0;
  add(valueCents: number, coin: string) {
    const entry = this.coins.get(valueCents) ?? { coin, count: 0 };
    entry.count++;
    this.coins.set(valueCents, entry);
    this.since ??= new Date().toISOString();
  }
  private list() {
    return [...this.coins.entries()].sort((a, b) => a[0] - b[0]).map(([valueCents, e]) => ({ valueCents, coin: e.coin, count: e.count }));
  }
  counters() {
    const coins = this.list();
    return { cashBox: { since: this.since, totalCents: coins.reduce((s, c) => s + c.valueCents * c.count, 0), coins }, storedCreditCents: 0 };
  }
  collect() {
    const coins = this.list();
    const result = { id: `C${++this.collections}`, at: new Date().toISOString(), totalCents: coins.reduce((s, c) => s + c.valueCents * c.count, 0), coins, since: this.since };
    this.coins.clear();
    this.since = null;
    return result;
  }
}

export class BoothParts {
  lighting = new LightingDouble();
  curtain = new CurtainDouble();
  cash = new CashDouble();
  coins = new CoinDouble(this.cash);
  printed = 0;
  printer: PrintTester = { printTest: async () => ({ jobId: `job-${++this.printed}`, detail: 'completed (test page, 1 sheet)' }) };
  outbox: OutboxView = { state: () => ({ depth: 0, oldest: null }), flush: async () => ({ depthBefore: 0, depthAfter: 0, detail: 'nothing to send' }) };
  events: { type: string; message: string }[] = [];
  fleet: FleetLink = {
    broker: () => ({ configured: false, connected: false, url: null, detail: null }),
    publishEvent: (e) => {
      this.events.push(e);
      return true;
    },
  };
  step = 'idle';
  session: SessionView = { snapshot: () => ({ step: this.step, sessionId: this.step === 'idle' ? null : 'session-1', blocked: null }) };
  restarts = 0;
}

export interface TestBooth {
  config: Config;
  store: Store;
  parts: BoothParts;
  server: ControlServer;
  touchModel: Ft6236Model;
  replaySignature(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestBooth(config: Config, configFile: string, socketPath: string): Promise<TestBooth> {
  const logger = silentLogger();
  const store = openStore(config.data.dir);
  const parts = new BoothParts();
  const camera = createCamera(config.camera, { simulated: true, logger });
  await camera.start();
  const bus = new TestI2cBus();
  const gpio = new TestGpioChip();
  const touchModel = new Ft6236Model();
  bus.attach(config.touch.address, touchModel);
  const touch = new Ft6236Panel({ address: config.touch.address, interruptLine: config.touch.interruptLine, width: config.touch.width, height: config.touch.height, pollMs: config.touch.pollMs }, { i2c: bus, gpio, logger });
  await touch.start();
  touchModel.connectInterrupt((level) => gpio.drive(config.touch.interruptLine, level));
  const handlers = createControlHandlers({
    config,
    store,
    devices: [camera, touch],
    sales: openSalesSwitch(store),
    logger,
    version: 'test',
    startedAt: Date.now(),
    configFile,
    camera,
    touch,
    lighting: parts.lighting,
    curtain: parts.curtain,
    coins: parts.coins,
    printer: parts.printer,
    cashBox: parts.cash,
    outbox: parts.outbox,
    fleet: parts.fleet,
    session: parts.session,
    restart: () => parts.restarts++,
  });
  const server = createControlServer({ socketPath, handlers, logger });
  await server.start();
  return {
    config,
    store,
    parts,
    server,
    touchModel,
    async replaySignature() {
      const recording = loadRecording(join(import.meta.dirname, '../fixtures/signatures/initials.json'));
      const replayer = new TouchReplayer(touchModel, recording);
      while (replayer.step()) await touch.settled();
      await touch.settled();
    },
    async stop() {
      await server.stop();
      await touch.stop();
      await camera.stop();
      store.close();
    },
  };
}

export function testConfig(raw: unknown): Config {
  return configSchema.parse(raw);
}
