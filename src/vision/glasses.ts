// Are there glasses on the face? The lens checks (glasses.tint, glasses.glare) judge lenses, so
// they run only where glasses are found: dark skin round bare eyes is not a tinted lens.
//
// Read from principle on the face's own frame (x along the eye line, y down the face, in eye
// distances), on a small grid of L*a*b* cells around the eyes:
// - a spectacle frame crosses the nose between the eyes at eye level (the bridge: a bar with two
//   parallel edges running across the nose, of another colour than the skin on both sides). Skin
//   makes no such bar there: the nose's shading runs down it, brows and lashes lie above and on
//   the lids. (The rims were tried as a second cue, a bar under or beside each eye: dark circles,
//   eye bags and smile folds make such bars on bare faces, and thin metal rims read weaker than
//   them, so they are not used.)
// - sunglasses are a dark, uniform patch over each eye: the eye's white and the lids' skin, which
//   make a bare eye's lightness vary widely, are behind one dark filter.
import type { FaceAnalysis, RgbImage } from './analysis.ts';
import { eyeCentre, faceFrame, toFace } from './geometry.ts';
import { LIMITS } from './limits.ts';
import { LINEAR, percentile } from './photometry.ts';

export type GlassesKind = 'none' | 'spectacles' | 'sunglasses';

export interface GlassesReading {
  kind: GlassesKind;
  /** Colour contrast (ΔE*ab) of the strongest bar across the nose between the eyes, the same on every column. */
  bridge: number;
  /** The lighter eye's lens area against the cheek skin below it, in linear light. */
  lensLight: number;
  /** Spread of L* (p75 − p25) in the lens area, the more textured eye. */
  lensSpread: number;
}

/** Grid cell, in eye distances (≈ 1.3 mm on an adult face: a frame member of 1-2 mm spans one or two). */
const CELL = 0.02;
/** The grid: x −1.0..1.0, y −0.5..1.0 of the eye distance around the eye midpoint. */
const X0 = -1.0;
const Y0 = -0.5;
const NX = Math.round(2.0 / CELL);
const NY = Math.round(1.5 / CELL);

/** L*, a*, b* per cell of the face-frame grid (NaN where no pixel fell: outside the image). */
interface LabGrid {
  L: Float32Array;
  A: Float32Array;
  B: Float32Array;
}

