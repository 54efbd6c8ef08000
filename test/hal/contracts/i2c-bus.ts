// The I2C bus contract: what the device drivers rely on from an I2cBus, one suite run on the
// simulated bus and on the real driver (RealI2cBus, the i2c-bus SMBus calls) over a simulated
// bus, where the kernel's i2c-dev is played by the same register models (a missing address is
// not acknowledged: EREMOTEIO, as on the Pi's controller). The device drivers (PCA9685 ring,
// FT6236 panel) then run unchanged on both.
import type { Test } from 'tap';
import { configSchema } from '../../../src/config/schema.ts';
import { SimGpioChip } from '../../../src/hal/gpio/index.ts';
import { isNack, type I2cBus, type I2cDeviceModel } from '../../../src/hal/i2c/index.ts';
import { createLighting, Pca9685Model } from '../../../src/hal/lighting/index.ts';
import { createTouchPanel, Ft6236Model } from '../../../src/hal/touch/index.ts';
import { silentLogger } from '../../../src/log.ts';

/** A bus with these register models at these addresses. */
export type BusFactory = (models: ReadonlyMap<number, I2cDeviceModel>) => Promise<I2cBus>;

/** A plain auto-incrementing register file. */
class Registers implements I2cDeviceModel {
  readonly regs = new Uint8Array(256);
  readRegister(register: number): number {
    return this.regs[register & 0xff] ?? 0;
  }
  writeRegister(register: number, value: number): void {
    this.regs[register & 0xff] = value;
  }
}

export function i2cBusContract(t: Test, label: string, makeBus: BusFactory): void {
  const open = async (t: Test, models: Map<number, I2cDeviceModel>) => {
    const bus = await makeBus(models);
    t.teardown(() => bus.close());
    return bus;
  };

  t.test(`${label}: bytes reach the register model at its address; nothing answers elsewhere`, async (t) => {
    const chip = new Registers();
    const bus = await open(t, new Map([[0x20, chip]]));
    await bus.writeByte(0x20, 0x05, 0xa5);
    t.equal(chip.regs[0x05], 0xa5);
    chip.regs[0x06] = 0x3c;
    t.equal(await bus.readByte(0x20, 0x06), 0x3c);
    t.same(await bus.scan(), [0x20]);
    const nack = await bus.readByte(0x21, 0).then(
      () => undefined,
      (err: unknown) => err,
    );
    t.ok(isNack(nack), `a missing device is a NACK: ${String(nack)}`);
  });

  t.test(`${label}: blocks longer than one SMBus transfer read and write consecutive registers`, async (t) => {
    const chip = new Registers();
    chip.regs.forEach((_, i) => (chip.regs[i] = i));
    const bus = await open(t, new Map([[0x20, chip]]));
    t.same([...(await bus.readBlock(0x20, 0x10, 70))], Array.from({ length: 70 }, (_, i) => 0x10 + i));
    await bus.writeBlock(0x20, 0x80, Buffer.alloc(40, 0xee));
    t.same([...chip.regs.subarray(0x80, 0x80 + 40)], Array(40).fill(0xee));
    t.equal(chip.regs[0x80 + 40], 0x80 + 40, 'and not one more');
  });

  t.test(`${label}: the lighting ring drives the PCA9685 on this bus`, async (t) => {
    const config = configSchema.parse({ lighting: { fadeMs: 0, idleLevel: 20 } }).lighting;
    const pca = new Pca9685Model();
    const bus = await open(t, new Map([[config.pca9685Address, pca]]));
    const ring = createLighting(config, { gpio: new SimGpioChip(), i2c: bus, logger: silentLogger() });
    await ring.start();
    t.teardown(() => ring.stop());
    t.equal(ring.status().health, 'ok');
    // the prescaler gives the nearest frequency it can (25 MHz / 4096 / (prescale + 1))
    t.ok(Math.abs(pca.frequencyHz() - config.pwmFrequencyHz) / config.pwmFrequencyHz < 0.02, `${pca.frequencyHz()} Hz for ${config.pwmFrequencyHz}`);
    await ring.set({ on: true, level: 75 });
    t.equal(Math.round(pca.duty(config.pwmChannel) * 100), 75);
  });

  t.test(`${label}: the touch panel finds its controller on this bus; absent without it`, async (t) => {
    const config = configSchema.parse({}).touch;
    const bus = await open(t, new Map([[config.address, new Ft6236Model()]]));
    const panel = createTouchPanel(config, { i2c: bus, logger: silentLogger() });
    await panel.start();
    t.teardown(() => panel.stop());
    t.equal(panel.status().health, 'ok');
    const empty = await open(t, new Map());
    const missing = createTouchPanel(config, { i2c: empty, logger: silentLogger() });
    await missing.start();
    t.teardown(() => missing.stop());
    t.match(missing.status(), { health: 'absent', detail: /no touch controller at I2C 0x38/ });
  });
}
