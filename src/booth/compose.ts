// The composition root: builds the whole booth from a validated Config. Nothing else in
// the product creates drivers, stores, the session machine or the fleet connection.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodeRegistry } from '../codes/registry.ts';
import { openLiveSettings, type LiveSettings } from '../config/live.ts';
import type { Config } from '../config/schema.ts';
import { controlGateFor } from '../console/gate.ts';
import { createSessionFiles } from './session-files.ts';
import { SimulatedPrinter } from '../hal/printer/index.ts';
import { createControlHandlers } from '../console/handlers.ts';
import { controlSocketPath } from '../console/run.ts';
import { openSalesSwitch } from '../console/sales.ts';
import { createControlServer } from '../console/server.ts';
import { createPrintTester } from '../console/testers.ts';
import { createFleet, sessionRecordInput, type Fleet } from '../fleet/index.ts';
import type { FleetEvent } from '../fleet/schemas.ts';
import { openJournal } from '../flows/journal.ts';
import { createFileMedia } from '../flows/media.ts';
import { createSessionMachine, sessionConfigFrom, type SessionMachine } from '../flows/session.ts';
import { isAbsent } from '../hal/absent.ts';
import type { Device, DeviceFault } from '../hal/device.ts';
import type { Logger } from '../log.ts';
import { PaymentDesk, type PaymentEvent } from '../payment/index.ts';
import { createPaymentReporter } from '../payment/records.ts';
import { renderBoard } from '../print/board.ts';
import { PrintQueue } from '../print/queue.ts';
import { openStore, type Store } from '../store/db.ts';
import type { ScreenSource } from '../ui/screen.ts';
import { createUiServer, type UiServer } from '../ui/server.ts';
import { createVoicePrompts } from '../ui/voice.ts';
import { BrokerRelay, brokerLink } from '../sim/link.ts';
import { UpdateAgent } from '../update/agent.ts';
import { releaseVersion } from '../update/ready.ts';
import { releasesRootOf } from '../update/updater.ts';
import { createSimPanel } from '../sim/panel.ts';
import type { Validator } from '../vision/validator.ts';
import { cashBox, coinTester, curtainView, fleetLink, outboxView } from './console-adapters.ts';
import { openCounters } from './counters.ts';
import { createDevices, type BoothDevices } from './devices.ts';
import { createFleetHooks, printerTelemetry } from './fleet-hooks.ts';
import { createScreenAdapter, type LiveGuidance } from './screen.ts';
import { productsOf } from '../config/products.ts';
import { Feed, cameraPort, healthPort, signaturePort, validatorPort } from './session-ports.ts';
import { diskSpaceMb } from '../hal/host.ts';

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
  /** Keep the session's photo, signature, board and print job after it ends (`cabine demo` only: not a customer). */
  keepSessionFiles?: boolean;
}

/** The fields of the fleet's event schema, nothing else. */
function fleetEvent(event: FleetEvent): FleetEvent {
  const { type, severity, message, at, sessionId, device, data } = event;
  return { type, severity, message, at, ...(sessionId ? { sessionId } : {}), ...(device ? { device } : {}), ...(data ? { data } : {}) };
}

