// The composition root: builds the whole booth from a validated Config. Nothing else in
// the product creates drivers, stores, the session machine or the fleet connection.
import { readFileSync, statfsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCodeRegistry } from '../codes/registry.ts';
import { openLiveSettings, type LiveSettings } from '../config/live.ts';
import type { Config } from '../config/schema.ts';
import { createControlHandlers } from '../console/handlers.ts';
import { controlSocketPath } from '../console/run.ts';
import { openSalesSwitch } from '../console/sales.ts';
import { createControlServer } from '../console/server.ts';
import { createCoinTester, createPrintTester } from '../console/testers.ts';
import { createFleet, sessionRecordInput, type Fleet } from '../fleet/index.ts';
import { openJournal } from '../flows/journal.ts';
import { createFileMedia } from '../flows/media.ts';
import type { SessionEvent } from '../flows/ports.ts';
import { createSessionMachine, sessionConfigFrom, type SessionMachine } from '../flows/session.ts';
import type { Device, DeviceFault } from '../hal/device.ts';
import type { Logger } from '../log.ts';
import { PaymentDesk } from '../payment/index.ts';
import { createPaymentReporter } from '../payment/records.ts';
import { renderBoard } from '../print/board.ts';
import { PrintQueue } from '../print/queue.ts';
import { openStore, type Store } from '../store/db.ts';
import type { ScreenSource } from '../ui/screen.ts';
import { createUiServer, type UiServer } from '../ui/server.ts';
import { createVoicePrompts } from '../ui/voice.ts';
import { BrokerRelay, brokerLink } from '../sim/link.ts';
import { createSimPanel } from '../sim/panel.ts';
import type { Validator } from '../vision/validator.ts';
import { createDevices, type BoothDevices } from './devices.ts';
import { createScreenAdapter, type LiveGuidance } from './screen.ts';
import { Feed, cameraPort, healthPort, signaturePort, validatorPort } from './session-ports.ts';

export interface Booth {
  /** The config the booth was built with: file + environment + saved settings. */
  readonly config: Config;
  /** The settings that can change while the booth runs (src/config/live.ts). */
  readonly settings: LiveSettings;
  readonly store: Store;
  readonly devices: readonly Device[];
  readonly parts: BoothDevices;
  readonly machine: SessionMachine;
  readonly desk: PaymentDesk;
  readonly fleet: Fleet;
  readonly screen: ScreenSource;
  /** The customer screen's URL once started (empty when the UI is off). */
  uiUrl(): string;
  /** Why the booth cannot sell now, or null. */
  unavailable(): string | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** When the main loop last ran (ms since epoch), for the watchdog and `status`. */
  lastTick(): number;
}

export interface BuildOptions {
  /** Serve the customer screen (default true). */
  ui?: boolean;
  /** Serve the console's control socket (default true). */
  control?: boolean;
  /** How the console's `restart` ends the booth (default: SIGTERM to itself; systemd starts it again). */
  restart?: () => void;
}

