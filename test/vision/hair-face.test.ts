// hair.face from both sides on real photos through the real models: the sitter's own crown
// hair brought down as a fringe (tools/fringe.ts) to a row computed from the photo's own upper
// lid and iris, so the targets are tied to the limit (hair must stop above the upper lid
// margin, limits.ts hairOverEyesMaxReach): 0.4 iris diameters (≈ 4.7 mm) above the lid passes, 0.3 below
// it fails with the hint that says to clear the eyes; a fringe down to the brows passes (a fringe
// ending within ≈ 2 mm of the lashes reads as reaching them: docs/vision.md, Known limits). Two
// sitters: dark brown hair on light skin (London 004) and black hair on dark skin (London 126).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { FaceAnalysis, RgbImage } from '../../src/vision/analysis.ts';
import { LM, lm2 } from '../../src/vision/geometry.ts';
import { hairOverEyes } from '../../src/vision/hair-face.ts';
import { loadImage } from '../../src/vision/image.ts';
import { HINTS } from '../../src/vision/hints.ts';
import { LIMITS } from '../../src/vision/limits.ts';
import { resizePlane } from '../../src/vision/models/image.ts';
import { hullPixels, regionStats } from '../../src/vision/photometry.ts';
import { fringe, fringeTo } from '../../tools/fringe.ts';
import { realModels } from './real-models.ts';

const dir = fileURLToPath(new URL('../fixtures/faces/', import.meta.url));

const models = realModels(t);

const jpeg = (img: RgbImage) => sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();

/** The upper lid margin above each pupil and the iris diameter, as the photo reads them. */
function lidAndIris(face: FaceAnalysis): { lid: number; diameter: number } {
  const lid = (face.landmarks[159]![1] + face.landmarks[386]![1]) / 2;
  const diameter = (face.irises!.right.radius + face.irises!.left.radius);
  return { lid, diameter };
}

for (const name of ['london-004.jpg', 'more/london-126.jpg']) {
  t.test(`${name}: a fringe to the brows or above the lids passes, over the eyes fails`, async (t) => {
    t.equal(LIMITS.hairOverEyesMaxReach.value, 0, 'the limit is the upper lid margin');
    const img = await loadImage(readFileSync(dir + name));
    const analysis = await models.analyser.analyse(img);
    const face = analysis.faces[0]!;
    const seg = analysis.segmentation!;
    const mask = Float32Array.from(await resizePlane(seg.data, seg.width, seg.height, img.width, img.height), (v) => v / 255);
    const { lid, diameter } = lidAndIris(face);
    const verdict = async (bottom: number) => {
      const r = await models.validator.validate(await jpeg(fringe(img, face, mask, bottom, 0)));
      return r.checks.find((c) => c.id === 'hair.face')!;
    };
    const original = (await models.validator.validate(readFileSync(dir + name))).checks.find((c) => c.id === 'hair.face')!;
    t.ok(original.pass, `no fringe: passes (${JSON.stringify(original.value)})`);
    const brows = await verdict(fringeTo(face, 'brows'));
    t.ok(brows.pass, `a fringe to the middle of the brows passes (${JSON.stringify(brows.value)})`);
    const above = await verdict(lid - 0.4 * diameter);
    t.ok(above.pass, `a fringe ending 0.4 iris diameters above the upper lid passes (${JSON.stringify(above.value)})`);
    const over = await verdict(lid + 0.3 * diameter);
    t.notOk(over.pass, `a fringe 0.3 iris diameters over the eyes fails (${JSON.stringify(over.value)})`);
    t.same(over.hint, HINTS.hairFace, 'with the hint to clear the eyes');
  });
}

t.test('no hair to judge: no crown, or crown hair within skin\'s own spread of colour', async (t) => {
  const img = await loadImage(readFileSync(dir + 'london-004.jpg'));
  const face = (await models.analyser.analyse(img)).faces[0]!;
  const minSeparation = LIMITS.hairFaceMinSeparation.value;
  t.equal(hairOverEyes({ image: img, face, crown: [], minSeparation }).reach, null, 'bald or cropped: nothing judged');
  // A crown the colour of this sitter's cheeks (a skin-coloured or fair blond crown).
  const cheek = regionStats(img, hullPixels(img, [...LM.cheeks.right].map((i) => lm2(face, i))));
  const skinLike = Array.from({ length: 50 }, (): [number, number, number] => [cheek.l50, cheek.a, cheek.b]);
  const r = hairOverEyes({ image: img, face, crown: skinLike, minSeparation });
  t.equal(r.reach, null, `hair the colour of the skin is not judged (separation ${r.separation} < ${minSeparation})`);
  const own = hairOverEyes({ image: img, face, crown: Array.from({ length: 50 }, (): [number, number, number] => [20, 2, 4]), minSeparation });
  t.ok(own.reach !== null && own.reach < 0, `dark brown hair is judged, and stops above the eyes (${own.reach})`);
});
