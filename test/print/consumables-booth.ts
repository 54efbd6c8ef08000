// Test support of the consumables suites: a booth on a real broker (Mosquitto) with the
// printer settings of the low-supply alarm, and an operator listening to its events.
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOperator } from '../../src/fleet/operator/client.ts';
import { eventSchema, type FleetEvent } from '../../src/fleet/schemas.ts';
import { topics } from '../../src/fleet/topics.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from '../fleet/helpers/broker.ts';
import { startFleetBooth } from '../booth/fleet-booth.ts';

/** The booth `id` (a full ribbon makes 400 prints, the alarm at 30 left), its fleet events, and the operator's connection. */
export async function consumablesBooth(t: Test, id: string, overrides: Record<string, unknown> = {}) {
  const broker = await startBroker();
  t.teardown(() => broker.stop());
  const op = broker.operator();
  const conn = await connectOperator({ url: broker.url, caFile: broker.ca!.certFile, certFile: op.certFile, keyFile: op.keyFile }, silentLogger(), 'test');
  t.teardown(() => conn.stop());
  const events: FleetEvent[] = [];
  conn.subscribe('test-events', topics.events(id), 1, (_topic, body) => events.push(eventSchema.parse(JSON.parse(body.toString('utf8')))));
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-consumables-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const booth = await startFleetBooth(broker, id, dataDir, { 'printer.pollSeconds': 1, 'printer.printsPerSupply': 400, 'printer.lowPrintsWarning': 30, ...overrides });
  t.teardown(() => booth.stop());
  return { booth, conn, events };
}
