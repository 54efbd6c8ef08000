// The labels of real portrait sets and their scoring (src/vision/real-sets.ts, used by
// bench/vision-real.ts): parsing with clear errors, and the per-check, per-fault, per-group sums
// on literal verdicts.
import t from 'tap';
import { parseLabels, scoreRealSet } from '../../src/vision/real-sets.ts';

const CSV = `file,fault,checks,group,split
a.jpg,compliant,,white,report
b.jpg,compliant,,black,report
c.jpg,compliant,,black,derive
s.jpg,smile,expression.neutral|mouth.closed,white,report
z.jpg,busy-backdrop,background.plain,home,report
z.jpg,headband,headwear,home,report
`;

t.test('labels: one photo per file, its faults gathered, paths under the root', async (t) => {
  const photos = parseLabels(CSV, '/data/set');
  t.equal(photos.length, 5);
  const z = photos.find((p) => p.file === 'z.jpg')!;
  t.same(z.faults, [
    { fault: 'busy-backdrop', checks: ['background.plain'] },
    { fault: 'headband', checks: ['headwear'] },
  ]);
  t.equal(z.path, '/data/set/z.jpg');
  t.same(photos.find((p) => p.file === 'a.jpg')!.faults, []);
  t.equal(photos.find((p) => p.file === 'c.jpg')!.split, 'derive');
});

t.test('labels: bad input is refused with the line', async (t) => {
  t.throws(() => parseLabels('file,fault\n', '/'), /header/);
  t.throws(() => parseLabels('file,fault,checks,group,split\na.jpg,smile,no.such.check,g,report\n', '/'), /line 2/);
  t.throws(() => parseLabels('file,fault,checks,group,split\na.jpg,smile,,g,report\n', '/'), /names no check/);
  t.throws(() => parseLabels('file,fault,checks,group,split\na.jpg,compliant,-,g,report\n', '/'), /not for a compliant photo/);
  t.throws(() => parseLabels('file,fault,checks,group,split\na.jpg,compliant,,g,test\n', '/'), /line 2: split/);
  t.throws(() => parseLabels('file,fault,checks,group,split\na.jpg,compliant,,g\n', '/'), /5 comma-separated cells/);
});

t.test('scores: acceptance per group, false rejections per check, catches on a check that names the fault', async (t) => {
  const photos = parseLabels(CSV, '/');
  const verdicts = new Map([
    ['a.jpg', []],
    ['b.jpg', ['shadow.face' as const]],
    ['c.jpg', []],
    ['s.jpg', ['mouth.closed' as const]],
    ['z.jpg', ['background.plain' as const, 'shadow.background' as const]],
  ]);
  const s = scoreRealSet(photos, verdicts);
  t.same(s.compliant, { total: 3, accepted: 2, byGroup: { white: { total: 1, accepted: 1 }, black: { total: 2, accepted: 1 } } });
  t.same(s.falseRejections, { 'shadow.face': ['b.jpg'] });
  t.same(s.faults.smile, { total: 1, caught: 1, missed: [] });
  t.same(s.faults['busy-backdrop'], { total: 1, caught: 1, missed: [] });
  // Failing another check does not catch a headband: the check must name the fault.
  t.same(s.faults.headband, { total: 1, caught: 0, missed: [{ file: 'z.jpg', failed: ['background.plain', 'shadow.background'] }] });
  t.throws(() => scoreRealSet(photos, new Map()), /no verdict for a.jpg/);
});

t.test('a rule no check covers yet ("-"): the photo is not compliant, the fault is counted and never caught', async (t) => {
  const photos = parseLabels('file,fault,checks,group,split\ne.jpg,ears-covered,-,white,report\n', '/');
  t.same(photos[0]!.faults, [{ fault: 'ears-covered', checks: [] }]);
  const s = scoreRealSet(photos, new Map([['e.jpg', []]]));
  t.equal(s.compliant.total, 0, 'not counted among the compliant photos');
  t.same(s.faults['ears-covered'], { total: 1, caught: 0, missed: [{ file: 'e.jpg', failed: [] }] });
});
