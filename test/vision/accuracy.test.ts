// Precision/recall scoring (src/vision/accuracy.ts) on verdicts whose score is known, and the
// integrity of the labelled variants (tools/make-face-fixtures.ts → variants/manifest.json).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { silentLogger } from '../../src/log.ts';
import { labelledFaces, measureAccuracy, scoreAccuracy } from '../../src/vision/accuracy.ts';
import { CHECK_IDS, type CheckId } from '../../src/vision/checks.ts';
import { createValidator } from '../../src/vision/validator.ts';

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
  // 67 variants of ≈ 48 kB (glasses and fringes added 21 to the 46 of before): 3.5 MB at most.
  t.ok(bytes < 3.5e6, `${(bytes / 1e6).toFixed(1)} MB in all`);
  // Every check but the two that need a pose the set cannot fake (gaze, eyes.open) has photos that must fail it.
  t.same(CHECK_IDS.filter((id) => !broken.has(id)), ['gaze', 'eyes.open']);
});

t.test('the validator on the labelled set: floors per check', async (t) => {
  const validator = await createValidator({ logger: silentLogger() });
  t.teardown(() => validator.close());
  const { checks, errors } = await measureAccuracy(validator, labelledFaces(fileURLToPath(new URL('../fixtures/faces/', import.meta.url))));
  const s = (id: CheckId) => checks.find((c) => c.id === id)!;
  t.comment(errors.map((e) => `${e.file}: failed [${e.falseFailures.join(' ')}] missed [${e.missed.join(' ')}]`).join('\n'));
  // Most defects of the set have two to four photos, so any miss is a recall of 50-75 %: every
  // check must catch all of its own (recall 1), but headwear. Its 8 photos include two the
  // colour comparison cannot tell from a bare head, on purpose: a beige beanie on a light-brown
  // skin (the colour of the skin) and a mid-grey one on black hair (within the hair's lightness
  // range under a stop of different light): 6 of 8 is its floor (docs/vision.md, Known limits).
  // Precision: no false failure on the 30-odd photos that must pass. head.pose included: its
  // pitch limit adds the estimator's error between people to the standard's ±5° (limits.ts), so
  // london-004, who reads 4-5.3° chin up with his head level, passes.
  // hair.face: of the 5 fringes over the eyes (each sitter's own crown hair brought down), the
  // fair blond one on fair skin (London 068) is the colour comparison's blind spot, on purpose:
  // hair within skin's own spread of colour is not judged (hairFaceMinSeparation): 4 of 5.
  const floor: Partial<Record<CheckId, number>> = { headwear: 0.75, 'hair.face': 0.8 };
  for (const c of checks) {
    if (c.recall !== null) t.ok(c.recall >= (floor[c.id] ?? 1), `${c.id}: recall ${c.tp}/${c.tp + c.fn}`);
  }
  for (const id of ['hair.face', 'shadow.background', 'headwear', 'background.plain', 'background.light', 'background.not-white', 'shadow.face', 'exposure', 'sharpness', 'head.pose'] as const) {
    t.equal(s(id).fp, 0, `${id}: no false failure (${s(id).tn} photos pass)`);
  }
  t.ok(s('shadow.background').tp >= 3 && s('headwear').tp >= 6, 'the cast shadows deeper than the 1-stop limit and the headwear are caught');
  t.equal(s('gaze').fp, 0, 'gaze (horizontal and vertical) never fails a photo whose sitter looks at the lens');
});
