// Vision benchmark: validation latency of one 2028x1520 capture (goal ≤ 150 ms), live-guidance
// frames per second at 640x480 (goal ≥ 15), and RSS with every model loaded. Prints its figures.
// Run: node --import tsx bench/vision-validate.ts
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { silentLogger } from '../src/log.ts';
import { createValidator } from '../src/vision/validator.ts';

const photo = readFileSync(new URL('../test/fixtures/faces/london-004.jpg', import.meta.url));
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
const rss0 = rssMb();
const validator = await createValidator({ logger: silentLogger() });
const rssLoaded = rssMb();

// A 4:3 booth capture: the 35:45 photo at full height, the backdrop continuing on both sides.
const still = await sharp(photo).resize({ height: 1520 }).extend({ left: 700, right: 700, extendWith: 'copy' }).resize({ width: 2028, height: 1520, fit: 'cover' }).jpeg({ quality: 92 }).toBuffer();
const runs = 8;
await validator.validate(still);
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  await validator.validate(still);
  times.push(performance.now() - t0);
}
times.sort((a, b) => a - b);

const { data } = await sharp(still).resize({ width: 640, height: 480 }).raw().toBuffer({ resolveWithObject: true });
const guidance = validator.guidance();
await guidance.analyseFrame(data, 640, 480);
const frames = 30;
const g0 = performance.now();
for (let i = 0; i < frames; i++) await guidance.analyseFrame(data, 640, 480);
const fps = frames / ((performance.now() - g0) / 1000);
const rssPeak = rssMb();
await validator.close();

console.log(JSON.stringify({
  validateMs: { median: Math.round(times[Math.floor(runs / 2)]!), min: Math.round(times[0]!), max: Math.round(times[runs - 1]!), goal: 150, size: '2028x1520' },
  previewFps: { fps: Math.round(fps * 10) / 10, goal: 15, size: '640x480' },
  rssMb: { start: rss0, modelsLoaded: rssLoaded, peak: rssPeak },
}, null, 2));
