// Lighting on the simulated bus: how many PCA9685 register transfers per second the
// simulated bus carries, and how close a real-time fade comes to the duration asked
// (timer granularity: 20 ms steps). Run: node --import tsx bench/lighting-fade.ts
import { configSchema } from '../src/config/schema.ts';
import { silentLogger } from '../src/log.ts';
import { SimGpioChip } from '../src/hal/gpio/index.ts';
import { SimI2cBus } from '../src/hal/i2c/index.ts';
import { createLighting, Pca9685Model } from '../src/hal/lighting/index.ts';

const config = configSchema.parse({ lighting: { idleLevel: 0 } });
const bus = new SimI2cBus();
const model = new Pca9685Model();
bus.attach(0x40, model);

const n = 50_000;
let t0 = performance.now();
for (let i = 0; i < n; i++) await bus.writeBlock(0x40, 0x06, Buffer.from([0, 0, i & 0xff, (i >> 8) & 0x0f]));
const perSecond = n / ((performance.now() - t0) / 1000);
console.log(`simulated bus: ${Math.round(perSecond).toLocaleString('en')} 4-byte LEDn writes/s`);

const ring = createLighting(config.lighting, { gpio: new SimGpioChip(), i2c: bus, logger: silentLogger() });
await ring.start();
for (const fadeMs of [300, 1000]) {
  const steps: number[] = [];
  const onOutput = (_ch: number, duty: number) => steps.push(duty);
  model.on('output', onOutput);
  t0 = performance.now();
  await ring.set({ on: true, level: 100 }, { fadeMs });
  const took = performance.now() - t0;
  model.off('output', onOutput);
  console.log(`fade 0 -> 100 % asked ${fadeMs} ms: took ${took.toFixed(1)} ms in ${steps.length} steps`);
  await ring.set({ on: false }, { fadeMs: 0 });
}
await ring.stop();
