// The camera contract (./camera.ts) on the simulator, on the libcamera driver over a simulated
// addon (the native addon's interface) and on the rpicam driver over stand-in camera apps.
import t from 'tap';
import { loadConfig } from '../../../src/config/load.ts';
import { SimulatedCamera, defaultPhotoSource } from '../../../src/hal/camera/index.ts';
import { LibcameraCamera } from '../../../src/hal/camera/libcamera.ts';
import { RpicamCamera } from '../../../src/hal/camera/rpicam.ts';
import { silentLogger } from '../../../src/log.ts';
import { simulatedAddon } from '../helpers/libcamera-addon.ts';
import { STILL_SIZE, installRpicamApps } from '../helpers/rpicam-apps.ts';
import { cameraContract } from './camera.ts';

const defaults = loadConfig({ env: {} }).camera;

cameraContract(t, 'simulated camera', async (_t, still) => {
  const camera = new SimulatedCamera({ source: defaultPhotoSource(), previewFps: defaults.previewFps, stillWidth: still.width, stillHeight: still.height, jpegQuality: defaults.jpegQuality }, silentLogger());
  return { camera, breakIt: () => camera.simulateFailure('sensor timeout'), repair: () => camera.simulateFailure(null) };
});

cameraContract(t, 'libcamera driver over a simulated addon', async (_t, still) => {
  const addon = simulatedAddon([]);
  const camera = new LibcameraCamera({ ...defaults, stillWidth: still.width, stillHeight: still.height }, silentLogger(), addon.load);
  return {
    camera,
    breakIt: () => (addon.log.then = 'error'),
    repair: () => (addon.log.then = 'ok'),
  };
});

const rpicam = await installRpicamApps(t);
cameraContract(t, 'rpicam driver over stand-in camera apps', async (test, still) => {
  test.same(still, STILL_SIZE, 'the stand-in rpicam-still writes stills of the contract size');
  rpicam.reset();
  const camera = new RpicamCamera({ ...defaults, stillWidth: still.width, stillHeight: still.height }, rpicam.apps, silentLogger(), { probeMs: 200 });
  return {
    camera,
    breakIt: () => rpicam.set('still-failures', Number.MAX_SAFE_INTEGER),
    repair: () => rpicam.set('still-failures', 0),
  };
});
