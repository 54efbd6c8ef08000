// The one way to be absent (src/hal/absent.ts): a real booth without the hardware gets, for
// every device, an object whose health is `absent` with the reason and whose operations are
// refused with DeviceAbsentError; required devices raise a fatal fault, the optional card
// reader is absent quietly; none is undefined.
import t, { type Test } from 'tap';
import { DeviceAbsentError, isAbsent } from '../../src/hal/absent.ts';
import { createCamera } from '../../src/hal/camera/index.ts';
import { createCardReader } from '../../src/hal/card-reader/index.ts';
import { createCoinAcceptor } from '../../src/hal/coin-acceptor/index.ts';
import type { Device, DeviceFault } from '../../src/hal/device.ts';
import { createPrinter } from '../../src/hal/printer/index.ts';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';

const config = configSchema.parse({ camera: { driver: 'libcamera' } });
const deps = { simulated: false, logger: silentLogger() };

async function started(t: Test, device: Device): Promise<DeviceFault[]> {
  const faults: DeviceFault[] = [];
  device.on('fault', (f) => faults.push(f));
  await device.start();
  t.teardown(() => device.stop());
  return faults;
}

t.test('required devices: absent with the reason, a fatal fault, every use refused', async (t) => {
  const camera = createCamera(config.camera, deps);
  const printer = createPrinter(config.printer, { ...deps, dataDir: '/nonexistent' });
  const acceptor = createCoinAcceptor(config.coinAcceptor, deps);
  for (const [device, reason] of [
    [camera, /no libcamera camera driver/],
    [printer, /printer\.uri is not set/],
    [acceptor, /coinAcceptor\.port is not set/],
  ] as const) {
    t.ok(isAbsent(device), `${device.name} is an absent implementation`);
    const faults = await started(t, device);
    t.match(device.status(), { health: 'absent', detail: reason });
    t.match(faults, [{ device: device.name, fatal: true, message: reason }]);
    t.equal(device.simulated, false);
  }
  await t.rejects(camera.capture(), DeviceAbsentError);
  await t.rejects(printer.submit({ data: Buffer.alloc(1), format: 'image/png', name: 'x' }), DeviceAbsentError);
  t.match(printer.readiness(), { ok: false, reason: /printer\.uri is not set/ });
  await t.rejects(acceptor.setAcceptance(['EU200A']), DeviceAbsentError);
  await t.resolves(acceptor.setAcceptance([]), 'inhibiting an absent acceptor is already true');
});

t.test('the optional card reader: absent quietly, the booth goes on', async (t) => {
  const reader = createCardReader(config.cardReader, deps);
  t.ok(isAbsent(reader));
  const faults = await started(t, reader);
  t.match(reader.status(), { health: 'absent', detail: /cardReader\.port is not set/ });
  t.same(faults, [], 'no fault: the booth takes coins only');
  t.equal(reader.enabled(), false);
  await t.rejects(reader.requestVend(100, 1), DeviceAbsentError);
});

t.test('a configured device is never an absent implementation, even without hardware', async (t) => {
  const acceptor = createCoinAcceptor(configSchema.parse({ coinAcceptor: { port: '/dev/null-cabine' } }).coinAcceptor, deps);
  t.notOk(isAbsent(acceptor), 'the real driver, which ends absent by itself when nothing answers');
});
