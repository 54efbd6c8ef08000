// Precision/recall scoring (src/vision/accuracy.ts) on verdicts whose score is known, and the
// integrity of the labelled variants (tools/make-face-fixtures.ts → variants/manifest.json).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { scoreAccuracy } from '../../src/vision/accuracy.ts';
import { CHECK_IDS, type CheckId } from '../../src/vision/checks.ts';

t.test('per-check precision and recall; mayFail is not scored', async (t) => {
  const r = scoreAccuracy(
    [
      { file: 'ok.jpg', fail: [] },
      { file: 'blur.jpg', fail: ['sharpness'] },
      { file: 'blur2.jpg', fail: ['sharpness'] },
      { file: 'dark.jpg', fail: ['exposure'], mayFail: ['contrast'] },
    ],
    [
      { file: 'ok.jpg', failed: ['sharpness'] }, // false failure
      { file: 'blur.jpg', failed: ['sharpness'] }, // right
      { file: 'blur2.jpg', failed: [] }, // missed
      { file: 'dark.jpg', failed: ['exposure', 'contrast'] }, // right; contrast not scored
    ],
  );
  const s = (id: CheckId) => r.checks.find((c) => c.id === id)!;
  t.same([s('sharpness').tp, s('sharpness').fp, s('sharpness').fn, s('sharpness').tn], [1, 1, 1, 1]);
  t.equal(s('sharpness').precision, 0.5);
  t.equal(s('sharpness').recall, 0.5);
  t.same([s('exposure').precision, s('exposure').recall], [1, 1]);
  t.same([s('contrast').tp, s('contrast').fp, s('contrast').tn], [0, 0, 3], 'contrast scored on the three other photos only');
  t.equal(s('contrast').precision, null, 'never failed: no precision');
  t.equal(s('contrast').recall, null, 'never expected to fail: no recall');
  t.same(r.errors.map((e) => e.file), ['ok.jpg', 'blur2.jpg']);
  t.equal(r.verdictAccuracy, 0.5, 'ok.jpg judged non-compliant, blur2.jpg compliant');
  t.throws(() => scoreAccuracy([{ file: 'x', fail: [] }], []), /no verdict for x/);
});

t.test('the labelled variants exist, are small JPEGs and name real checks', async (t) => {
  const dir = fileURLToPath(new URL('../fixtures/faces/variants/', import.meta.url));
  const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8')) as { variants: { file: string; fail: string[]; mayFail: string[]; transform: string }[] };
  t.ok(manifest.variants.length >= 20, `${manifest.variants.length} variants`);
  const ids = new Set<string>(CHECK_IDS);
  let bytes = 0;
  const broken = new Set<string>();
  for (const v of manifest.variants) {
    t.ok(existsSync(dir + v.file), v.file);
    t.ok(v.transform.length > 0);
    for (const id of [...v.fail, ...v.mayFail]) t.ok(ids.has(id), `${v.file}: ${id} is a check id`);
    t.same(v.fail.filter((id) => v.mayFail.includes(id)), [], `${v.file}: a check is either expected to fail or not scored`);
    for (const id of v.fail) broken.add(id);
    const meta = await sharp(dir + v.file).metadata();
    t.equal(meta.format, 'jpeg');
    bytes += readFileSync(dir + v.file).length;
  }
  t.ok(bytes < 3e6, `${(bytes / 1e6).toFixed(1)} MB in all`);
  // Every check but the two that need a pose the set cannot fake (gaze, eyes.open) has photos that must fail it.
  t.same(CHECK_IDS.filter((id) => !broken.has(id)), ['gaze', 'eyes.open']);
});
