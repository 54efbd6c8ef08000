// What the booth answers to its fleet (FleetHooks): status, counters, and the commands and
// remote config, which go through the live settings like every other change.
import type { LiveSettings } from '../config/live.ts';
import { productsOf, withPrice } from '../config/products.ts';
import type { SalesSwitch } from '../console/sales.ts';
import type { PrintTester } from '../console/handlers.ts';
import type { FleetHooks, TelemetrySnapshot } from '../fleet/index.ts';
import { printsLeft, type PrinterState } from '../hal/printer/index.ts';
import type { SessionMachine } from '../flows/session.ts';
import type { Device } from '../hal/device.ts';
import type { UpdateAgent } from '../update/agent.ts';
import type { BoothCounters } from './counters.ts';

export interface FleetHookParts {
  settings: LiveSettings;
  sales: SalesSwitch;
  machine: Pick<SessionMachine, 'snapshot'>;
  devices: readonly Device[];
  printer: Device;
  counters: BoothCounters;
  /** Refund claims owed to customers (failed deliveries). */
  refundsOwed?: () => { count: number; cents: number };
  /** Money incidents not closed (acceptor events lost). */
  coinIncidents?: () => { count: number; missedEvents: number };
  /** The cash box fill since the last collection. */
  cashBox?: () => { totalCents: number; coins: Record<string, number>; since: string | null };
  /** Marks a refund claim paid (payment desk). */
  claimPaid?: (session: string, by: string) => { sessionId: string; claimCents: number };
  printTester: PrintTester;
  /** Why a device stops the booth, or null. */
  deviceProblem(device: Device): string | null;
  /** After sales changed: the desk re-decides its coins, the fleet status is republished. */
  salesChanged(): void;
  /** Ends the process for its supervisor to start it again. */
  reboot(): void;
  /** Fleet updates: downloads, stages, reports (src/update/agent.ts). */
  updates?: Pick<UpdateAgent, 'request' | 'report'>;
}

/** The printer's consumables as telemetry: sheets, prints left, each supply's level. */
export function printerTelemetry(printer: Device & { lastState?(): PrinterState | undefined }, config: { printsPerSupply: number }): TelemetrySnapshot['printer'] {
  const state = printer.lastState?.();
  const consumables = state?.consumables ?? [];
  const media = consumables.filter((c) => c.kind === 'media' && c.sheets !== null);
  return {
    state: printer.status().health,
    mediaLeft: media.length ? media.reduce((sum, c) => sum + (c.sheets ?? 0), 0) : null,
    printsLeft: printsLeft(consumables, config.printsPerSupply),
    supplies: consumables.filter((c) => c.kind === 'supply').slice(0, 16).map((c) => ({ name: c.name.slice(0, 80), percent: c.percent })),
    reasons: (state?.reasons ?? []).slice(0, 32).map((r) => r.slice(0, 80)),
  };
}

export function createFleetHooks(parts: FleetHookParts): FleetHooks {
  const { settings, sales, machine, updates } = parts;
  return {
    status: () => ({
      sales: { enabled: sales.state().enabled, ...(sales.state().reason ? { reason: sales.state().reason ?? '' } : {}) },
      step: machine.snapshot().step,
      priceCents: settings.current().payment.priceCents,
      products: productsOf(settings.current()).map((p) => ({ id: p.id, delivers: p.delivers, priceCents: p.priceCents })),
      devices: parts.devices.map((d) => {
        const fault = parts.deviceProblem(d);
        return { name: d.name, ok: d.status().health === 'ok', simulated: d.simulated, ...(fault ? { fault: fault.slice(0, 200) } : {}) };
      }),
    }),
    telemetry: () => ({
      ...parts.counters.snapshot(),
      printer: printerTelemetry(parts.printer, settings.current().printer),
      ...(parts.cashBox ? { cashBox: parts.cashBox() } : {}),
      ...(parts.refundsOwed ? { refundsOwed: parts.refundsOwed() } : {}),
      ...(parts.coinIncidents ? { coinIncidents: parts.coinIncidents() } : {}),
    }),
    setPrice: (cents, product) => {
      // A product's price is a change of the catalogue (one live setting, validated whole).
      const change = product ? { key: 'products', value: withPrice(settings.current().products, product, cents) } : { key: 'payment.priceCents', value: cents };
      const report = settings.apply([change], 'fleet set-price');
      if (report.refused.length > 0) throw new Error(report.refused.map((r) => r.reason).join('; '));
    },
    setSales: (enabled, reason) => {
      sales.set(enabled, reason ?? null);
      parts.salesChanged();
    },
    refundPaid: (session, by) => {
      if (!parts.claimPaid) throw new Error('this booth has no payment ledger');
      const claim = parts.claimPaid(session, by);
      return { sessionId: claim.sessionId, paidCents: claim.claimCents };
    },
    printTest: () => {
      const step = machine.snapshot().step;
      if (step !== 'idle') throw new Error(`refused: a customer session is in progress (step ${step}); a test page would disturb it`);
      return parts.printTester.printTest();
    },
    ...(updates ? { update: (request) => updates.request(request), updateReport: () => updates.report() } : {}),
    reboot: () => {
      setTimeout(parts.reboot, 500);
    },
    applyConfig: (changes) => {
      const report = settings.apply(changes, 'fleet config/desired');
      return { applied: report.applied.map((c) => c.key), atRestart: report.atRestart.map((c) => c.key), refused: report.refused };
    },
  };
}
