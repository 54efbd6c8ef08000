// Finding the header's gpiochip in sysfs trees as a Pi 3 (old kernel), Pi 4 and Pi 5
// (kernel 6.6+) lay them out, and the real chip's mapping BCM offset -> sysfs number,
// checked through onoff's constructor (replaced by a recorder: no GPIO hardware here).
import t from 'tap';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import {
  createGpioChip,
  kernelLineNumber,
  listGpioChips,
  OnoffGpioChip,
  resolveGpioChip,
  UnavailableGpioChip,
  type OnoffGpio,
  type OnoffGpioConstructor,
} from '../../src/hal/gpio/index.ts';

type Chip = [base: number, label: string, ngpio: number];

const PI3_OLD: Chip[] = [
  [0, 'pinctrl-bcm2835', 54],
  [504, 'raspberrypi-exp-gpio', 8],
];
const PI4: Chip[] = [
  [512, 'pinctrl-bcm2711', 58],
  [570, 'raspberrypi-exp-gpio', 8],
];
const PI5: Chip[] = [
  [512, 'gpio-brcmstb@107d508500', 32],
  [544, 'gpio-brcmstb@107d508520', 4],
  [548, 'gpio-brcmstb@107d517c00', 17],
  [565, 'gpio-brcmstb@107d517c20', 6],
  [571, 'pinctrl-rp1', 54],
];

