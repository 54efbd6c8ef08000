// What the glasses finder (src/vision/glasses.ts) reads on real photos: per photo, what it found
// (none, spectacles, sunglasses), the bridge's contrast, the lens areas' light and spread; then
// how many of each, and the percentiles of each reading (the limits glassesBridgeMinL,
// sunglassesMaxLight and sunglassesMaxSpreadL are read from the derive split's compliant
// portraits: docs/vision.md, "Glasses"). Works on the photo as given (no crop): the finder
// measures in eye distances, whatever the framing.
// Run: node --import tsx bench/vision-glasses.ts --labels DIR/labels.csv [--split derive|report|all] [--compliant]
//      node --import tsx bench/vision-glasses.ts FILE...        (e.g. a folder of portraits with glasses)
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readGlasses, type GlassesReading } from '../src/vision/glasses.ts';
import { loadImage } from '../src/vision/image.ts';
import { loadFaceAnalyser } from '../src/vision/models/index.ts';
import { percentiles } from '../src/vision/photometry.ts';
import { readLabels } from '../src/vision/real-sets.ts';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    labels: { type: 'string' },
    split: { type: 'string', default: 'all' },
    /** Only the photos labelled compliant. */
    compliant: { type: 'boolean', default: false },
  },
});
const files = args.labels
  ? readLabels(args.labels)
      .filter((p) => (args.split === 'all' || p.split === args.split) && (!args.compliant || p.faults.length === 0))
      .map((p) => p.path)
  : positionals;
if (!files.length) throw new Error('no photo: give --labels FILE or photo files');

const analyser = await loadFaceAnalyser();
const readings: GlassesReading[] = [];
const ms: number[] = [];
for (const file of files) {
  const image = await loadImage(await readFile(file));
  const { faces } = await analyser.analyse(image, { emotion: false, segmentation: false });
  const face = faces[0];
  if (!face) {
    console.log(`${file}\tno face`);
    continue;
  }
  // The finder alone, timed on its best of 3 (the machine is shared).
  let best = Infinity;
  let g = readGlasses(image, face);
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now();
    g = readGlasses(image, face);
    best = Math.min(best, performance.now() - t0);
  }
  ms.push(best);
  readings.push(g);
  console.log(`${file}\t${g.kind}\tbridge ${g.bridge.toFixed(1)}\tlens light ${g.lensLight.toFixed(2)}\tlens spread ${g.lensSpread.toFixed(1)}`);
}
await analyser.close();

const count = (kind: GlassesReading['kind']) => readings.filter((g) => g.kind === kind).length;
console.log(`\n${readings.length} faces: none ${count('none')}, spectacles ${count('spectacles')}, sunglasses ${count('sunglasses')}`);
const qs = [0.01, 0.05, 0.5, 0.95, 0.99, 1];
const row = (name: string, values: number[], digits: number) => console.log(`${name.padEnd(12)} ${percentiles(values, qs).map((v, i) => `p${Math.round(qs[i]! * 100)} ${v.toFixed(digits)}`).join('  ')}`);
row('bridge', readings.map((g) => g.bridge), 1);
row('lens light', readings.map((g) => g.lensLight), 2);
row('lens spread', readings.map((g) => g.lensSpread), 1);
console.log(`finder: median ${percentiles(ms, [0.5])[0]!.toFixed(1)} ms per face`);