const fLab = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
/** CIE L*a*b* (D65) of a colour given in linear sRGB light. */
function labOfLinear(r: number, g: number, b: number): [number, number, number] {
  const fx = fLab((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const fy = fLab(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const fz = fLab((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/** Each cell's light averaged in linear RGB (as the lens of a coarser camera would), then as L*a*b*. */
function labGrid(image: RgbImage, face: FaceAnalysis): LabGrid {
  const ff = faceFrame(face);
  const u = ff.eyeDistance;
  const sums = [new Float64Array(NX * NY), new Float64Array(NX * NY), new Float64Array(NX * NY)] as const;
  const count = new Uint32Array(NX * NY);
  // Bounding box of the grid in image pixels.
  const corners = [
    [X0, Y0],
    [X0 + NX * CELL, Y0],
    [X0, Y0 + NY * CELL],
    [X0 + NX * CELL, Y0 + NY * CELL],
  ].map(([x, y]) => [ff.eyeMid[0] + u * (x! * ff.ex[0] + y! * ff.ey[0]), ff.eyeMid[1] + u * (x! * ff.ex[1] + y! * ff.ey[1])]);
  const xMin = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[0]!))));
  const xMax = Math.min(image.width - 1, Math.ceil(Math.max(...corners.map((c) => c[0]!))));
  const yMin = Math.max(0, Math.floor(Math.min(...corners.map((c) => c[1]!))));
  const yMax = Math.min(image.height - 1, Math.ceil(Math.max(...corners.map((c) => c[1]!))));
  const d = image.data;
  const [sR, sG, sB] = sums;
  // Every pixel on small faces; on large ones every other pixel or more, still 2 x 2 per cell.
  const step = Math.max(1, Math.round((CELL * u) / 2));
  for (let y = yMin; y <= yMax; y += step) {
    for (let x = xMin; x <= xMax; x += step) {
      const dx = x - ff.eyeMid[0];
      const dy = y - ff.eyeMid[1];
      const i = Math.floor(((dx * ff.ex[0] + dy * ff.ex[1]) / u - X0) / CELL);
      const j = Math.floor(((dx * ff.ey[0] + dy * ff.ey[1]) / u - Y0) / CELL);
      if (i < 0 || j < 0 || i >= NX || j >= NY) continue;
      const o = (y * image.width + x) * 3;
      const k = j * NX + i;
      sR[k] = sR[k]! + LINEAR[d[o]!]!;
      sG[k] = sG[k]! + LINEAR[d[o + 1]!]!;
      sB[k] = sB[k]! + LINEAR[d[o + 2]!]!;
      count[k] = count[k]! + 1;
    }
  }
  const grid = { L: new Float32Array(NX * NY).fill(NaN), A: new Float32Array(NX * NY).fill(NaN), B: new Float32Array(NX * NY).fill(NaN) };
  for (let k = 0; k < NX * NY; k++) {
    const n = count[k]!;
    if (!n) continue;
    const [l, a, b] = labOfLinear(sR[k]! / n, sG[k]! / n, sB[k]! / n);
    grid.L[k] = l;
    grid.A[k] = a;
    grid.B[k] = b;
  }
  return grid;
}

const col = (x: number) => Math.round((x - X0) / CELL);
const row = (y: number) => Math.round((y - Y0) / CELL);

/**
 * The strongest bar crossing a band of the grid: along `along` (rows when 'y': a bar running
 * across the columns), over the band's lines from `lo` to `hi`, and across it from `a` to `b`
 * (face units). A bar of width 1-6 cells differs in colour from the two cells on each side of
 * it (a dark frame on light skin, a gold or silver one on any skin): per line and per L*, a*, b*
 * channel, the step into the bar that both its sides share (an edge between two areas or a
 * gradient of shading has one side alike: 0); the median of each over the lines crossing the
 * band, so the bar must run across the whole band (a mole, a lash, a pore affects a few lines,
 * noise has no sign); their length is the bar's contrast in ΔE*ab (0: none).
 */
function strongestBar(grid: LabGrid, along: 'x' | 'y', lo: number, hi: number, a: number, b: number): number {
  const index = (line: number, pos: number) => (along === 'y' ? pos * NX + line : line * NX + pos);
  const [l0, l1] = along === 'y' ? [col(a), col(b)] : [row(a), row(b)];
  const [p0, p1] = along === 'y' ? [row(lo), row(hi)] : [col(lo), col(hi)];
  const mean = (line: number, from: number, to: number): [number, number, number] => {
    let l = 0;
    let aa = 0;
    let bb = 0;
    for (let q = from; q < to; q++) {
      const k = index(line, q);
      l += grid.L[k]!;
      aa += grid.A[k]!;
      bb += grid.B[k]!;
    }
    const n = to - from;
    return [l / n, aa / n, bb / n];
  };
  // Per channel, the part of a line's step into the bar that both sides share (0 when the bar is
  // between its sides, as an edge or a gradient is): signed, so that noise, which has no
  // sign from line to line, falls out of the median.
  const shared = (before: number, inside: number, after: number) => {
    const b1 = inside - before;
    const b2 = inside - after;
    return b1 > 0 && b2 > 0 ? Math.min(b1, b2) : b1 < 0 && b2 < 0 ? Math.max(b1, b2) : 0;
  };
  let best = 0;
  const lines = l1 - l0 + 1;
  const parts = [new Float32Array(lines), new Float32Array(lines), new Float32Array(lines)] as const;
  for (let width = 1; width <= 6; width++) {
    for (let p = p0; p + width - 1 <= p1; p++) {
      let n = 0;
      for (let line = l0; line <= l1; line++) {
        const inside = mean(line, p, p + width);
        const before = mean(line, p - 2, p);
        const after = mean(line, p + width, p + width + 2);
        if (![...inside, ...before, ...after].every(Number.isFinite)) continue;
        parts.forEach((part, ch) => (part[n] = shared(before[ch]!, inside[ch]!, after[ch]!)));
        n++;
      }
      if (n < lines / 2) continue;
      best = Math.max(best, Math.hypot(...parts.map((part) => percentile(part.subarray(0, n), 0.5))));
    }
  }
  return best;
}

function cells(grid: Float32Array, x0: number, x1: number, y0: number, y1: number): number[] {
  const out: number[] = [];
  for (let j = row(y0); j <= row(y1); j++) for (let i = col(x0); i <= col(x1); i++) if (Number.isFinite(grid[j * NX + i]!)) out.push(grid[j * NX + i]!);
  return out;
}

const linear = (l: number) => (l > 8 ? ((l + 16) / 116) ** 3 : l / (24389 / 27));

/**
 * What is on the eyes: sunglasses (both lens areas dark and flat), spectacles (a frame's bridge
 * across the nose), or nothing. Works on a grid of about 100 x 75 cells round the eyes: ≈ 1-2 ms.
 */
export function readGlasses(image: RgbImage, face: FaceAnalysis): GlassesReading {
  const ff = faceFrame(face);
  const grid = labGrid(image, face);
  // The bridge: a bar across the nose between the eyes, from above the upper lids to the eye line.
  const bridge = strongestBar(grid, 'y', -0.32, 0.1, -0.08, 0.08);
  // The lens areas (eye, lids and the skin round them), and the cheek skin below them (below any
  // lens, beside the nose).
  const cheek = percentile([...cells(grid.L, -0.7, -0.3, 0.55, 0.8), ...cells(grid.L, 0.3, 0.7, 0.55, 0.8)], 0.5);
  const lens = (['right', 'left'] as const).map((side) => {
    const cx = toFace(ff, eyeCentre(face, side))[0] / ff.eyeDistance;
    const l = cells(grid.L, cx - 0.22, cx + 0.22, -0.12, 0.15);
    return { light: linear(percentile(l, 0.5)) / Math.max(1e-6, linear(cheek)), spread: percentile(l, 0.75) - percentile(l, 0.25) };
  });
  const lensLight = Math.max(...lens.map((e) => e.light));
  const lensSpread = Math.max(...lens.map((e) => e.spread));
  const sunglasses = lensLight <= LIMITS.sunglassesMaxLight.value && lensSpread <= LIMITS.sunglassesMaxSpreadL.value;
  const kind: GlassesKind = sunglasses ? 'sunglasses' : bridge >= LIMITS.glassesBridgeMinL.value ? 'spectacles' : 'none';
  return { kind, bridge, lensLight, lensSpread };
}
