// Choosing the hardware camera driver (`camera.driver`): `libcamera` is the addon, `rpicam`
// the camera apps, `auto` the addon when it sees a camera, else the apps when installed,
// else the addon (which then reports itself absent with the reason).
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import type { CameraDevice } from './interface.ts';
import { LibcameraCamera } from './libcamera.ts';
import { loadLibcameraAddon } from './libcamera-addon.ts';
import { RpicamCamera, findRpicamApps } from './rpicam.ts';

export function createRealCamera(config: Config['camera'], logger: Logger): CameraDevice {
  const apps = findRpicamApps();
  if (config.driver === 'rpicam' && apps) return new RpicamCamera(config, apps, logger);
  if (config.driver === 'auto' && apps) {
    const load = loadLibcameraAddon();
    const seen = load.addon ? safeCount(() => load.addon.listCameras().length) : 0;
    if (seen === 0) return new RpicamCamera(config, apps, logger);
  }
  return new LibcameraCamera(config, logger);
}

function safeCount(count: () => number): number {
  try {
    return count();
  } catch {
    return 0;
  }
}
