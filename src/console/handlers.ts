// Builds the booth side of the console (ControlHandlers) from the booth's parts. The
// composition root passes what it has; a part the booth does not have yet answers with an
// error saying so, never with an invented value.
import { hostname, networkInterfaces } from 'node:os';
import type { LiveSettings } from '../config/live.ts';
import { configKeys, getPath, parseKeyValue } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import type { CameraDevice } from '../hal/camera/interface.ts';
import type { Device } from '../hal/device.ts';
import type { TouchPanelDevice } from '../hal/touch/interface.ts';
import type { StrokePoint, Stroke } from '../hal/touch/strokes.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import type {
  RefundClaim,
  CoinIncidentView,
  CashCollection,
  CoinEvent,
  ControlHandlers,
  Counters,
  CurtainState,
  LightState,
  OutboxFlushResult,
  OutboxState,
  PrintTestResult,
  SalesState,
} from './protocol.ts';
import type { SalesSwitch } from './sales.ts';
import { cpuTemperature, diskSpaceMb } from '../hal/host.ts';

export interface LightingControl {
  set(change: { on?: boolean; level?: number }): Promise<LightState>;
}
export interface CurtainView {
  state(): CurtainState;
  /** Calls `listener` on each debounced change; returns the unsubscribe. */
  watch(listener: (state: CurtainState) => void): () => void;
}
export interface CoinTester {
  /** Enables the acceptor for a test; every coin/reject/alarm to `emit`; `stop` inhibits it. */
  startTest(emit: (event: CoinEvent) => void): Promise<{ enabled?: boolean; detail: string; stop(): Promise<void> }>;
}
export interface PrintTester {
  printTest(): Promise<PrintTestResult>;
}
export interface CashBox {
  counters(): Omit<Counters, 'sessions'>;
  /** Journals the collection and resets the counters, in one transaction. */
  collect(): CashCollection;
  /** Refund claims still owed to customers. */
  claims(): RefundClaim[];
  /** Marks the claim of a session (id or prefix) paid by `by`; throws when none or several are due. */
  claimPaid(session: string, by: string): RefundClaim;
  /** Money incidents (acceptor events lost) still open. */
  incidents(): CoinIncidentView[];
  /** Closes incident `id` (the cash box checked, the customer refunded); throws when it is not open. */
  closeIncident(id: number, by: string): CoinIncidentView;
}
export interface OutboxView {
  state(): OutboxState;
  flush(): Promise<OutboxFlushResult>;
}
export interface FleetLink {
  broker(): { configured: boolean; connected: boolean; url: string | null; detail: string | null };
  /** Sends an event on `events`; false when it could only be queued/dropped (offline). */
  publishEvent(event: { type: string; severity: 'info' | 'warning' | 'error'; message: string; at: string; data?: Record<string, unknown> }): boolean;
}
export interface SessionView {
  snapshot(): { step: string; sessionId: string | null; blocked: { device: string; message: string } | null };
}
export interface PhotoValidator {
  validate(jpeg: Buffer, signal: AbortSignal): Promise<{ compliant: boolean; checks: { id: string; pass: boolean; value?: unknown; limit?: unknown; hint?: string }[] }>;
}

export interface BoothParts {
  config: Config;
  store: Store;
  devices: readonly Device[];
  sales: SalesSwitch;
  logger: Logger;
  version: string;
  /** When the booth started (ms since epoch). */
  startedAt: number;
  /** The settings that can change while the booth runs: `config get/set` go through them. */
  settings?: LiveSettings;
  camera?: CameraDevice;
  touch?: TouchPanelDevice;
  validator?: PhotoValidator;
  lighting?: LightingControl;
  curtain?: CurtainView;
  coins?: CoinTester;
  printer?: PrintTester;
  cashBox?: CashBox;
  outbox?: OutboxView;
  fleet?: FleetLink;
  session?: SessionView;
  /** Ends the process for systemd to restart it (after the answer is sent). */
  restart?: () => void;
}

const missing = (what: string): never => {
  throw new Error(`${what} is not available in this booth build`);
};

function tableExists(store: Store, name: string): boolean {
  return store.db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?").get(name)!.n > 0;
}

function addresses(): { name: string; addresses: string[]; mac: string | null }[] {
  return Object.entries(networkInterfaces()).map(([name, list]) => ({
    name,
    addresses: (list ?? []).map((a) => `${a.address}/${a.netmask.includes(':') ? a.cidr?.split('/')[1] ?? '' : a.cidr?.split('/')[1] ?? ''}`),
    mac: list?.find((a) => a.mac && a.mac !== '00:00:00:00:00:00')?.mac ?? null,
  }));
}

