// A booth in its own process, for the kill tests: queues `count` records (idempotently, so a
// restarted booth queues only what was never queued), starts the fleet and says "drained"
// once the outbox is empty. Usage: booth-child.ts <config.json> <count> <photoBytes>
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { validateConfig } from '../../../src/config/load.ts';
import { createFleet } from '../../../src/fleet/fleet.ts';
import { silentLogger } from '../../../src/log.ts';
import { openStore } from '../../../src/store/db.ts';
import { recordingHooks } from './booth.ts';
import { testCode } from './codes.ts';

const [configFile, countText, photoText] = process.argv.slice(2);
const config = validateConfig(JSON.parse(readFileSync(configFile!, 'utf8')));
const store = openStore(config.data.dir);
const fleet = createFleet(config, {
  store,
  logger: silentLogger(),
  hooks: recordingHooks().hooks,
  version: 'child',
  tuning: { ackTimeoutMs: 2000, maxAckTimeoutMs: 4000, backoff: { minMs: 100, maxMs: 1000 } },
});
const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), randomBytes(Number(photoText ?? 1000))]);
fleet.start();
for (let i = 0; i < Number(countText); i++) {
  fleet.enqueueRecord({ id: `kill-${i}`, type: 'session', data: { sessionId: `k${i}`, code: testCode(i) }, files: { photo } });
  if (i % 50 === 0) await new Promise((r) => setImmediate(r));
}
process.stdout.write('queued\n');
await fleet.drained();
process.stdout.write('drained\n');
await fleet.stop();
store.close();
