// One process of simulated booths for bench/fleet-load.ts: each booth is a full fleet link
// (createFleet with its own in-memory outbox) sharing one signing key. Protocol on stdio:
// prints {"connected":n} once all are connected, waits for a line "go" on stdin, queues
// `records` records per booth, prints {"drained":ms} when every outbox is empty.
// Usage: fleet-load-worker.ts <url> <firstIndex> <count> <records> <signingKeyFile> <telemetrySeconds>
import { createInterface } from 'node:readline';
import { validateConfig } from '../src/config/load.ts';
import { createFleet, type Fleet } from '../src/fleet/fleet.ts';
import { silentLogger } from '../src/log.ts';
import { openStore } from '../src/store/db.ts';
import { recordingHooks } from '../test/fleet/helpers/booth.ts';

const [url, firstText, countText, recordsText, keyFile, telemetryText] = process.argv.slice(2);
const first = Number(firstText);
const count = Number(countText);
const records = Number(recordsText);
const hooks = recordingHooks().hooks;
const fleets: Fleet[] = [];
for (let i = first; i < first + count; i++) {
  const config = validateConfig({
    booth: { id: `LOAD-${String(i).padStart(5, '0')}` },
    data: { dir: '/tmp' },
    fleet: { url, signingKeyFile: keyFile, telemetrySeconds: Number(telemetryText), inflightWindow: 32 },
  });
  const fleet = createFleet(config, { store: openStore('', { file: ':memory:' }), logger: silentLogger(), hooks, version: 'load', tuning: { ackTimeoutMs: 20_000, backoff: { minMs: 500, maxMs: 10_000 }, keepaliveSeconds: 120 } });
  fleets.push(fleet);
  fleet.start();
  if (i % 100 === 0) await new Promise((r) => setTimeout(r, 20)); // no thundering herd
}
while (fleets.some((f) => !f.connected)) await new Promise((r) => setTimeout(r, 100));
process.stdout.write(JSON.stringify({ connected: fleets.length }) + '\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const t0 = performance.now();
  const data = { paidCents: 800 };
  const photo = Buffer.alloc(2000, 1);
  for (let r = 0; r < records; r++) {
    for (const fleet of fleets) fleet.enqueueRecord({ id: `${fleet.config().booth.id}-r${r}`, type: 'session', data: { ...data, sessionId: `r${r}`, code: `${fleet.config().booth.id}-${r}` }, files: { photo } });
    await new Promise((resolve) => setImmediate(resolve));
  }
  const queuedMs = performance.now() - t0;
  await Promise.all(fleets.map((f) => f.drained()));
  process.stdout.write(JSON.stringify({ queuedMs, drained: performance.now() - t0 }) + '\n');
  break;
}
await Promise.all(fleets.map((f) => f.stop()));
process.exit(0);
