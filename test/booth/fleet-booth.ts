// A whole simulated booth on a test Mosquitto: built, started, linked and selling.
import { buildBooth, type Booth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import type { TestBroker } from '../fleet/helpers/broker.ts';
import { until } from '../fleet/helpers/booth.ts';

export async function startFleetBooth(broker: TestBroker, id: string, dataDir: string, overrides: Record<string, unknown> = {}): Promise<Booth> {
  const identity = broker.identity(id);
  const config = loadConfig({
    env: {},
    overrides: {
      'booth.id': id,
      'hal.simulated': true,
      'data.dir': dataDir,
      'fleet.url': broker.url,
      'fleet.caFile': broker.ca!.certFile,
      'fleet.certFile': identity.certFile,
      'fleet.keyFile': identity.keyFile,
      ...overrides,
    },
  });
  const booth = await buildBooth(config, silentLogger(), { ui: false, control: false });
  await booth.start();
  await until('the fleet link', () => booth.fleet.listening);
  await until('the booth sells', () => booth.unavailable() === null, 60_000);
  return booth;
}
