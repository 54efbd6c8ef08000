// Finding the header's gpiochip in sysfs. Since Linux 6.6 the kernel numbers GPIO chips
// dynamically from 512 upwards, so BCM line 17 is sysfs gpio 529 on a Pi 4 (pinctrl-bcm2711,
// base 512) and 588 on a Pi 5 (pinctrl-rp1, base 571), and was 17 on older kernels. Nothing
// here hard-codes a number: the chip is found by its label and the kernel number is
// base + BCM offset, read from <sysfsRoot>/class/gpio/gpiochipN/{base,label,ngpio}.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface GpioChipInfo {
  /** Directory name, e.g. "gpiochip512". */
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

/** Labels of the chip carrying the 40-pin header's BCM lines, most recent board first. */
export const HEADER_CHIP_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'] as const;

async function readNumber(file: string): Promise<number> {
  const text = (await readFile(file, 'utf8')).trim();
  if (!/^\d+$/.test(text)) throw new Error(`${file} holds "${text}", not a number`);
  return Number(text);
}

/** Every gpiochip sysfs knows, sorted by base. Throws when sysfs has no GPIO class. */
export async function listGpioChips(sysfsRoot: string): Promise<GpioChipInfo[]> {
  const dir = join(sysfsRoot, 'class', 'gpio');
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `no GPIO sysfs interface (${dir} does not exist: not a Raspberry Pi, or a kernel without CONFIG_GPIO_SYSFS)`
        : `cannot read ${dir}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const chips: GpioChipInfo[] = [];
  for (const name of entries.filter((e) => /^gpiochip\d+$/.test(e))) {
    const path = join(dir, name);
    const [label, base, ngpio] = await Promise.all([
      readFile(join(path, 'label'), 'utf8').then((s) => s.trim()),
      readNumber(join(path, 'base')),
      readNumber(join(path, 'ngpio')),
    ]);
    chips.push({ name, label, base, ngpio });
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * The chip of the header lines: the one labelled `wanted`, or with `auto` the first of
 * HEADER_CHIP_LABELS present. Throws a message naming what was looked for and what exists.
 */
export async function resolveGpioChip(sysfsRoot: string, wanted: string): Promise<GpioChipInfo> {
  const chips = await listGpioChips(sysfsRoot);
  const found = chips.map((c) => `${c.name} "${c.label}" base ${c.base}`).join(', ') || 'none';
  const labels: readonly string[] = wanted === 'auto' ? HEADER_CHIP_LABELS : [wanted];
  for (const label of labels) {
    const matches = chips.filter((c) => c.label === label);
    if (matches.length > 1) throw new Error(`${matches.length} gpiochips are labelled "${label}" (${found}); set hal.gpioChip to tell them apart`);
    if (matches[0]) return matches[0];
  }
  const what = wanted === 'auto' ? `labelled ${HEADER_CHIP_LABELS.join(', ')} (hal.gpioChip: auto)` : `labelled "${wanted}" (hal.gpioChip)`;
  throw new Error(`no gpiochip ${what} in ${join(sysfsRoot, 'class', 'gpio')}; found: ${found}`);
}

/** Kernel (sysfs) number of BCM line `offset` on `chip`; throws when the chip has no such line. */
export function kernelLineNumber(chip: GpioChipInfo, offset: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset >= chip.ngpio) {
    throw new Error(`BCM line ${offset} does not exist on ${chip.label} (lines 0-${chip.ngpio - 1})`);
  }
  return chip.base + offset;
}
