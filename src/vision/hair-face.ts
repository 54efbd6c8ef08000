// Hair over the eyes ("Les cheveux ne doivent pas recouvrir le visage. Une frange peut être
// acceptée si elle ne recouvre pas les yeux", the official sheet): how far the hair that comes
// down from the crown reaches over each eye.
//
// Why this measure: a fringe is hair connected to the crown. Walking down columns above each
// eye from the top of the face mesh, every step whose colour is nearer the sitter's own crown
// hair than their own cheek skin is still hair; the first stretch of skin (forehead below a
// short fringe, or the lid skin between brow and lashes) ends it. A fringe that stops on the
// forehead or on the brows stops there; one over the eye does not stop before the lid margin.
// Comparing each pixel with the same person's hair and skin (not with fixed colours) is what
// lets one rule serve every skin and hair colour; where the two cannot be told apart (hair
// the colour of the skin: ΔE under `hairFaceMinSeparation`) the check says nothing rather
// than guess. The brows are hair-coloured, which is why the walk needs skin to stop: a fringe
// down to the brows reaches the lid skin under them and stops above the eye.
import type { FaceAnalysis, RgbImage } from './analysis.ts';
import { LM, faceFrame, fromFace, lm2, toFace, type EyeSide } from './geometry.ts';
import { hullPixels, lab, regionStats } from './photometry.ts';

type Lab = [number, number, number];

export interface HairOverEyes {
  /**
   * How far the hair reaches below the upper lid margin above the iris, in iris diameters, on
   * the worse eye (negative: it stops above the lid). Null: no hair to judge (bald, shaved,
   * or hair the colour of the skin).
   */
  reach: number | null;
  /** ΔE between the sitter's crown hair and cheek skin (lightness weighted half). */
  separation: number;
}

export interface HairOverEyesInput {
  image: RgbImage;
  face: FaceAnalysis;
  /** Colours of the crown (above the face mesh, on the person); empty or few: no hair there. */
  crown: readonly Lab[];
  /** Hair and skin closer than this (ΔE, lightness weighted half) cannot be told apart. */
  minSeparation: number;
}

/** Distance with lightness counted half: shade and sheen change L* far more than a*b*. */
const dist = (c: Lab, r: Lab) => Math.hypot((c[0] - r[0]) / 2, c[1] - r[1], c[2] - r[2]);

function median(values: number[]): number {
  const v = values.slice().sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)]! : 0;
}

/** Upper lid landmark above the pupil, per side. */
const UPPER_LID: Record<EyeSide, number> = { right: 159, left: 386 };

export function hairOverEyes(input: HairOverEyesInput): HairOverEyes {
  const { image, face, crown } = input;
  if (crown.length < 20) return { reach: null, separation: 0 };
  const hair: Lab = [median(crown.map((c) => c[0])), median(crown.map((c) => c[1])), median(crown.map((c) => c[2]))];
  const cheeks = [LM.cheeks.right, LM.cheeks.left].map((idx) => regionStats(image, hullPixels(image, [...idx].map((i) => lm2(face, i)))));
  const skin: Lab = [(cheeks[0]!.l50 + cheeks[1]!.l50) / 2, (cheeks[0]!.a + cheeks[1]!.a) / 2, (cheeks[0]!.b + cheeks[1]!.b) / 2];
  const separation = dist(hair, skin);
  if (separation < input.minSeparation) return { reach: null, separation };

  const ff = faceFrame(face);
  const ed = ff.eyeDistance;
  const step = Math.max(0.5, 0.01 * ed);
  // A stretch of skin 1.6 % of the eye distance long (≈ 1 mm: the lid skin an open eye shows
  // between a fringe and the lashes) ends the hair; shorter gaps are between strands, which the
  // box average below also blurs over.
  const skinRun = Math.max(2, Math.round((0.016 * ed) / step));
  const half = Math.max(1, Math.round(0.006 * ed));
  const d = image.data;
  /** Mean colour of a small box (strands and JPEG noise averaged), or undefined off the image. */
  const colourAt = (x: number, y: number): Lab | undefined => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi - half < 0 || yi - half < 0 || xi + half >= image.width || yi + half >= image.height) return undefined;
    let r = 0;
    let g = 0;
    let b = 0;
    let n = 0;
    for (let v = yi - half; v <= yi + half; v++) {
      for (let u = xi - half; u <= xi + half; u++) {
        const o = (v * image.width + u) * 3;
        r += d[o]!;
        g += d[o + 1]!;
        b += d[o + 2]!;
        n++;
      }
    }
    return lab(Math.round(r / n), Math.round(g / n), Math.round(b / n));
  };
  const top = toFace(ff, lm2(face, LM.foreheadTop))[1];
  let worst = -Infinity;
  for (const side of ['right', 'left'] as const) {
    const iris = face.irises?.[side];
    const lid = toFace(ff, lm2(face, UPPER_LID[side]));
    const centre = iris ? toFace(ff, iris.centre) : lid;
    const radius = iris?.radius ?? 0.1 * ed;
    // Columns across the iris: the part of the eye that hair must not hide. The eye's reach is
    // the median column's: a lock over the eye covers the iris across, while a fringe whose
    // ends touch the lid at one side of the iris leaves the eye seen.
    const reaches: number[] = [];
    for (let c = -2; c <= 2; c++) {
      const x = centre[0] + (c / 2) * 0.8 * radius;
      let y = top;
      let lastHair = top - step;
      let skinSeen = 0;
      // Down to the lower edge of the iris at most: below that the hair already hides the eye.
      for (; y <= centre[1] + radius; y += step) {
        const colour = colourAt(...fromFace(ff, [x, y]));
        if (!colour) break;
        if (dist(colour, hair) < dist(colour, skin)) {
          lastHair = y;
          skinSeen = 0;
        } else if (++skinSeen >= skinRun) break;
      }
      reaches.push((lastHair - lid[1]) / (2 * radius));
    }
    worst = Math.max(worst, median(reaches));
  }
  return { reach: Math.round(worst * 1000) / 1000, separation: Math.round(separation * 100) / 100 };
}