export function createControlHandlers(parts: BoothParts): ControlHandlers {
  const { config, store } = parts;
  const noBroker = { configured: Boolean(config.fleet.url), connected: false, url: config.fleet.url ?? null, detail: config.fleet.url ? 'fleet link not running in this build' : null };
  const broker = () => parts.fleet?.broker() ?? noBroker;
  const deviceRows = () => parts.devices.map((d) => ({ name: d.name, driver: d.driver, simulated: d.simulated, ...d.status() }));
  const sessionInfo = () => {
    const s = parts.session?.snapshot() ?? { step: 'idle', sessionId: null, blocked: null };
    return { step: s.step, sessionId: s.sessionId, inProgress: s.step !== 'idle', blocked: s.blocked };
  };
  const outbox = (): OutboxState => parts.outbox?.state() ?? missing('the fleet outbox');
  const sessionCounts = () => {
    if (!tableExists(store, 'flows_sessions')) return { total: 0, completed: 0, other: 0 };
    const row = store.db
      .prepare<[], { total: number; completed: number | null }>("SELECT COUNT(*) AS total, SUM(outcome = 'completed') AS completed FROM flows_sessions")
      .get()!;
    return { total: row.total, completed: row.completed ?? 0, other: row.total - (row.completed ?? 0) };
  };
  const settings = parts.settings;

  return {
    async status() {
      let outboxState: OutboxState;
      try {
        outboxState = outbox();
      } catch {
        outboxState = { depth: 0, oldest: null };
      }
      return {
        booth: { id: config.booth.id, name: config.booth.name, version: parts.version, uptimeSeconds: (Date.now() - parts.startedAt) / 1000, simulated: config.hal.simulated },
        session: sessionInfo(),
        sales: parts.sales.state(),
        devices: deviceRows(),
        network: { addresses: addresses().filter((i) => i.name !== 'lo').flatMap((i) => i.addresses) },
        broker: broker(),
        outbox: outboxState,
        disk: { dir: config.data.dir, freeMb: diskSpaceMb(config.data.dir)?.freeMb ?? 0, minFreeMb: config.data.minFreeMb },
        temperatureC: cpuTemperature(),
      };
    },
    async devices() {
      return deviceRows();
    },
    async session() {
      return sessionInfo();
    },
    async light(change) {
      return (parts.lighting ?? missing('the lighting ring')).set(change);
    },
    async curtain() {
      return (parts.curtain ?? missing('the curtain sensor')).state();
    },
    async watchCurtain(emit) {
      const curtain = parts.curtain ?? missing('the curtain sensor');
      const unwatch = curtain.watch(emit);
      return { info: curtain.state(), stop: unwatch };
    },
    async coinTest(emit) {
      const started = await (parts.coins ?? missing('the coin acceptor')).startTest(emit);
      return { info: { enabled: started.enabled ?? true, detail: started.detail }, stop: () => started.stop() };
    },
    async touchTest(emit) {
      const touch = parts.touch ?? missing('the touch panel');
      if (touch.capturing) throw new Error('the touch panel is taking a signature');
      const onPoint = (stroke: number, p: StrokePoint) => emit({ kind: 'point', stroke, x: p.x, y: p.y });
      const onStroke = (s: Stroke) => emit({ kind: 'stroke', stroke: s.id, points: s.points.length });
      const onCancel = (stroke: number, reason: string) => emit({ kind: 'cancel', stroke, reason });
      touch.on('point', onPoint);
      touch.on('stroke', onStroke);
      touch.on('cancel', onCancel);
      touch.begin();
      const size = { width: config.touch.width, height: config.touch.height };
      return {
        info: size,
        stop: () => {
          touch.end();
          touch.off('point' as 'fault', onPoint as never);
          touch.off('stroke' as 'fault', onStroke as never);
          touch.off('cancel' as 'fault', onCancel as never);
        },
      };
    },
    async cameraTest() {
      const camera = parts.camera ?? missing('the camera');
      const still = await camera.capture();
      // The still is whoever stands in the booth: checked in memory, never written to disk.
      const file = null;
      if (!parts.validator) {
        return { width: still.width, height: still.height, bytes: still.jpeg.length, file, validation: null, validationError: 'no photo validator in this booth build' };
      }
      try {
        const validation = await parts.validator.validate(still.jpeg, AbortSignal.timeout(60_000));
        return { width: still.width, height: still.height, bytes: still.jpeg.length, file, validation, validationError: null };
      } catch (err) {
        return { width: still.width, height: still.height, bytes: still.jpeg.length, file, validation: null, validationError: `validation failed: ${(err as Error).message}` };
      }
    },
    async printTest() {
      return (parts.printer ?? missing('the printer')).printTest();
    },
    async counters() {
      const cash = (parts.cashBox ?? missing('the cash box counters (payment)')).counters();
      return { sessions: sessionCounts(), ...cash };
    },
    async cashCollect() {
      const collection = (parts.cashBox ?? missing('the cash box counters (payment)')).collect();
      parts.fleet?.publishEvent({ type: 'cash.collected', severity: 'info', message: `cash collected: ${collection.totalCents} cents`, at: collection.at, data: { ...collection } });
      return collection;
    },
    async refunds() {
      return (parts.cashBox ?? missing('the payment ledger')).claims();
    },
    async refundPaid({ session }) {
      // The console audit journals the command line (with the session id) before this runs.
      return (parts.cashBox ?? missing('the payment ledger')).claimPaid(session, 'console technician');
    },
    async coinIncidents() {
      return (parts.cashBox ?? missing('the payment ledger')).incidents();
    },
    async coinIncidentClosed({ id }) {
      return (parts.cashBox ?? missing('the payment ledger')).closeIncident(id, 'console technician');
    },
    async journalTail({ limit }) {
      const lines: { at: string; source: string; text: string; order: number }[] = [];
      if (tableExists(store, 'flows_journal')) {
        const rows = store.db.prepare<[number], { seq: number; session_id: string; at: string; type: string; data: string }>('SELECT * FROM flows_journal ORDER BY seq DESC LIMIT ?').all(limit);
        for (const r of rows) {
          let detail: string;
          try {
            const { type: _type, ...rest } = JSON.parse(r.data) as Record<string, unknown>;
            // A code (e-photo or refund claim) is the customer's: the technician sees that one was issued, not which.
            const hidden = (k: string, v: unknown) => (k === 'code' || k === 'claimCode') && typeof v === 'string' ? '(hidden)' : v;
            detail = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? hidden(k, v) : JSON.stringify(v, hidden)}`).join(' ');
          } catch {
            detail = '(damaged entry)';
          }
          lines.push({ at: r.at, source: 'session', text: `${r.session_id.slice(0, 8)} ${r.type} ${detail}`.slice(0, 200), order: r.seq });
        }
      }
      if (tableExists(store, 'console_audit')) {
        const rows = store.db.prepare<[number], { id: number; at: string; port: string; kind: string; command: string | null; outcome: string | null; detail: string | null }>('SELECT * FROM console_audit ORDER BY id DESC LIMIT ?').all(limit);
        for (const r of rows) {
          lines.push({ at: r.at, source: 'console', text: [r.kind, r.command ? `"${r.command}"` : '', r.outcome ?? '', r.detail ?? ''].filter(Boolean).join(' ').slice(0, 200), order: r.id });
        }
      }
      return lines
        .sort((a, b) => a.at.localeCompare(b.at) || a.order - b.order)
        .slice(-limit)
        .map(({ at, source, text }) => ({ at, source, text }));
    },
    async outbox() {
      return outbox();
    },
    async outboxFlush() {
      return (parts.outbox ?? missing('the fleet outbox')).flush();
    },
    async configGet({ key }) {
      const keys = configKeys().filter((k) => key === undefined || k.path === key);
      if (!keys.length) throw new Error(`unknown config key "${key}"`);
      const inForce = settings?.current() ?? config;
      const pending = settings?.pending() ?? {};
      return keys.map((k) => ({
        key: k.path,
        value: k.path === 'console.pinHash' ? (getPath(inForce, k.path) ? '(set)' : undefined) : getPath(inForce, k.path),
        description: k.description,
        ...(k.path in pending ? { pending: pending[k.path] } : {}),
      }));
    },
    async configSet({ key, value }) {
      const spec = configKeys().find((k) => k.path === key);
      if (!spec) throw new Error(`unknown config key "${key}"`);
      if (key === 'console.pinHash' || key === 'console.pinFile') throw new Error('the PIN is set with `cabine console --set-pin`');
      if (!settings) throw new Error('settings cannot be changed in this booth build');
      const report = settings.apply([{ key, value: parseKeyValue(spec, value) }], 'console config set');
      const refused = report.refused[0];
      if (refused) throw new Error(`${key}: ${refused.reason}`);
      const done = report.applied[0] ?? report.atRestart[0]!;
      return { key, value: done.value, applied: report.applied.length > 0 ? 'live' : 'restart', persisted: `saved in ${settings.overlayFile}` };
    },
    async network() {
      return { hostname: hostname(), interfaces: addresses(), broker: broker() };
    },
    async restart() {
      if (!parts.restart) return { accepted: false, message: 'this booth cannot restart itself (no supervisor)' };
      const restart = parts.restart;
      setTimeout(restart, 200).unref();
      return { accepted: true, message: 'the booth process ends now and its supervisor starts it again' };
    },
    async sales({ enabled, reason }): Promise<SalesState> {
      if (enabled === undefined) return parts.sales.state();
      const state = parts.sales.set(enabled, reason ?? (enabled ? null : 'technician: sales off'));
      parts.fleet?.publishEvent({ type: enabled ? 'sales.on' : 'sales.off', severity: enabled ? 'info' : 'warning', message: `sales ${enabled ? 'on' : 'off'} from the console${state.reason ? `: ${state.reason}` : ''}`, at: new Date().toISOString() });
      return state;
    },
  };
}
