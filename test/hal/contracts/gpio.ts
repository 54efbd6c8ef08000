// The GPIO chip contract: what the line drivers rely on from a GpioChip, one suite run on the
// simulated chip and on the real driver (OnoffGpioChip, onoff's Gpio calls with kernel line
// numbers base + offset) over a simulated kernel, where the same simulated chip plays sysfs.
// The curtain sensor then runs unchanged on both.
import type { Test } from 'tap';
import { configSchema } from '../../../src/config/schema.ts';
import { createCurtain, SimCurtainSwitch } from '../../../src/hal/curtain/index.ts';
import type { GpioChip, Level, SimGpioChip } from '../../../src/hal/gpio/index.ts';
import { silentLogger } from '../../../src/log.ts';

/** The chip under test, and the simulated chip that plays the hardware behind it. */
export type ChipFactory = () => Promise<{ chip: GpioChip; hardware: SimGpioChip }>;

async function until(what: string, condition: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function gpioContract(t: Test, label: string, make: ChipFactory): void {
  const open = async (t: Test) => {
    const made = await make();
    t.teardown(() => made.chip.close());
    return made;
  };

  t.test(`${label}: an output drives the line; an input reads what drives it, and sees its edges`, async (t) => {
    const { chip, hardware } = await open(t);
    const relay = await chip.openLine({ offset: 17, direction: 'out', consumer: 'test' });
    await relay.write(1);
    t.equal(hardware.level(17), 1);
    await relay.write(0);
    t.equal(hardware.level(17), 0);
    const input = await chip.openLine({ offset: 27, direction: 'in', edge: 'both', bias: 'pull-up', consumer: 'test' });
    const seen: Level[] = [];
    input.watch((level) => seen.push(level));
    t.equal(await input.read(), 1, 'pulled up while nothing drives it');
    hardware.setInput(27, 0);
    t.equal(await input.read(), 0);
    await until('the falling edge', () => seen.includes(0));
    hardware.setInput(27, 1);
    await until('the rising edge', () => seen.at(-1) === 1);
    t.equal(await input.read(), 1);
  });

  t.test(`${label}: a line already taken is refused with the reason`, async (t) => {
    const { chip } = await open(t);
    await chip.openLine({ offset: 22, direction: 'out', consumer: 'first' });
    await t.rejects(chip.openLine({ offset: 22, direction: 'out', consumer: 'second' }));
  });

  t.test(`${label}: the curtain sensor on this chip reports a drawn curtain, debounced`, async (t) => {
    const config = configSchema.parse({ curtain: { debounceMs: 20 } }).curtain;
    const { chip, hardware } = await open(t);
    hardware.setInput(config.line, config.closedLevel === 0 ? 1 : 0);
    const curtain = createCurtain(config, { gpio: chip, logger: silentLogger() });
    const moves: boolean[] = [];
    curtain.on('change', (s) => moves.push(s.drawn));
    await curtain.start();
    t.teardown(() => curtain.stop());
    t.equal(curtain.status().health, 'ok');
    await new SimCurtainSwitch(hardware, config.line, config.closedLevel).draw({ bounces: 3, bounceMs: 6 });
    await until('the curtain drawn', () => moves.length > 0);
    t.same(moves, [true], 'one movement, after the bounces');
  });
}
