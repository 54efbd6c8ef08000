// Test booths and an ingest wired to a TestBroker.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../../../src/config/load.ts';
import type { Config } from '../../../src/config/schema.ts';
import { createFleet, type Fleet } from '../../../src/fleet/fleet.ts';
import type { ConfigApplyResult, FleetHooks } from '../../../src/fleet/hooks.ts';
import { connectOperator } from '../../../src/fleet/operator/client.ts';
import { openFleetDb, type FleetDb } from '../../../src/fleet/operator/db.ts';
import { sqliteFleetStore } from '../../../src/fleet/operator/store-sqlite.ts';
import type { FleetStore } from '../../../src/fleet/operator/store-types.ts';
import { Ingest } from '../../../src/fleet/operator/ingest.ts';
import type { FleetConnection } from '../../../src/fleet/connection.ts';
import { createLogger, silentLogger } from '../../../src/log.ts';
import { openStore, type Store } from '../../../src/store/db.ts';
import type { TestBroker } from './broker.ts';

export interface HookCalls {
  price: number[];
  sales: { enabled: boolean; reason?: string | undefined }[];
  printTests: number;
  reboots: string[];
  applied: string[][];
}

export function recordingHooks(overrides: Partial<FleetHooks> = {}): { hooks: FleetHooks; calls: HookCalls; state: { priceCents: number; sales: boolean } } {
  const calls: HookCalls = { price: [], sales: [], printTests: 0, reboots: [], applied: [] };
  const state = { priceCents: 800, sales: true };
  const hooks: FleetHooks = {
    status: () => ({ sales: { enabled: state.sales }, priceCents: state.priceCents, step: 'idle', devices: [{ name: 'printer', ok: true }] }),
    telemetry: () => ({ sessions: { started: 3, completed: 2, cancelled: 1 }, revenueCents: 1600, coins: { '200': 8 }, retakes: { 'face.height': 1 }, printer: { state: 'idle', mediaLeft: 120 } }),
    setPrice: (cents) => {
      calls.price.push(cents);
      state.priceCents = cents;
    },
    setSales: (enabled, reason) => {
      calls.sales.push({ enabled, reason });
      state.sales = enabled;
    },
    refundPaid: (session) => {
      throw new Error(`no refund claim due for session ${session}`);
    },
    printTest: () => {
      calls.printTests++;
      return { jobId: `job-${calls.printTests}` };
    },
    reboot: (reason) => {
      calls.reboots.push(reason ?? '');
    },
    applyConfig: (changes): ConfigApplyResult => {
      calls.applied.push(changes.map((c) => c.key));
      // Live-safe keys in this test booth: payment and session; the rest needs a restart.
      const live = changes.filter((c) => /^(payment|session)\./.test(c.key));
      return { applied: live.map((c) => c.key), refused: changes.filter((c) => !live.includes(c)).map((c) => ({ key: c.key, reason: 'needs a restart' })) };
    },
    ...overrides,
  };
  return { hooks, calls, state };
}

export interface TestBooth {
  id: string;
  dir: string;
  config: Config;
  store: Store;
  fleet: Fleet;
  calls: HookCalls;
  close(): Promise<void>;
}

export function boothConfig(broker: TestBroker | undefined, id: string, dir: string, extra: Record<string, unknown> = {}): Config {
  const tls = broker?.ca ? broker.identity(id) : undefined;
  return validateConfig({
    booth: { id },
    data: { dir },
    fleet: {
      ...(broker ? { url: broker.url } : {}),
      ...(tls && broker?.ca ? { caFile: broker.ca.certFile, certFile: tls.certFile, keyFile: tls.keyFile } : {}),
      ...extra,
    },
  });
}

export function makeBooth(broker: TestBroker | undefined, id: string, options: { dir?: string; hooks?: Partial<FleetHooks>; fleet?: Record<string, unknown>; ackTimeoutMs?: number; version?: string } = {}): TestBooth {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `cabine-booth-${id}-`));
  const config = boothConfig(broker, id, dir, options.fleet);
  const store = openStore(dir);
  const { hooks, calls } = recordingHooks(options.hooks);
  const fleet = createFleet(config, {
    store,
    logger: process.env.FLEET_TEST_LOG ? createLogger({ level: 'debug', pretty: false }) : silentLogger(),
    hooks,
    version: options.version ?? '0.1.0-test',
    tuning: { ackTimeoutMs: options.ackTimeoutMs ?? 2000, maxAckTimeoutMs: 4000, backoff: { minMs: 100, maxMs: 1000 } },
  });
  return {
    id,
    dir,
    config,
    store,
    fleet,
    calls,
    async close() {
      await fleet.stop();
      store.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestIngest {
  db: FleetDb | FleetStore;
  /** What the ingest writes to (the SQLite FleetDb wrapped, or the store given). */
  store: FleetStore;
  ingest: Ingest;
  conn: FleetConnection;
  close(): Promise<void>;
}

export async function startIngest(broker: TestBroker, db: FleetDb | FleetStore): Promise<TestIngest> {
  const store = 'kind' in db ? db : sqliteFleetStore(db);
  const op = broker.ca ? broker.operator() : undefined;
  const conn = await connectOperator({ url: broker.url, caFile: broker.ca?.certFile, certFile: op?.certFile, keyFile: op?.keyFile }, process.env.FLEET_TEST_LOG ? createLogger({ level: 'debug', pretty: false }).child({ side: 'ingest' }) : silentLogger(), 'ingest');
  // FLEET_TEST_INGEST_WORKERS=N runs every test's ingest with N verification worker threads
  const workers = Number(process.env.FLEET_TEST_INGEST_WORKERS ?? 0);
  const ingest = new Ingest(store, conn, process.env.FLEET_TEST_LOG ? createLogger({ level: 'debug', pretty: false }).child({ side: 'ingest' }) : silentLogger(), { workers });
  ingest.start();
  // the SUBSCRIBE is on its way; a round trip makes sure it is in place
  await conn.publish('cabine/v1/_probe/none', '', { qos: 1 }).catch(() => undefined);
  return {
    db,
    store,
    ingest,
    conn,
    async close() {
      await ingest.stop();
      await conn.stop();
    },
  };
}

export function tempFleetDb(): { db: FleetDb; dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-fleetdb-'));
  const db = openFleetDb(dir);
  return { db, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function until(what: string, predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
