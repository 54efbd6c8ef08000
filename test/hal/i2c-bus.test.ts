// The simulated I2C bus (routing by address, NACK, injected faults, recording) and the real
// bus wrapper around i2c-bus (SMBus block limits, short transfers, a bus that cannot open),
// the latter checked with i2c-bus's promise API replaced by an in-memory device.
import t from 'tap';
import { configSchema } from '../../src/config/schema.ts';
import { createDevices } from '../../src/booth/devices.ts';
import { simulatedPca9685 } from '../../src/hal/lighting/index.ts';
import { silentLogger } from '../../src/log.ts';
import {
  createI2cBus,
  isNack,
  RealI2cBus,
  SimI2cBus,
  UnavailableI2cBus,
  type I2cDeviceModel,
  type PromisifiedI2c,
} from '../../src/hal/i2c/index.ts';

/** 256 plain registers. */
class RamModel implements I2cDeviceModel {
  readonly regs = new Uint8Array(256);
  readRegister(r: number): number {
    return this.regs[r] ?? 0;
  }
  writeRegister(r: number, v: number): void {
    this.regs[r] = v;
  }
}

t.test('transfers reach the model at their address; others are not acknowledged', async (t) => {
  const bus = new SimI2cBus({ record: true });
  const ram = new RamModel();
  bus.attach(0x40, ram);
  await bus.writeByte(0x40, 0x10, 0xab);
  t.equal(ram.regs[0x10], 0xab);
  t.equal(await bus.readByte(0x40, 0x10), 0xab);
  await bus.writeBlock(0x40, 0xfe, Buffer.from([1, 2, 3]));
  t.same([ram.regs[0xfe], ram.regs[0xff], ram.regs[0x00]], [1, 2, 3], 'block transfers auto-increment (wrapping) by default');
  t.same([...(await bus.readBlock(0x40, 0xfe, 3))], [1, 2, 3]);
  const err = await bus.readByte(0x41, 0).catch((e: unknown) => e);
  t.match(err, { code: 'EREMOTEIO', message: /EREMOTEIO: remote I\/O error, read \(nothing acknowledges 0x41/ });
  t.ok(isNack(err));
  t.same(await bus.scan(), [0x40]);
  t.same(
    bus.transfers.map((x) => [x.op, x.address, x.register, x.data, x.error]),
    [
      ['writeByte', 0x40, 0x10, [0xab], undefined],
      ['readByte', 0x40, 0x10, [0xab], undefined],
      ['writeBlock', 0x40, 0xfe, [1, 2, 3], undefined],
      ['readBlock', 0x40, 0xfe, [1, 2, 3], undefined],
      ['readByte', 0x41, 0, [], 'EREMOTEIO'],
    ],
  );
  t.throws(() => bus.attach(0x40, ram), /0x40 is already taken/);
  t.throws(() => bus.attach(0x80, ram), /not a 7-bit address/);
  await t.rejects(bus.writeByte(0x40, 0, 256), /256 is not a byte/);
  await t.rejects(bus.readBlock(0x40, 0, 0), /block length 0/);
  t.equal(bus.detach(0x40), ram);
  await t.rejects(bus.readByte(0x40, 0), { code: 'EREMOTEIO' }, 'unplugged');
  await bus.close();
  await t.rejects(bus.readByte(0x40, 0), /closed/);
});

t.test('a model with its own block transfer is used for blocks', async (t) => {
  const bus = new SimI2cBus();
  const calls: string[] = [];
  bus.attach(0x20, {
    readRegister: () => 7,
    writeRegister: () => undefined,
    readBlock: (r, n) => {
      calls.push(`read ${r} ${n}`);
      return Buffer.alloc(n, 9);
    },
    writeBlock: (r, d) => void calls.push(`write ${r} ${d.length}`),
  });
  t.same([...(await bus.readBlock(0x20, 4, 2))], [9, 9]);
  await bus.writeBlock(0x20, 4, Buffer.from([1, 2, 3]));
  t.same(calls, ['read 4 2', 'write 4 3']);
});

t.test('injected faults: which transfers, after how many, how many times; model throws', async (t) => {
  const bus = new SimI2cBus();
  bus.attach(0x40, new RamModel());
  bus.injectFault(0x40, { op: 'read', after: 2, times: 2, code: 'EIO' });
  const results: string[] = [];
  for (let i = 0; i < 6; i++) {
    await bus.writeByte(0x40, 0, i); // writes are not affected
    results.push(
      await bus.readByte(0x40, 0).then(
        (v) => `ok ${v}`,
        (e: NodeJS.ErrnoException) => e.code ?? '?',
      ),
    );
  }
  t.same(results, ['ok 0', 'ok 1', 'EIO', 'EIO', 'ok 4', 'ok 5']);
  bus.injectFault(0x40, { code: 'ETIMEDOUT', times: Infinity });
  await t.rejects(bus.writeByte(0x40, 0, 1), { code: 'ETIMEDOUT', errno: -110, message: /injected fault at 0x40/ });
  await t.rejects(bus.readBlock(0x40, 0, 4), { code: 'ETIMEDOUT' });
  t.notOk(isNack(await bus.readByte(0x40, 0).catch((e: unknown) => e)), 'a timeout is not a missing device');
  bus.clearFaults(0x40);
  t.equal(await bus.readByte(0x40, 0), 5);
  bus.attach(0x38, {
    readRegister: () => {
      throw new Error('ENXIO: no such device or address (model)');
    },
    writeRegister: () => undefined,
  });
  await t.rejects(bus.readByte(0x38, 0), /ENXIO: no such device/, "a model's throw is the transfer's error");
});

t.test('the simulated factory bus is empty; the booth attaches a PCA9685 at lighting.pca9685Address', async (t) => {
  const config = configSchema.parse({ lighting: { pca9685Address: 0x41 } });
  const bus = await createI2cBus(config.hal, { simulated: true, logger: silentLogger() });
  t.equal(bus.simulated, true);
  t.equal(bus.driver, 'sim:i2c-1');
  t.same(await bus.scan(), []);
  const devices = await createDevices(configSchema.parse({ hal: { simulated: true }, lighting: { pca9685Address: 0x41 } }), silentLogger());
  t.teardown(() => devices.close());
  t.ok(await devices.i2c.scan().then((found) => found.includes(0x41)), 'the booth attaches it');
  t.equal(await devices.i2c.readByte(0x41, 0xfe), 0x1e, 'PRE_SCALE power-on value');
  t.ok(simulatedPca9685(devices.i2c, 0x41));
});

/** i2c-bus's PromisifiedBus over 256 registers, recording the transfers asked for. */
function fakeI2cBus(opts: { shortRead?: boolean } = {}) {
  const regs = new Uint8Array(256).map((_, i) => i);
  const calls: string[] = [];
  const bus: PromisifiedI2c = {
    readByte: async (a, c) => (calls.push(`readByte ${a} ${c}`), regs[c] ?? 0),
    writeByte: async (a, c, b) => void (calls.push(`writeByte ${a} ${c} ${b}`), (regs[c] = b)),
    readI2cBlock: async (a, c, n, buf) => {
      calls.push(`readI2cBlock ${a} ${c} ${n}`);
      if (n > 32) throw new Error('EINVAL');
      const got = opts.shortRead ? n - 1 : n;
      for (let i = 0; i < got; i++) buf[i] = regs[(c + i) & 0xff] ?? 0;
      return { bytesRead: got, buffer: buf };
    },
    writeI2cBlock: async (a, c, n, buf) => {
      calls.push(`writeI2cBlock ${a} ${c} ${n}`);
      if (n > 32) throw new Error('EINVAL');
      for (let i = 0; i < n; i++) regs[(c + i) & 0xff] = buf[i] ?? 0;
      return { bytesWritten: n, buffer: buf };
    },
    scan: async (lo, hi) => (calls.push(`scan ${lo} ${hi}`), [0x38, 0x40]),
    close: async () => void calls.push('close'),
  };
  return { bus, regs, calls };
}

t.test('the real bus splits blocks at the SMBus limit and checks transfer lengths', async (t) => {
  const { bus: raw, regs, calls } = fakeI2cBus();
  const bus = await RealI2cBus.open(1, async () => raw);
  t.equal(bus.driver, 'i2c-bus:/dev/i2c-1');
  const read = await bus.readBlock(0x40, 0x10, 70);
  t.same([...read], Array.from({ length: 70 }, (_, i) => 0x10 + i));
  await bus.writeBlock(0x40, 0x80, Buffer.alloc(40, 0xee));
  t.equal(regs[0x80 + 39], 0xee);
  t.same(await bus.scan(), [0x38, 0x40]);
  await bus.close();
  t.same(calls, [
    'readI2cBlock 64 16 32',
    'readI2cBlock 64 48 32',
    'readI2cBlock 64 80 6',
    'writeI2cBlock 64 128 32',
    'writeI2cBlock 64 160 8',
    'scan 3 119',
    'close',
  ]);
  const short = await RealI2cBus.open(1, async () => fakeI2cBus({ shortRead: true }).bus);
  await t.rejects(short.readBlock(0x38, 0, 15), { code: 'EIO', message: /short read from 0x38: 14 of 15 bytes/ });
});

t.test('a bus that cannot open becomes an unavailable bus: transfers reject as a missing device', async (t) => {
  const config = configSchema.parse({ hal: { i2cBus: 7 } });
  const bus = await createI2cBus(config.hal, {
    simulated: false,
    logger: silentLogger(),
    openBus: async () => async () => {
      const err: NodeJS.ErrnoException = new Error("ENOENT: no such file or directory, open '/dev/i2c-7'");
      err.code = 'ENOENT';
      throw err;
    },
  });
  t.ok(bus instanceof UnavailableI2cBus);
  const err = await bus.readByte(0x40, 0).catch((e: unknown) => e);
  t.match(err, { code: 'ENODEV', message: /cannot open \/dev\/i2c-7: ENOENT/ });
  t.ok(isNack(err), 'devices on it are absent, not faulty');
  // On this machine, with the real i2c-bus and no /dev/i2c-N: the same, never a throw.
  const real = await createI2cBus(configSchema.parse({ hal: { i2cBus: 99 } }).hal, { simulated: false, logger: silentLogger() });
  t.ok(real instanceof UnavailableI2cBus);
  await t.rejects(real.scan(), { code: 'ENODEV', message: /cannot open \/dev\/i2c-99: \/dev\/i2c-99 does not exist \(I2C off/ });
});
