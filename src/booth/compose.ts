// The composition root: builds the whole booth from a validated Config. Nothing else in
// the product creates drivers, stores or fleet connections.
import { statfsSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import type { Device, DeviceFault } from '../hal/device.ts';
import type { Logger } from '../log.ts';
import { openStore, type Store } from '../store/db.ts';
import { createDevices, type BoothDevices } from './devices.ts';

export interface Booth {
  readonly config: Config;
  readonly store: Store;
  readonly devices: readonly Device[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** When the main loop last ran (ms since epoch), for the watchdog and `status`. */
  lastTick(): number;
}

export function freeDiskMb(dir: string): number {
  const stats = statfsSync(dir);
  return Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
}

export async function buildBooth(config: Config, logger: Logger): Promise<Booth> {
  const store = openStore(config.data.dir);
  let devices: BoothDevices;
  try {
    devices = await createDevices(config, logger);
  } catch (err) {
    store.close();
    throw err;
  }
  const log = logger.child({ module: 'booth' });
  // The main loop: a periodic health tick. It is also what keeps the process alive and,
  // on a board, what feeds the systemd watchdog (only while it keeps running).
  let tick: NodeJS.Timeout | undefined;
  let lastTick = 0;
  const healthTick = () => {
    lastTick = Date.now();
  };
  const onFault = (fault: DeviceFault) => log.warn({ fault }, `device fault: ${fault.device}: ${fault.message}`);
  const onRecovered = (name: string) => log.info({ device: name }, `device recovered: ${name}`);

  return {
    config,
    store,
    devices: devices.all,
    async start() {
      for (const device of devices.all) {
        device.on('fault', onFault);
        device.on('recovered', onRecovered);
        await device.start();
      }
      healthTick();
      tick = setInterval(healthTick, 1000);
    },
    lastTick: () => lastTick,
    async stop() {
      if (tick) clearInterval(tick);
      await devices.close();
      store.close();
    },
  };
}
