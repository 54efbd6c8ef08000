// A fringe made of the sitter's own hair, for the hair-over-the-eyes variants
// (tools/make-face-fixtures.ts) and the hair.face limit test (test/vision/hair-face.test.ts).
// In each column over the forehead (between the brows' outer ends), the hair of the crown (a
// band starting just under the top of the person silhouette in that column, 12 % of the face
// width tall) is repeated downwards, mirrored at each repeat as hanging hair continues, down to
// `bottom` (an image row), with a soft lower edge (1.5 % of the face width) that waves (±2 %).
// Blended in linear light. Nothing is drawn: every pixel put over the face is the sitter's own.
import type { FaceAnalysis, RgbImage } from '../src/vision/analysis.ts';
import { LM, lm2 } from '../src/vision/geometry.ts';
import { toLinear, toSrgb } from './srgb.ts';


/** The image row a fringe ends at: the middle of the brows, or half an iris radius under the iris centres. */
export function fringeTo(face: FaceAnalysis, where: 'brows' | 'eyes'): number {
  if (where === 'brows') return (lm2(face, 105)[1] + lm2(face, 334)[1]) / 2;
  const fw = Math.abs(lm2(face, LM.leftCheekEdge)[0] - lm2(face, LM.rightCheekEdge)[0]);
  const irisY = (side: 'right' | 'left') => face.irises?.[side].centre[1] ?? lm2(face, side === 'right' ? 159 : 386)[1];
  return (irisY('right') + irisY('left')) / 2 + 0.5 * (face.irises?.right.radius ?? 0.02 * fw);
}

/** `mask`: the person mask (0..1) at the image's size; `wave`: the lower edge's waving, in face widths. */
export function fringe(img: RgbImage, face: FaceAnalysis, mask: Float32Array, bottom: number, wave = 0.02): RgbImage {
  const out = Buffer.from(img.data);
  const W = img.width;
  const fw = Math.abs(lm2(face, LM.leftCheekEdge)[0] - lm2(face, LM.rightCheekEdge)[0]);
  const xs = [lm2(face, 70)[0], lm2(face, 300)[0]].sort((a, b) => a - b) as [number, number];
  const x0 = Math.round(xs[0] - 0.03 * fw);
  const x1 = Math.round(xs[1] + 0.03 * fw);
  const band = Math.max(4, Math.round(0.12 * fw));
  const edge = Math.max(1, 0.015 * fw);
  for (let x = Math.max(0, x0); x <= Math.min(W - 1, x1); x++) {
    let crown = 0;
    while (crown < img.height && mask[crown * W + x]! < 0.5) crown++;
    const b0 = Math.round(crown + 0.03 * fw);
    const b1 = b0 + band;
    const end = bottom + wave * fw * Math.sin((x - x0) / (0.07 * fw));
    for (let y = b1; y < Math.min(img.height, end + edge); y++) {
      const k = (y - b1) % (2 * band);
      const sy = k < band ? b1 - 1 - k : b0 + (k - band);
      const a = Math.min(1, Math.max(0, (end + edge - y) / edge));
      for (let ch = 0; ch < 3; ch++) {
        const o = (y * W + x) * 3 + ch;
        out[o] = toSrgb(a * toLinear(img.data[(sy * W + x) * 3 + ch]!) + (1 - a) * toLinear(img.data[o]!));
      }
    }
  }
  return { ...img, data: out };
}
