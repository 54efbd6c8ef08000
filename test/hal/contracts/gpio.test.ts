// The GPIO chip contract (./gpio.ts) on the simulated chip and on the real driver (onoff calls)
// over a simulated kernel: onoff's Gpio played by lines of a simulated chip.
import t from 'tap';
import { OnoffGpioChip, SimGpioChip, type GpioLine, type Level, type OnoffGpio, type OnoffGpioConstructor } from '../../../src/hal/gpio/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { gpioContract } from './gpio.ts';

const BASE = 512; // Linux 6.6+: the header's chip starts at 512 or more

/** onoff's Gpio over a simulated chip: the kernel number is base + BCM offset, as in sysfs. */
function simulatedKernel(hardware: SimGpioChip): OnoffGpioConstructor {
  return class implements OnoffGpio {
    private readonly line: Promise<GpioLine>;
    constructor(gpio: number, direction: 'in' | 'out' | 'high' | 'low', edge: 'none' | 'rising' | 'falling' | 'both' = 'none') {
      const offset = gpio - BASE;
      this.line = direction === 'in' ? hardware.openLine({ offset, direction: 'in', edge, consumer: 'sysfs' }) : hardware.openLine({ offset, direction: 'out', consumer: 'sysfs' });
      this.line.catch(() => undefined);
    }
    async read(): Promise<0 | 1> {
      return (await this.line).read();
    }
    async write(value: 0 | 1): Promise<void> {
      await (await this.line).write(value);
    }
    watch(callback: (err: Error | null | undefined, value: 0 | 1) => void): void {
      void this.line.then((line) => line.watch((level: Level) => callback(null, level)));
    }
    unwatchAll(): void {}
    unexport(): void {
      void this.line.then((line) => line.close());
    }
  };
}

gpioContract(t, 'simulated chip', async () => {
  const hardware = new SimGpioChip({ bias: { 27: 'pull-up' } });
  return { chip: hardware, hardware };
});

gpioContract(t, 'real driver (onoff calls) on a simulated kernel', async () => {
  const hardware = new SimGpioChip({ bias: { 27: 'pull-up' } });
  const chip = new OnoffGpioChip({ name: `gpiochip${BASE}`, label: 'pinctrl-bcm2711', base: BASE, ngpio: 58 }, simulatedKernel(hardware), silentLogger());
  return { chip, hardware };
});
