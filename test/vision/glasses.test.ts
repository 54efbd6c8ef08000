// Glasses are found before lenses are judged (src/vision/glasses.ts): from both sides on real
// photographs through the real ONNX models. Bare faces (London Set sitters; 008 has dark skin
// round his eyes, which read as a tinted lens before glasses were looked for) are not judged
// on their lenses; frames drawn on real sitters (tools/make-face-fixtures.ts, made: no
// licensed portrait with glasses was found) are found, clear lenses in them pass, tinted ones
// and sunglasses fail glasses.tint, reflections fail glasses.glare.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GLASSES_CODE } from '../../src/vision/checks.ts';
import { readGlasses } from '../../src/vision/glasses.ts';
import { loadImage } from '../../src/vision/image.ts';
import { LIMITS } from '../../src/vision/limits.ts';
import { realModels } from './real-models.ts';

const dir = fileURLToPath(new URL('../fixtures/faces/', import.meta.url));
const models = realModels(t);

const reading = async (name: string) => {
  const image = await loadImage(readFileSync(dir + name));
  const { faces } = await models.analyser.analyse(image, { emotion: false, segmentation: false });
  if (!faces[0]) throw new Error(`${name}: no face`);
  return readGlasses(image, faces[0]);
};
const lensChecks = async (name: string) => {
  const r = await models.validator.validate(readFileSync(dir + name), { file: name });
  const tint = r.checks.find((c) => c.id === 'glasses.tint')!;
  const glare = r.checks.find((c) => c.id === 'glasses.glare')!;
  return { tint, glare, glasses: (tint.value as Record<string, number>).glasses };
};

t.test('bare faces: no glasses found, lenses not judged', async (t) => {
  for (const name of ['london-004.jpg', 'london-042.jpg', 'more/london-008.jpg', 'more/london-068.jpg', 'more/london-119.jpg', 'more/london-126.jpg']) {
    const g = await reading(name);
    t.equal(g.kind, 'none', `${name}: bridge ΔE ${g.bridge.toFixed(1)} < ${LIMITS.glassesBridgeMinL.value}, lens area ${g.lensLight.toFixed(2)} of the cheek, spread ${g.lensSpread.toFixed(1)}`);
    t.ok(g.bridge < LIMITS.glassesBridgeMinL.value - 1, `${name}: bare skin reads well under the bridge limit`);
  }
  // London 008: the skin round his eyes is darker than his nose bridge, as a tint would make it;
  // with no frame found the lens checks pass.
  const c = await lensChecks('more/london-008.jpg');
  t.equal(c.glasses, GLASSES_CODE.none);
  t.ok(c.tint.pass, 'glasses.tint passes: no glasses');
  t.ok(c.glare.pass, 'glasses.glare passes: no glasses');
});

t.test('drawn spectacle frames are found: clear lenses pass, tinted ones fail, reflections fail', async (t) => {
  for (const name of ['v-london-004-spectacles.jpg', 'v-london-042-spectacles.jpg', 'v-london-119-spectacles.jpg', 'v-london-126-spectacles.jpg']) {
    const g = await reading(`variants/${name}`);
    t.equal(g.kind, 'spectacles', `${name}: bridge ΔE ${g.bridge.toFixed(1)}`);
    const c = await lensChecks(`variants/${name}`);
    t.ok(c.tint.pass && c.glare.pass, `${name}: clear lenses pass (${JSON.stringify(c.tint.value)})`);
  }
  for (const name of ['v-london-004-tinted.jpg', 'v-london-119-tinted.jpg', 'v-london-126-tinted.jpg']) {
    const c = await lensChecks(`variants/${name}`);
    t.equal(c.glasses, GLASSES_CODE.spectacles, `${name}: the frame is found`);
    t.notOk(c.tint.pass, `${name}: tinted lenses fail`);
    t.equal(c.tint.hint?.key, 'glasses.tint');
  }
  for (const name of ['v-london-004-glare.jpg', 'v-london-042-glare.jpg']) {
    const c = await lensChecks(`variants/${name}`);
    t.equal(c.glasses, GLASSES_CODE.spectacles, `${name}: a thin gold frame is found`);
    t.notOk(c.glare.pass, `${name}: reflections on the lenses fail`);
  }
});

t.test('sunglasses fail glasses.tint, found as such or by their frame', async (t) => {
  // Category-2 lenses whose lens area is also flat read as sunglasses even without the frame.
  const flat = await reading('variants/v-london-042-tinted.jpg');
  t.equal(flat.kind, 'sunglasses', `lens area ${flat.lensLight.toFixed(2)} of the cheek, spread ${flat.lensSpread.toFixed(1)} L*`);
  for (const name of ['v-london-042-tinted.jpg', 'v-london-042-sunglasses.jpg']) {
    const c = await lensChecks(`variants/${name}`);
    t.notOk(c.tint.pass, `${name}: fails glasses.tint`);
    t.equal(c.tint.hint?.key, 'glasses.tint');
  }
});