export function freeDiskMb(dir: string): number {
  const stats = statfsSync(dir);
  return Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
}

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export async function buildBooth(baseConfig: Config, logger: Logger, options: BuildOptions = {}): Promise<Booth> {
  const log = logger.child({ module: 'booth' });
  // Settings changed while the booth ran (saved under data.dir) win over the config file.
  const settings = openLiveSettings(baseConfig, { logger });
  const config = settings.current();
  const store = openStore(config.data.dir);
  let parts: BoothDevices;
  try {
    parts = await createDevices(config, logger);
  } catch (err) {
    store.close();
    throw err;
  }
  const startedAt = Date.now();
  const sales = openSalesSwitch(store);
  let validator: Validator | undefined;
  let visionProblem = 'photo validation is starting';

  const deviceProblem = (device: Device) => {
    const status = device.status();
    return status.health === 'ok' || status.health === 'degraded' ? null : `${device.name}: ${status.detail ?? status.health}`;
  };
  const health = healthPort({
    config,
    checks: [
      { name: 'sales', check: () => (sales.state().enabled ? null : `sales off${sales.state().reason ? `: ${sales.state().reason}` : ''}`) },
      { name: 'printer', check: () => { const r = parts.printer.readiness(); return r.ok ? null : `printer: ${r.reason}`; } },
      { name: 'camera', check: () => deviceProblem(parts.camera) },
      { name: 'touch', check: () => deviceProblem(parts.touch) },
      { name: 'coinAcceptor', check: () => deviceProblem(parts.coinAcceptor) },
      { name: 'vision', check: () => (validator ? null : visionProblem) },
      { name: 'disk', check: () => { const free = freeDiskMb(config.data.dir); return free < config.data.minFreeMb ? `disk: ${free} MB free, below data.minFreeMb ${config.data.minFreeMb}` : null; } },
    ],
  });

  const desk = new PaymentDesk({ store, acceptor: parts.coinAcceptor, ...(parts.cardReader ? { cardReader: parts.cardReader } : {}), canDeliver: () => health.canDeliver(), storedCreditMinutes: config.payment.storedCreditMinutes, logger });
  const printQueue = new PrintQueue({
    store,
    printer: parts.printer,
    boardsDir: join(config.data.dir, 'boards'),
    boothId: config.booth.id,
    jobTimeoutMs: config.printer.jobTimeoutSeconds * 1000,
    logger,
    // The board carries the photo cropped to 35x45 mm around the face, not the whole capture.
    render: async (order) => {
      if (!validator) throw new Error(`cannot crop the photo: ${visionProblem}`);
      const cropped = await validator.crop(await readFile(order.photoFile));
      const board = await renderBoard({ photo: cropped.print, boothId: config.booth.id, ...(order.code ? { code: order.code } : {}), ...(order.expires ? { expires: new Date(order.expires) } : {}) });
      return board.png;
    },
  });
  const codes = createCodeRegistry(store, { prefix: config.booth.operatorPrefix });
  // One test page path for the console's `print test` and the fleet's `print-test`.
  const printTester = createPrintTester({
    printer: parts.printer,
    boothId: config.booth.id,
    operatorPrefix: config.booth.operatorPrefix,
    jobTimeoutMs: config.printer.jobTimeoutSeconds * 1000,
    logger,
  });

  const counters = { started: 0, completed: 0, cancelled: 0, revenueCents: 0, retakes: {} as Record<string, number> };
  // The fleet's hooks read the session machine, which is built after the fleet (its outbox port).
  const machineRef: { current?: SessionMachine } = {};
  // On the simulated booth the fleet goes through a relay the simulator panel can cut.
  const brokerRelay = parts.sim && config.fleet.url ? new BrokerRelay(config.fleet.url) : undefined;
  await brokerRelay?.start();
  const fleet = createFleet(brokerRelay ? { ...config, fleet: { ...config.fleet, url: brokerRelay.url() } } : config, {
    store,
    logger,
    version: version(),
    hooks: {
      status: () => ({
        sales: { enabled: sales.state().enabled, ...(sales.state().reason ? { reason: sales.state().reason ?? '' } : {}) },
        step: machineRef.current?.snapshot().step ?? 'idle',
        priceCents: settings.current().payment.priceCents,
        devices: parts.all.map((d) => ({ name: d.name, ok: d.status().health === 'ok', simulated: d.simulated, ...(deviceProblem(d) ? { fault: deviceProblem(d)!.slice(0, 200) } : {}) })),
      }),
      telemetry: () => ({
        sessions: { started: counters.started, completed: counters.completed, cancelled: counters.cancelled },
        revenueCents: counters.revenueCents,
        coins: Object.fromEntries(desk.cashbox().map((line) => [String(Math.round(line.cents / Math.max(1, line.count))), line.count])),
        retakes: counters.retakes,
        printer: { state: parts.printer.status().health, mediaLeft: null },
      }),
      setPrice: (cents) => {
        const report = settings.apply([{ key: 'payment.priceCents', value: cents }], 'fleet set-price');
        if (report.refused.length > 0) throw new Error(report.refused.map((r) => r.reason).join('; '));
      },
      setSales: (enabled, reason) => {
        sales.set(enabled, reason ?? null);
        desk.refresh();
        fleet.updateStatus();
      },
      printTest: () => {
        const step = machineRef.current?.snapshot().step ?? 'idle';
        if (step !== 'idle') throw new Error(`refused: a customer session is in progress (step ${step}); a test page would disturb it`);
        return printTester.printTest();
      },
      reboot: () => {
        setTimeout(() => process.kill(process.pid, 'SIGTERM'), 500);
      },
      applyConfig: (changes) => {
        const report = settings.apply(changes, 'fleet config/desired');
        return { applied: report.applied.map((c) => c.key), atRestart: report.atRestart.map((c) => c.key), refused: report.refused };
      },
    },
  });

  const publishEvent = (event: SessionEvent) => {
    log[event.severity === 'error' ? 'error' : event.severity === 'warning' ? 'warn' : 'info']({ event }, event.message);
    fleet.publishEvent({ type: event.type, severity: event.severity, message: event.message, at: event.at, ...(event.sessionId ? { sessionId: event.sessionId } : {}), ...(event.device ? { device: event.device } : {}), ...(event.data ? { data: event.data } : {}) });
    if (event.type === 'session.started') counters.started++;
  };

  const guidanceFeed = new Feed<LiveGuidance>();
  const previewFeed = new Feed<Buffer>();
  const inkFeed = new Feed<{ x: number; y: number }[][]>();
  const sessionMachine = createSessionMachine({
    ports: {
      camera: cameraPort({ camera: parts.camera, lighting: parts.lighting, config, vision: () => validator, guidanceFeed, previewFeed, logger }),
      validator: validatorPort(() => validator, () => visionProblem),
      signature: signaturePort(parts.touch, inkFeed, { width: config.touch.width, height: config.touch.height }),
      payment: desk,
      printer: printQueue,
      codes,
      outbox: { enqueue: (record) => void fleet.enqueueRecord(sessionRecordInput({ ...record })) },
      health,
      events: { publish: publishEvent },
      media: createFileMedia(config.data.dir),
    },
    journal: openJournal(store),
    config: () => sessionConfigFrom(settings.current()),
    logger,
  });
  machineRef.current = sessionMachine;
  sessionMachine.subscribe((s) => {
    if (s.step === 'idle' && s.lastSession && s.lastSession.sessionId !== lastCounted) {
      lastCounted = s.lastSession.sessionId;
      if (s.lastSession.outcome === 'completed') counters.completed++;
      else counters.cancelled++;
    }
  });
  let lastCounted: string | undefined;
  desk.on('event', (e: { type: string; cents?: number }) => {
    if (e.type === 'coin.credited' && typeof e.cents === 'number') counters.revenueCents += e.cents;
  });

  // Devices tell the machine about faults, so a session never waits on a dead device.
  const onFault = (fault: DeviceFault) => {
    log.warn({ fault }, `device fault: ${fault.device}: ${fault.message}`);
    fleet.publishEvent({ type: 'device.fault', severity: fault.fatal ? 'error' : 'warning', message: fault.message, device: fault.device, at: new Date().toISOString() });
    sessionMachine.send({ type: 'FAULT', device: fault.device, message: fault.message });
    desk.refresh();
    fleet.updateStatus();
  };
  const onRecovered = (name: string) => {
    log.info({ device: name }, `device recovered: ${name}`);
    fleet.publishEvent({ type: 'device.recovered', severity: 'info', message: `${name} recovered`, device: name, at: new Date().toISOString() });
    sessionMachine.send({ type: 'RECOVERED', device: name });
    desk.refresh();
    fleet.updateStatus();
  };
  // Drawing the curtain starts a session (the screen's start button does too).
  parts.curtain.on('drawn', () => {
    if (sessionMachine.snapshot().step === 'idle') sessionMachine.send({ type: 'START' });
  });

  const voice = createVoicePrompts({ cacheDir: join(config.data.dir, 'voice'), volume: config.ui.volume, enabled: config.ui.voice, logger });
  const screen = createScreenAdapter({
    machine: sessionMachine,
    feeds: { guidance: guidanceFeed, preview: previewFeed, ink: inkFeed },
    priceCents: () => settings.current().payment.priceCents,
    defaultLanguage: config.ui.defaultLanguage,
    outOfOrder: () => health.reason(),
    ...(options.ui === false ? {} : { voice }),
    logger,
  });
  // The simulator panel (/sim) exists only on the simulated booth.
  const panel = parts.sim ? createSimPanel({ parts, config, logger, step: () => sessionMachine.snapshot().step, broker: brokerLink(brokerRelay, () => fleet.connected) }) : undefined;
  const ui: UiServer | undefined = options.ui === false ? undefined : createUiServer({ port: config.ui.port, source: screen, logger, voice, ...(panel ? { routes: panel.handle } : {}) });
  const control =
    options.control === false
      ? undefined
      : createControlServer({
          socketPath: controlSocketPath(config),
          logger,
          handlers: createControlHandlers({
            config,
            settings,
            store,
            devices: parts.all,
            sales,
            logger,
            version: version(),
            startedAt,
            camera: parts.camera,
            touch: parts.touch,
            lighting: { set: (change) => parts.lighting.set(change) },
            curtain: {
              state: () => parts.curtain.state(),
              watch: (listener) => {
                const on = () => listener(parts.curtain.state());
                parts.curtain.on('change', on);
                return () => parts.curtain.off('change', on);
              },
            },
            session: sessionMachine,
            coins: createCoinTester({
              desk,
              acceptor: parts.coinAcceptor,
              onSessionStart: (listener) => {
                let previous = sessionMachine.snapshot().step;
                return sessionMachine.subscribe((s) => {
                  const was = previous;
                  previous = s.step;
                  if (was === 'idle' && s.step !== 'idle') listener();
                });
              },
              logger,
            }),
            printer: printTester,
            cashBox: {
              counters: () => {
                const coins = desk.cashbox().map((line) => ({ valueCents: Math.round(line.cents / Math.max(1, line.count)), coin: line.coin, count: line.count }));
                return {
                  cashBox: { since: desk.ledger.lastEmptiedAt(), totalCents: coins.reduce((sum, c) => sum + c.valueCents * c.count, 0), coins, testCoins: desk.ledger.testCoinsInCashbox() },
                  storedCreditCents: desk.storedCredit().reduce((sum, c) => sum + c.leftCents, 0),
                };
              },
              collect: () => {
                const since = desk.ledger.lastEmptiedAt();
                const emptied = desk.emptyCashbox();
                const at = new Date().toISOString();
                return {
                  id: `cash-${at}`,
                  at,
                  totalCents: emptied.totalCents,
                  coins: emptied.counts.map((line) => ({ valueCents: Math.round(line.cents / Math.max(1, line.count)), coin: line.coin, count: line.count })),
                  since,
                };
              },
            },
            outbox: {
              state: () => ({ depth: fleet.outbox.depth(), oldest: fleet.outbox.oldestAt() ?? null }),
              flush: async () => {
                const depthBefore = fleet.outbox.depth();
                if (fleet.connected) await Promise.race([fleet.drained(), new Promise((r) => setTimeout(r, 10_000))]);
                const depthAfter = fleet.outbox.depth();
                return {
                  depthBefore,
                  depthAfter,
                  detail: !fleet.enabled ? 'no fleet configured (fleet.url): records wait in the outbox' : fleet.connected ? 'sent while connected; acked records removed' : 'broker not connected: records are resent on reconnection',
                };
              },
            },
            fleet: {
              broker: () => ({ configured: fleet.enabled, connected: fleet.connected, url: config.fleet.url ?? null, detail: fleet.enabled ? null : 'no fleet.url' }),
              publishEvent: (event) => {
                fleet.publishEvent(event);
                return fleet.connected;
              },
            },
            validator: { validate: async (jpeg, signal) => validatorPort(() => validator, () => visionProblem).validate(jpeg, signal) },
            restart: options.restart ?? (() => process.kill(process.pid, 'SIGTERM')),
          }),
        });

  let tick: NodeJS.Timeout | undefined;
  let lastTick = 0;
  // The main loop: a periodic health tick. It keeps the process alive and, on a board,
  // feeds the systemd watchdog only while it keeps running.
  // Every closed payment becomes a signed record for the operator (src/payment/records.ts);
  // checked each tick, so a payment closed just before a power cut is sent after it.
  const paymentRecords = createPaymentReporter({ store, enqueue: (record) => void fleet.enqueueRecord(record), logger });
  let paymentRecordsProblem: string | undefined;
  const reportPayments = () => {
    try {
      paymentRecords.report();
      paymentRecordsProblem = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== paymentRecordsProblem) log.error({ err }, 'payment records not queued; retrying every second');
      paymentRecordsProblem = message;
    }
  };
  const healthTick = () => {
    lastTick = Date.now();
    reportPayments();
  };

  // A price changed live shows on the screen and in the fleet status at once.
  settings.subscribe(() => {
    screen.refresh();
    fleet.updateStatus();
  });

  return {
    config,
    settings,
    store,
    devices: parts.all,
    parts,
    machine: sessionMachine,
    desk,
    fleet,
    screen,
    uiUrl: () => ui?.url ?? '',
    unavailable: () => health.reason(),
    async start() {
      desk.start();
      for (const device of parts.all) {
        device.on('fault', onFault);
        device.on('recovered', onRecovered);
        await device.start();
      }
      try {
        validator = await createValidator({ logger });
      } catch (err) {
        visionProblem = (err as Error).message;
        log.error({ err }, 'photo validation unavailable: the booth will not sell');
      }
      desk.refresh();
      fleet.start();
      void sessionMachine.recover().then(
        (report) => log.info({ report }, 'journal recovery done'),
        (err: unknown) => log.error({ err }, 'journal recovery failed'),
      );
      await ui?.start();
      await control?.start();
      healthTick();
      tick = setInterval(healthTick, 1000);
    },
    lastTick: () => lastTick,
    async stop() {
      if (tick) clearInterval(tick);
      screen.stop();
      await control?.stop();
      await ui?.stop();
      sessionMachine.stop();
      await desk.stop();
      reportPayments(); // what the last moments closed, before the outbox's store closes
      await fleet.stop();
      await brokerRelay?.stop();
      await validator?.close();
      await parts.close();
      store.close();
    },
  };
}

async function createValidator(options: { logger: Logger }): Promise<Validator> {
  const { createValidator: create } = await import('../vision/validator.ts');
  return create(options);
}
