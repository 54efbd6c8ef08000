// mouth.closed's teeth measure from both sides, on real sitters through the real models: the
// mouth of the photo opened in its own landmarks, and what shows between the lips painted in.
// The targets are tied to the limit (limits.ts teethMaxMm2: one incisor's width by 1 mm, 8.5 mm²
// at life size, sized with the eye distance): teeth of 12 mm² fail, 5 mm² pass; teeth in the
// mouth's shade, as dark as the lips, are still teeth; a shaded fold of lip is not; a dark gap
// is the cavity; a lip line between two-tone lips, or a grey crease darker than the lips, is not
// teeth.
// Two sitters: light skin and pink lips (London 004), dark skin and dark lips (London 126).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FaceAnalysis, Point3, RgbImage } from '../../src/vision/analysis.ts';
import { buildContext, runChecks, type CheckResult } from '../../src/vision/checks.ts';
import { EYE_DISTANCE_MM, faceFrame, lm2 } from '../../src/vision/geometry.ts';
import { HINTS } from '../../src/vision/hints.ts';
import { loadImage } from '../../src/vision/image.ts';
import { LIMITS } from '../../src/vision/limits.ts';
import { FACE_CONTOURS } from '../../src/vision/models/landmarks.ts';
import { luminance, percentile, polygonPixels } from '../../src/vision/photometry.ts';
import { toLinear, toSrgb } from '../../tools/srgb.ts';
import { realModels } from './real-models.ts';

const dir = fileURLToPath(new URL('../fixtures/faces/', import.meta.url));
const models = realModels(t);

/** The inner lip contour's lower half (FaceMesh topology), the points a mouth opens by. */
const LOWER_INNER = [324, 318, 402, 317, 14, 87, 178, 88, 95];

type Rgb = [number, number, number];
/** The same surface under `k` times the light (linear light, as a shadow does it). */
const shaded = (c: Rgb, k: number): Rgb => c.map((v) => toSrgb(k * toLinear(v))) as Rgb;
const IVORY: Rgb = [236, 228, 210];
type Lab = [number, number, number];
/** CIELAB (D65) to 8-bit sRGB, clipped. */
function fromLab([L, a, b]: Lab): Rgb {
  const fy = (L + 16) / 116;
  const f = (t: number) => (t > 6 / 29 ? t ** 3 : 3 * (6 / 29) ** 2 * (t - 4 / 29));
  const [x, y, z] = [0.95047 * f(fy + a / 500), f(fy), 1.08883 * f(fy - b / 200)];
  const lin = [3.2406 * x - 1.5372 * y - 0.4986 * z, -0.9689 * x + 1.8758 * y + 0.0415 * z, 0.0557 * x - 0.204 * y + 1.057 * z];
  return lin.map((v) => Math.max(0, Math.min(255, toSrgb(Math.max(0, v))))) as Rgb;
}

/** The face with its lower inner lip moved down by `px`: a mouth opened in the landmarks. */
function opened(face: FaceAnalysis, px: number): FaceAnalysis {
  const landmarks = face.landmarks.map((p): Point3 => [p[0], p[1], p[2]]);
  for (const i of LOWER_INNER) landmarks[i]![1] += px * (1 - Math.abs(landmarks[i]![0] - landmarks[14]![0]) / (landmarks[308]![0] - landmarks[78]![0]));
  return { ...face, landmarks };
}