/** A sysfs tree like the kernel's: class/gpio/gpiochipN are symlinks into devices/. */
function fakeSysfs(chips: Chip[]): string {
  const root = mkdtempSync(join(tmpdir(), 'cabine-sysfs-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const cls = join(root, 'class', 'gpio');
  mkdirSync(cls, { recursive: true });
  writeFileSync(join(cls, 'export'), '');
  writeFileSync(join(cls, 'unexport'), '');
  for (const [base, label, ngpio] of chips) {
    const dev = join(root, 'devices', 'platform', 'soc', label.replace(/[@]/g, '_'), 'gpio', `gpiochip${base}`);
    mkdirSync(dev, { recursive: true });
    writeFileSync(join(dev, 'base'), `${base}\n`);
    writeFileSync(join(dev, 'label'), `${label}\n`);
    writeFileSync(join(dev, 'ngpio'), `${ngpio}\n`);
    symlinkSync(dev, join(cls, `gpiochip${base}`));
  }
  return root;
}

t.test('auto finds the header chip of each board and maps BCM lines from its base', async (t) => {
  for (const [board, chips, label, base] of [
    ['Pi 3, kernel 6.1', PI3_OLD, 'pinctrl-bcm2835', 0],
    ['Pi 4, kernel 6.6+', PI4, 'pinctrl-bcm2711', 512],
    ['Pi 5, kernel 6.6+', PI5, 'pinctrl-rp1', 571],
  ] as const) {
    const root = fakeSysfs([...chips]);
    const chip = await resolveGpioChip(root, 'auto');
    t.equal(chip.label, label, `${board}: label`);
    t.equal(chip.base, base, `${board}: base`);
    t.equal(kernelLineNumber(chip, 17), base + 17, `${board}: BCM 17 is sysfs ${base + 17}`);
    t.equal(kernelLineNumber(chip, 0), base, `${board}: BCM 0`);
  }
});

t.test('a label can be named; the list is sorted by base', async (t) => {
  const root = fakeSysfs(PI5);
  const chips = await listGpioChips(root);
  t.same(
    chips.map((c) => c.base),
    [512, 544, 548, 565, 571],
  );
  const exp = await resolveGpioChip(root, 'gpio-brcmstb@107d517c00');
  t.equal(exp.base, 548);
  t.equal(exp.ngpio, 17);
});

t.test('clear errors: no matching chip, no sysfs, a line the chip lacks, ambiguous labels', async (t) => {
  const pi4 = fakeSysfs(PI4);
  await t.rejects(resolveGpioChip(pi4, 'pinctrl-rp1'), /no gpiochip labelled "pinctrl-rp1".*found: gpiochip512 "pinctrl-bcm2711" base 512, gpiochip570 "raspberrypi-exp-gpio" base 570/);
  const other = fakeSysfs([[0, 'gpio-mockup-A', 8]]);
  await t.rejects(resolveGpioChip(other, 'auto'), /no gpiochip labelled pinctrl-rp1, pinctrl-bcm2711, pinctrl-bcm2835 \(hal.gpioChip: auto\).*gpio-mockup-A/);
  const empty = mkdtempSync(join(tmpdir(), 'cabine-sysfs-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  await t.rejects(resolveGpioChip(empty, 'auto'), /no GPIO sysfs interface \(.*class\/gpio does not exist/);
  const chip = await resolveGpioChip(pi4, 'auto');
  t.throws(() => kernelLineNumber(chip, 58), /BCM line 58 does not exist on pinctrl-bcm2711 \(lines 0-57\)/);
  t.throws(() => kernelLineNumber(chip, -1), /does not exist/);
  const twice = fakeSysfs([
    [0, 'pinctrl-bcm2835', 54],
    [600, 'pinctrl-bcm2835', 54],
  ]);
  await t.rejects(resolveGpioChip(twice, 'auto'), /2 gpiochips are labelled "pinctrl-bcm2835"/);
  const garbage = fakeSysfs([[512, 'pinctrl-bcm2711', 58]]);
  writeFileSync(join(garbage, 'class', 'gpio', 'gpiochip512', 'base'), 'x\n');
  await t.rejects(resolveGpioChip(garbage, 'auto'), /base holds "x", not a number/);
});

/** onoff's Gpio replaced by a recorder of what the chip asks the kernel for. */
function recordingGpio() {
  const made: { gpio: number; direction: string; edge: string | undefined; writes: number[]; watchers: ((err: Error | null, v: 0 | 1) => void)[]; unexported: boolean; value: 0 | 1 }[] = [];
  class FakeGpio implements OnoffGpio {
    readonly rec: (typeof made)[number];
    constructor(gpio: number, direction: string, edge?: string) {
      if (gpio === 999) throw new Error('EACCES: permission denied, open /sys/class/gpio/export');
      this.rec = { gpio, direction, edge, writes: [], watchers: [], unexported: false, value: direction === 'high' ? 1 : 0 };
      made.push(this.rec);
    }
    async read(): Promise<0 | 1> {
      return this.rec.value;
    }
    async write(value: 0 | 1): Promise<void> {
      this.rec.writes.push(value);
      this.rec.value = value;
    }
    watch(cb: (err: Error | null | undefined, value: 0 | 1) => void): void {
      this.rec.watchers.push(cb);
    }
    unwatchAll(): void {
      this.rec.watchers.length = 0;
    }
    unexport(): void {
      this.rec.unexported = true;
    }
  }
  return { made, Gpio: FakeGpio as OnoffGpioConstructor };
}

t.test('createGpioChip (real) opens sysfs gpio base + offset through onoff', async (t) => {
  const root = fakeSysfs(PI5);
  const config = configSchema.parse({ hal: { sysfsRoot: root } });
  const { made, Gpio } = recordingGpio();
  const chip = await createGpioChip(config.hal, { simulated: false, logger: silentLogger(), loadGpio: async () => Gpio });
  t.ok(chip instanceof OnoffGpioChip);
  t.equal(chip.driver, 'sysfs:pinctrl-rp1@571');
  t.equal(chip.simulated, false);

  const relay = await chip.openLine({ offset: 17, direction: 'out', initial: 0, consumer: 'relay' });
  const curtain = await chip.openLine({ offset: 27, direction: 'in', edge: 'both', bias: 'pull-up' });
  t.same(
    made.map((m) => [m.gpio, m.direction, m.edge]),
    [
      [588, 'low', 'none'],
      [598, 'in', 'both'],
    ],
  );
  await relay.write(1);
  t.same(made[0]!.writes, [1]);
  t.equal(await relay.read(), 1);
  await t.rejects(curtain.write(1), /line 27 is an input/);
  await t.rejects(chip.openLine({ offset: 17, direction: 'in' }), /line 17 is busy/);
  await t.rejects(chip.openLine({ offset: 54, direction: 'in' }), /BCM line 54 does not exist on pinctrl-rp1/);

  const seen: number[] = [];
  const stop = curtain.watch((l) => seen.push(l));
  made[1]!.watchers[0]!(null, 0);
  made[1]!.watchers[0]!(new Error('EIO'), 1); // a failed edge read is logged, not delivered
  stop();
  made[1]!.watchers[0]!(null, 1);
  t.same(seen, [0]);

  await chip.close();
  t.ok(made.every((m) => m.unexported), 'lines unexported on close');
  t.same((await (async () => (await chip.openLine({ offset: 17, direction: 'out' })).offset)()), 17, 'a closed line can be opened again');
});

t.test('the real chip reports an open failure with the line and the kernel number', async (t) => {
  const { Gpio } = recordingGpio();
  const chip = new OnoffGpioChip({ name: 'gpiochip982', label: 'pinctrl-bcm2711', base: 982, ngpio: 58 }, Gpio, silentLogger());
  await t.rejects(chip.openLine({ offset: 17, direction: 'out' }), /cannot open GPIO line BCM 17 \(sysfs gpio999 on pinctrl-bcm2711\): EACCES/);
});

t.test('without a matching chip the factory gives an unavailable chip that says why', async (t) => {
  const root = fakeSysfs([[0, 'gpio-mockup-A', 8]]);
  const config = configSchema.parse({ hal: { sysfsRoot: root } });
  const chip = await createGpioChip(config.hal, { simulated: false, logger: silentLogger(), loadGpio: async () => recordingGpio().Gpio });
  t.ok(chip instanceof UnavailableGpioChip);
  t.equal(chip.simulated, false);
  await t.rejects(chip.openLine({ offset: 17, direction: 'out' }), /GPIO line 17 unavailable: no gpiochip labelled/);
  const noOnoff = await createGpioChip(configSchema.parse({ hal: { sysfsRoot: fakeSysfs(PI4) } }).hal, {
    simulated: false,
    logger: silentLogger(),
    loadGpio: async () => {
      throw new Error('the onoff package is not usable (Cannot find package)');
    },
  });
  await t.rejects(noOnoff.openLine({ offset: 27, direction: 'in' }), /onoff package is not usable/);
});
