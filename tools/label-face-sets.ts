// Writes labels.csv (src/vision/real-sets.ts) for the public sets of debruine/webmorphR.stim
// (CC BY 4.0) extracted under DIR (docs/vision.md, "Accuracy on real portraits"):
//   inst/neutral_front  Face Research Lab London Set, neutral fronts: compliant (except the ones
//                       listed in LONDON_FAULTS, seen by eye: a turned head, ears hidden by
//                       hair, teeth between parted lips); group = the self-reported
//                       ethnicity of data-raw/london_info.csv
//   inst/smiling_front  the same 102 sitters smiling: fault "smile" (expression.neutral, or
//                       mouth.closed where teeth show: both name it)
//   inst/canada         40 young adults on a light pink plain backdrop, neutral: compliant
//                       (the sheet asks for a plain light colour, "bleu clair ou gris clair par
//                       exemple"), except the ones listed in CANADA_FAULTS (seen by eye)
//   inst/3dsk           100 3D-scan sitters on white: fault "white-backdrop"
//   inst/lisa, inst/zoom one sitter at home: clock on the wall / door and tiles behind, a headband
// Split: the sitter's number even → "derive" (limits may be read from it), odd → "report".
// Run: node --import tsx tools/label-face-sets.ts DIR   (writes DIR/labels.csv)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir || !existsSync(join(dir, 'inst'))) throw new Error('usage: tools/label-face-sets.ts DIR (DIR/inst/neutral_front ...)');

/**
 * Teeth between parted lips ("la bouche doit être fermée"; the issue: visible teeth fail), seen
 * on contact sheets of every mouth of the sets enlarged (docs/vision.md "Labels corrected").
 */
const TEETH: [string, string] = ['teeth-visible', 'mouth.closed'];

/** Canada sitters whose photo breaks a rule (looked at one by one): file → its [fault, checks] pairs. */
const CANADA_FAULTS: Record<string, [string, string][]> = {
  '024f.jpg': [['headband', 'headwear'], TEETH],
  '053f.jpg': [['headband', 'headwear']],
  '108m.jpg': [TEETH], // lips parted on his upper incisors
};

/**
 * London neutral fronts that break a rule although the set calls them neutral fronts (looked at
 * one by one, docs/vision.md "Labels corrected"): sitter → its [fault, checks] pairs, the reason beside.
 */
const LONDON_FAULTS: Record<string, [string, string][]> = {
  // The nose tip sits 18 px (of a 500 px wide view) to her right of the midpoint of her two
  // ears, a fifth of the way from the face's middle to its edge: a turn of ≈ 9°, read
  // 8.6°; her head is also bowed (pitch −10.6°).
  '139': [['head-turned', 'head.pose']],
  // Ears hidden by hair ("Les oreilles doivent être dégagées"): the ear regions of every
  // compliant photo were looked at enlarged; only an ear wholly under hair is a fault (an ear
  // partly under hair with its lobe or rim seen stays compliant: London 016, 030, 039, 041, 067,
  // 081, 087, 092, 123, 129, 131, 143; Canada 045f, 054f, 123m). No check covers it yet ("-").
  '003': [['ears-covered', '-']], // a bob over both ears
  '038': [['ears-covered', '-']], // loose hair over both ears, no ear seen
  '113': [['ears-covered', '-'], TEETH], // her left ear under her hair; lips parted on two incisors
  '103': [TEETH], // lips parted on the tips of his upper incisors
};

const jpgs = (sub: string) => (existsSync(join(dir, 'inst', sub)) ? readdirSync(join(dir, 'inst', sub)).filter((f) => f.endsWith('.jpg') && !f.startsWith('.')).sort() : []);
const split = (n: number) => (n % 2 === 0 ? 'derive' : 'report');
const ethnicity = new Map(
  readFileSync(join(dir, 'data-raw', 'london_info.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','))
    .map((c) => [c[0]!, c[3]!.replace('/', '+')] as const),
);
const rows = ['file,fault,checks,group,split'];
for (const f of jpgs('neutral_front')) {
  const id = f.slice(0, 3);
  for (const [fault, checks] of LONDON_FAULTS[id] ?? [['compliant', '']]) rows.push(`inst/neutral_front/${f},${fault},${checks},${ethnicity.get(id) ?? '-'},${split(Number(id))}`);
}
for (const f of jpgs('smiling_front')) {
  const id = f.slice(0, 3);
  rows.push(`inst/smiling_front/${f},smile,expression.neutral|mouth.closed,${ethnicity.get(id) ?? '-'},${split(Number(id))}`);
}
for (const f of jpgs('canada')) {
  const n = Number.parseInt(f, 10);
  for (const [fault, checks] of CANADA_FAULTS[f] ?? [['compliant', '']]) rows.push(`inst/canada/${f},${fault},${checks},canada,${split(n)}`);
}
jpgs('3dsk/female').concat(jpgs('3dsk/male').map((f) => `m/${f}`)).forEach((f, i) => {
  const path = f.startsWith('m/') ? `inst/3dsk/male/${f.slice(2)}` : `inst/3dsk/female/${f}`;
  rows.push(`${path},white-backdrop,background.not-white,3dsk,${split(i)}`);
});
for (const f of jpgs('lisa')) rows.push(`inst/lisa/${f},busy-backdrop,background.plain,home,report`);
for (const f of jpgs('zoom')) {
  rows.push(`inst/zoom/${f},busy-backdrop,background.plain,home,report`);
  rows.push(`inst/zoom/${f},headband,headwear,home,report`);
}
writeFileSync(join(dir, 'labels.csv'), rows.join('\n') + '\n');
console.log(`${rows.length - 1} rows → ${join(dir, 'labels.csv')}`);