/** The release running (release.json of an installed release, else package.json's version). */
const version = releaseVersion;

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

  const deviceProblem = (device: Device): string | null => {
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
      { name: 'disk', check: () => { const free = diskSpaceMb(config.data.dir)?.freeMb; return free === undefined ? `disk: ${config.data.dir} cannot be read` : free < config.data.minFreeMb ? `disk: ${free} MB free, below data.minFreeMb ${config.data.minFreeMb}` : null; } },
    ],
  });

  const desk = new PaymentDesk({ store, acceptor: parts.coinAcceptor, ...(isAbsent(parts.cardReader) ? {} : { cardReader: parts.cardReader }), canDeliver: () => health.canDeliver(), storedCreditMinutes: config.payment.storedCreditMinutes, logger });
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
      const board = await renderBoard({
        photo: cropped.print,
        boothId: config.booth.id,
        ...(order.code ? { code: order.code } : {}),
        ...(order.expires ? { expires: new Date(order.expires) } : {}),
        ...(config.printer.statusUrl ? { statusUrl: config.printer.statusUrl } : {}),
      });
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

  const counters = openCounters(store);
  // On the simulated booth the fleet goes through a relay the simulator panel can cut.
  const brokerRelay = parts.sim && config.fleet.url ? new BrokerRelay(config.fleet.url) : undefined;
  await brokerRelay?.start();
  const guidanceFeed = new Feed<LiveGuidance>();
  const previewFeed = new Feed<Buffer>();
  const inkFeed = new Feed<{ x: number; y: number }[][]>();
  // The machine's outbox and events reach the fleet built just below; they run only once started.
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
      events: {
        publish: (event) => {
          counters.sessionEvent(event);
          publishEvent(event);
        },
      },
      media: createFileMedia(config.data.dir),
    },
    journal: openJournal(store),
    // The price and the session's timings in force when each session starts.
    config: () => sessionConfigFrom(settings.current()),
    logger,
  });
  // Updates asked by the fleet: downloaded and staged here, installed by the updater (root).
  const updates = new UpdateAgent({
    dataDir: config.data.dir,
    releaseKeyFile: config.fleet.releaseKeyFile,
    releasesRoot: releasesRootOf(fileURLToPath(new URL('../../', import.meta.url))),
    currentVersion: version(),
    logger,
    onChange: (report) => {
      void fleet.publishTelemetry();
      fleet.publishEvent({ type: `update.${report.state}`, severity: report.state === 'failed' || report.state === 'rolled-back' ? 'error' : 'info', message: `update to ${report.version}: ${report.state}${report.reason ? ` (${report.reason})` : ''}`, at: report.at });
    },
  });
  const fleet = createFleet(brokerRelay ? { ...config, fleet: { ...config.fleet, url: brokerRelay.url() } } : config, {
    store,
    logger,
    version: version(),
    hooks: createFleetHooks({
      updates,
      settings,
      sales,
      machine: sessionMachine,
      devices: parts.all,
      printer: parts.printer,
      counters,
      refundsOwed: () => desk.refundsOwed(),
      coinIncidents: () => {
        const open = desk.coinIncidents();
        return { count: open.length, missedEvents: open.reduce((a, i) => a + i.missedEvents, 0) };
      },
      claimPaid: (session, by) => desk.claimPaid(session, by),
      cashBox: () => {
        const lines = desk.cashbox();
        return { totalCents: lines.reduce((sum, l) => sum + l.cents, 0), coins: Object.fromEntries(lines.map((l) => [l.coin, l.count])), since: desk.ledger.lastEmptiedAt() };
      },
      printTester,
      deviceProblem,
      salesChanged: () => {
        desk.refresh();
        fleet.updateStatus();
      },
      reboot: () => process.kill(process.pid, 'SIGTERM'),
    }),
  });

  /** Logs an event and sends it to the fleet (session, devices). */
  const publishEvent = (event: FleetEvent) => {
    log[event.severity === 'error' ? 'error' : event.severity === 'warning' ? 'warn' : 'info']({ event }, event.message);
    fleet.publishEvent(fleetEvent(event));
  };
  // The payment desk's events (coins, credit, change, alarms; it logs them itself) are counted and go to the fleet.
  desk.on('event', (event: PaymentEvent) => {
    counters.paymentEvent(event);
    fleet.publishEvent(fleetEvent({ ...event, data: { ...event.data, ...(event.cents !== undefined ? { cents: event.cents } : {}) } }));
  });

  // Devices tell the machine about faults, so a session never waits on a dead device.
  const onFault = (fault: DeviceFault) => {
    publishEvent({ type: 'device.fault', severity: fault.fatal ? 'error' : 'warning', message: fault.message, device: fault.device, at: new Date().toISOString() });
    sessionMachine.send({ type: 'FAULT', device: fault.device, message: fault.message });
    desk.refresh();
    fleet.updateStatus();
  };
  const onRecovered = (name: string) => {
    publishEvent({ type: 'device.recovered', severity: 'info', message: `${name} recovered`, device: name, at: new Date().toISOString() });
    sessionMachine.send({ type: 'RECOVERED', device: name });
    desk.refresh();
    fleet.updateStatus();
  };
  // Drawing the curtain starts a session when the booth sells one product; with several the
  // customer chooses and confirms on the screen (a session never starts on a product not chosen).
  parts.curtain.on('drawn', () => {
    const products = settings.current().products;
    if (products.length === 1 && sessionMachine.snapshot().step === 'idle') sessionMachine.send({ type: 'START', product: products[0]!.id });
  });

  const voice = createVoicePrompts({ cacheDir: join(config.data.dir, 'voice'), volume: config.ui.volume, enabled: config.ui.voice, logger });
  const screen = createScreenAdapter({
    machine: sessionMachine,
    card: () => (desk.state().card?.available ? desk.state().card : null),
    feeds: { guidance: guidanceFeed, preview: previewFeed, ink: inkFeed },
    priceCents: () => settings.current().payment.priceCents,
    products: () => productsOf(settings.current()),
    // The review shows the very 35x45 photo the board prints (the same crop as render above).
    reviewPhoto: async (file) => {
      if (!validator) throw new Error(`cannot crop the photo: ${visionProblem}`);
      return (await validator.crop(await readFile(file))).print;
    },
    // "No change given" only while the desk has no working hopper to pay change.
    noChange: () => desk.state().noChange,
    coinsLost: () => desk.state().coinsLost,
    defaultLanguage: config.ui.defaultLanguage,
    outOfOrder: () => health.reason(),
    ...(options.ui === false ? {} : { voice }),
    logger,
  });
  desk.on('state', () => screen.refresh());
  // A price changed live shows on the screen and in the fleet status at once.
  settings.subscribe(() => {
    screen.refresh();
    fleet.updateStatus();
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
          gate: controlGateFor(config, store, logger, (event) => fleetLink(fleet, config).publishEvent(event)),
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
            curtain: curtainView(parts.curtain),
            session: sessionMachine,
            coins: coinTester(desk, parts.coinAcceptor, sessionMachine, logger),
            printer: printTester,
            cashBox: cashBox(desk),
            outbox: outboxView(fleet),
            fleet: fleetLink(fleet, config),
            validator: { validate: async (jpeg, signal) => validatorPort(() => validator, () => visionProblem).validate(jpeg, signal) },
            restart: options.restart ?? (() => process.kill(process.pid, 'SIGTERM')),
          }),
        });

  // The customer's files go once their session has ended (session-files.ts, docs/privacy.md).
  const sessionFiles = options.keepSessionFiles
    ? undefined
    : createSessionFiles({
        dataDir: config.data.dir,
        ...(parts.printer instanceof SimulatedPrinter ? { printerDir: parts.printer.dir } : {}),
        currentSession: () => sessionMachine.snapshot().sessionId,
        logger,
      });
  let lastStep = sessionMachine.snapshot().step;
  const unsubscribeSessionFiles = sessionMachine.subscribe((s) => {
    if (s.step === 'idle' && lastStep !== 'idle' && !s.recovering) sessionFiles?.sweep();
    lastStep = s.step;
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
  // Each refund claim becomes a signed refund-due record for the operator (durable on
  // enqueue, idempotent by id; marked reported only after), so a power cut never loses one.
  const reportRefunds = () => {
    try {
      for (const claim of desk.ledger.unreportedClaims()) {
        const product = desk.ledger.session(claim.sessionId)?.product ?? null;
        // The claim (sent again unchanged if it was: ingest is idempotent by id), then, once
        // the operator paid it back, a refund-paid record that closes it in the books.
        fleet.enqueueRecord({
          id: `refund-due-${claim.sessionId}`,
          type: 'refund-due',
          at: claim.createdAt,
          data: { sessionId: claim.sessionId, product, owedCents: claim.claimCents, paidBackCents: claim.paidBackCents, cashCents: claim.cents, claimCode: claim.claimCode, reason: claim.reason, state: 'claim-due' },
        });
        if (claim.state === 'claim-paid') {
          fleet.enqueueRecord({
            id: `refund-paid-${claim.sessionId}`,
            type: 'refund-paid',
            at: claim.closedAt ?? new Date().toISOString(),
            data: { sessionId: claim.sessionId, product, paidCents: claim.claimCents, paidBy: claim.paidBy },
          });
        }
        desk.ledger.markClaimReported(claim.sessionId);
      }
    } catch (err) {
      log.error({ err }, 'refund-due records not queued; retrying every second');
    }
  };
  // Before the printer runs out: an alarm when the prints left fall to printer.lowPrintsWarning
  // (or the printer itself says a consumable is low), once per crossing, again after a refill.
  let consumablesLow = false;
  const watchConsumables = () => {
    const printer = printerTelemetry(parts.printer, settings.current().printer);
    const threshold = settings.current().printer.lowPrintsWarning;
    const lowReasons = (printer.reasons ?? []).filter((r) => /-low(-warning|-report)?$/.test(r));
    const low = (threshold > 0 && printer.printsLeft !== null && printer.printsLeft !== undefined && printer.printsLeft <= threshold) || lowReasons.length > 0;
    if (low && !consumablesLow) {
      publishEvent({
        type: 'printer.consumables-low',
        severity: 'warning',
        device: 'printer',
        at: new Date().toISOString(),
        message: `printer consumables low: ${printer.printsLeft ?? 'unknown'} prints left${lowReasons.length ? ` (${lowReasons.join(', ')})` : ''}; refill before it runs out`,
        data: { printsLeft: printer.printsLeft ?? null, mediaLeft: printer.mediaLeft, supplies: printer.supplies ?? [], reasons: lowReasons },
      });
    }
    consumablesLow = low;
  };
  const healthTick = () => {
    lastTick = Date.now();
    reportPayments();
    reportRefunds();
    watchConsumables();
  };

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
      updates.start();
      void sessionMachine.recover().then(
        (report) => {
          log.info({ report }, 'journal recovery done');
          sessionFiles?.sweep(); // what a power cut left of ended sessions
        },
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
      unsubscribeSessionFiles();
      await control?.stop();
      await ui?.stop();
      sessionMachine.stop();
      await desk.stop();
      reportPayments(); // what the last moments closed, before the outbox's store closes
      reportRefunds();
      updates.stop();
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
