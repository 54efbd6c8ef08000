// Building the six devices of the booth from config: the only place drivers are created.
// Each device is real or simulated as config says; a real driver on a machine without the
// hardware ends in an `absent`/`fault` state rather than failing the whole booth.
import type { Config } from '../config/schema.ts';
import { createCamera, type CameraDevice } from '../hal/camera/index.ts';
import { createRealCamera } from '../hal/camera/real.ts';
import type { Device } from '../hal/device.ts';
import type { Logger } from '../log.ts';

export interface BoothDevices {
  all: Device[];
  camera: CameraDevice;
  close(): Promise<void>;
}

export async function createDevices(config: Config, logger: Logger): Promise<BoothDevices> {
  const simulated = config.hal.simulated;
  const camera = createCamera(config.camera, { simulated, logger, real: createRealCamera });
  const all: Device[] = [camera];
  return {
    all,
    camera,
    async close() {
      for (const device of [...all].reverse()) await device.stop().catch(() => undefined);
    },
  };
}
