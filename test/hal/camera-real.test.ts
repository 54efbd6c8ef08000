// The hardware camera drivers on a machine without a camera: they end absent, with the
// reason, and refuse to capture; the rpicam-apps flags follow the controls.
import t from 'tap';
import { loadConfig } from '../../src/config/load.ts';
import { DEFAULT_CONTROLS } from '../../src/hal/camera/interface.ts';
import { LibcameraCamera } from '../../src/hal/camera/libcamera.ts';
import { loadLibcameraAddon } from '../../src/hal/camera/libcamera-addon.ts';
import { createRealCamera } from '../../src/hal/camera/real.ts';
import { controlArgs } from '../../src/hal/camera/rpicam.ts';
import { silentLogger } from '../../src/log.ts';

const config = loadConfig({ env: {} }).camera;

t.test('libcamera driver without a camera: absent with the reason, no capture', async (t) => {
  const camera = new LibcameraCamera(config, silentLogger());
  const faults: string[] = [];
  camera.on('fault', (f) => faults.push(f.message));
  await camera.start();
  const status = camera.status();
  t.equal(status.health, 'absent');
  t.match(status.detail, loadLibcameraAddon().addon ? /no camera detected by libcamera/ : /addon not available/);
  t.equal(faults.length, 1, 'one fault event');
  await t.rejects(camera.capture(), /camera unavailable/);
  await camera.stop();
});

t.test('the real-camera factory picks a driver and never throws without hardware', async (t) => {
  const camera = createRealCamera({ ...config, driver: 'auto' }, silentLogger());
  await camera.start();
  t.not(camera.status().health, 'ok');
  t.equal(camera.simulated, false);
  await camera.stop();
});

t.test('rpicam flags follow the controls', async (t) => {
  t.same(controlArgs(DEFAULT_CONTROLS), []);
  t.same(controlArgs({ ...DEFAULT_CONTROLS, exposureValue: 1.5 }), ['--ev', '1.5']);
  t.same(controlArgs({ ...DEFAULT_CONTROLS, autoExposure: false, exposureTimeUs: 8000, analogueGain: 2 }), ['--shutter', '8000', '--gain', '2']);
  t.same(controlArgs({ ...DEFAULT_CONTROLS, autoWhiteBalance: false, colourGains: [2.1, 1.4] }), ['--awbgains', '2.1,1.4']);
});