for (const name of ['london-004.jpg', 'more/london-126.jpg']) {
  t.test(`${name}: teeth between the lips fail from one incisor by 1 mm, in light or in shade; shaded lips pass`, async (t) => {
    t.equal(LIMITS.teethMaxMm2.value, 8.5, 'the limit is one incisor (8.5 mm) by 1 mm');
    const img = await loadImage(readFileSync(dir + name));
    const analysis = await models.analyser.analyse(img);
    const face = analysis.faces[0]!;
    const mmPerPx = EYE_DISTANCE_MM / faceFrame(face).eyeDistance;
    const mouthWidth = Math.hypot(...([0, 1] as const).map((k) => lm2(face, 61)[k] - lm2(face, 291)[k]) as [number, number]);
    const open = opened(face, 0.12 * mouthWidth);
    const inner = FACE_CONTOURS.lipsInner.map((i) => lm2(open, i));
    // The opening's pixels, nearest the mouth's middle first: the first n are the teeth.
    const centre = lm2(open, 13);
    const opening = Array.from(polygonPixels(img, inner)).sort((a, b) => Math.hypot((a % img.width) - centre[0], Math.floor(a / img.width) - centre[1]) - Math.hypot((b % img.width) - centre[0], Math.floor(b / img.width) - centre[1]));
    const lipPx = Array.from(polygonPixels(img, FACE_CONTOURS.lipsOuter.map((i) => lm2(face, i))));
    const lip = [0, 1, 2].map((c) => percentile(lipPx.map((k) => img.data[k * 3 + c]!), 0.5)) as Rgb;
    t.ok(opening.length * mmPerPx * mmPerPx > 20, `the opening holds more than 20 mm² (${(opening.length * mmPerPx * mmPerPx).toFixed(1)})`);

    /** mouth.closed on the photo with the opening painted: `teethMm2` of `tooth`, the rest `rest`. */
    const verdict = (teethMm2: number, tooth: Rgb, rest: Rgb): CheckResult => {
      const data = Buffer.from(img.data);
      const n = Math.round(teethMm2 / (mmPerPx * mmPerPx));
      opening.forEach((k, i) => data.set(i < n ? tooth : rest, k * 3));
      const painted: RgbImage = { data, width: img.width, height: img.height };
      return runChecks(buildContext(painted, { ...analysis, faces: [open] }), { only: ['mouth.closed'] })[0]!;
    };
    const shadedLip = shaded(lip, 0.35);
    const closed = runChecks(buildContext(img, analysis), { only: ['mouth.closed'] })[0]!;
    t.ok(closed.pass, `the closed mouth passes (${JSON.stringify(closed.value)})`);
    const fold = verdict(0, shadedLip, shadedLip);
    t.ok(fold.pass, `the opening filled with the lips' own colour in shade (×0.35 light) passes (${JSON.stringify(fold.value)})`);
    const small = verdict(5, IVORY, shadedLip);
    t.ok(small.pass, `5 mm² of teeth pass (${JSON.stringify(small.value)})`);
    const teeth = verdict(12, IVORY, shadedLip);
    t.notOk(teeth.pass, `12 mm² of teeth fail (${JSON.stringify(teeth.value)})`);
    t.ok(Math.abs((teeth.value as { teeth: number }).teeth - 12) < 1, 'read as 12 mm² at life size');
    t.same(teeth.hint, HINTS.closeMouth, 'with the hint to close the mouth');
    // Shaded down to the lips' own luminance: a tooth in the mouth's shade as dark as the lips.
    const asDarkAsLips = luminance(...lip) / luminance(...IVORY);
    const inShade = verdict(12, shaded(IVORY, asDarkAsLips), shadedLip);
    t.notOk(inShade.pass, `12 mm² of teeth in the mouth's shade, as dark as the lips (×${asDarkAsLips.toFixed(2)} light), still fail (${JSON.stringify(inShade.value)})`);
    // Both lips painted, then the opening: `upper`, `lower` and `gap` as Lab colours.
    const openingSet = new Set(opening);
    const lipOnly = (idx: readonly number[]) => Array.from(polygonPixels(img, idx.map((i) => lm2(open, i)))).filter((k) => !openingSet.has(k));
    const upperPx = lipOnly(FACE_CONTOURS.upperLip);
    const lowerPx = lipOnly(FACE_CONTOURS.lowerLip);
    const lipsAndGap = (upper: Lab, lower: Lab, gap: Lab): CheckResult => {
      const data = Buffer.from(img.data);
      for (const k of upperPx) data.set(fromLab(upper), k * 3);
      for (const k of lowerPx) data.set(fromLab(lower), k * 3);
      for (const k of opening) data.set(fromLab(gap), k * 3);
      return runChecks(buildContext({ data, width: img.width, height: img.height }, { ...analysis, faces: [open] }), { only: ['mouth.closed'] })[0]!;
    };
    // Redness a*/(L*+16) r at lightness L: the Lab colour (hue of lips: b* = a*/2).
    const red = (L: number, r: number): Lab => [L, r * (L + 16), (r * (L + 16)) / 2];
    // Two-tone lips (common on dark skin): a browner upper lip (redness 0.18) over a red lower
    // lip (0.36). The lip line between them at redness 0.12 is less red than half the lower
    // lip but not than half the upper: lip, not teeth (the less red lip is the reference).
    const twoTone = lipsAndGap(red(40, 0.18), red(50, 0.36), red(45, 0.12));
    t.ok(twoTone.pass, `two-tone lips, a lip line less red than half the red lip: passes (${JSON.stringify(twoTone.value)})`);
    t.notOk(lipsAndGap(red(40, 0.3), red(50, 0.36), red(45, 0.12)).pass, 'the same lip line between two red lips is teeth-coloured: fails');
    // Neutral but darker than the darkest lip: the lips' crease, where colour cannot be read.
    const crease = lipsAndGap(red(50, 0.3), red(50, 0.3), [38, 0, 0]);
    t.ok(crease.pass, `a grey gap darker than both lips (L* 38 against 50) passes (${JSON.stringify(crease.value)})`);
    t.notOk(lipsAndGap(red(50, 0.3), red(50, 0.3), [52, 0, 0]).pass, 'the same grey as light as the lips fails');
    const cavity = verdict(0, [22, 10, 12], [22, 10, 12]);
    t.notOk(cavity.pass, `the opening dark as a mouth's cavity fails (${JSON.stringify(cavity.value)})`);
    t.equal((cavity.value as { teeth: number }).teeth, 0, 'as cavity, not teeth');
  });
}
