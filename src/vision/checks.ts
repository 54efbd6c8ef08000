// The ANTS rules as checks: each measures one value on the analysed photo, compares it with its
// limit (limits.ts) and, when it fails, says what to do (hints.ts). Ids are a contract
// (DESIGN.md, "Validation report"). Order = the order of the report and the priority of live
// guidance: what the customer can fix first (be there, alone, at the right distance and
// height, facing the lens) comes before what depends on it.
import type { FaceAnalysis, ImageAnalysis, Point, RgbImage } from './analysis.ts';
import {
  EYE_DISTANCE_MM,
  LM,
  dist,
  eyeCentre,
  eyeGaze,
  eyeOpening,
  faceFrame,
  facePolygon,
  headExtent,
  headPose,
  lm2,
  mouthShape,
  toFace,
  fromFace,
  type EyeSide,
  type HeadExtent,
} from './geometry.ts';
import { photoFrame, type PhotoFrame } from './frame.ts';
import { readGlasses, type GlassesReading } from './glasses.ts';
import { hairOverEyes } from './hair-face.ts';
import { FACE_CONTOURS } from './models/landmarks.ts';
import { HINTS, type Hint } from './hints.ts';
import { LIMITS, PHOTO } from './limits.ts';
import { boxReduce, edgeBlurSigma, fitQuadricSurface, solveNormalEquations, gaussianBlurAt, grayWindow, hullPixels, lab, lightness, luminance, percentile, percentiles, polygonPixels, regionStats } from './photometry.ts';

export const CHECK_IDS = [
  'face.count',
  'face.height',
  'face.centre',
  'head.pose',
  'gaze',
  'eyes.open',
  'mouth.closed',
  'expression.neutral',
  'exposure',
  'contrast',
  'sharpness',
  'colour',
  'background.plain',
  'background.light',
  'background.not-white',
  'shadow.face',
  'shadow.background',
  'glasses.tint',
  'glasses.glare',
  'headwear',
  'hair.face',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

/** Checks cheap enough for live guidance on preview frames (no whole-image photometry, no blur estimate). */
export const PREVIEW_CHECKS: readonly CheckId[] = ['face.count', 'face.height', 'face.centre', 'head.pose', 'gaze', 'eyes.open', 'mouth.closed', 'expression.neutral', 'exposure'];

export type CheckValue = number | boolean | Record<string, number> | null;

export interface CheckResult {
  id: CheckId;
  pass: boolean;
  /** What was measured (null when it could not be: no face). */
  value: CheckValue;
  /** The limit it was compared with (same shape as value, or a [min, max] range). */
  limit: CheckValue | [number, number];
  /** What to do, when the check fails. */
  hint: Hint | null;
}

export interface CheckContext {
  image: RgbImage;
  analysis: ImageAnalysis;
  /** The sitter: the largest face. */
  face: FaceAnalysis | undefined;
  head: HeadExtent | undefined;
  frame: PhotoFrame;
  /** The file had no colour (gray JPEG/PNG). */
  grayscaleSource: boolean;
  /**
   * The photographed part of the image, a convex polygon (a booth crop that reaches past the
   * capture repeats its edge beyond it: crop.ts, LevelledWindow); undefined = all of it.
   */
  captured?: readonly Point[];
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r2 = (v: number) => Math.round(v * 100) / 100;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const stops = (a: number, b: number) => Math.abs(Math.log2(Math.max(1e-6, a) / Math.max(1e-6, b)));

export function buildContext(image: RgbImage, analysis: ImageAnalysis, grayscaleSource = false, captured?: readonly Point[]): CheckContext {
  const faces = countedFaces(analysis);
  const face = faces[0];
  const head = face ? headExtent(face) : undefined;
  return { image, analysis, face, head, frame: photoFrame(image.width, image.height, head), grayscaleSource, ...(captured ? { captured } : {}) };
}

/** Faces that count as people: confident, and not tiny next to the sitter. */
export function countedFaces(analysis: ImageAnalysis): FaceAnalysis[] {
  const confident = analysis.faces.filter((f) => f.score >= LIMITS.faceMinScore.value).sort((a, b) => b.box.height - a.box.height);
  const main = confident[0];
  if (!main) return [];
  return confident.filter((f) => f.box.height >= LIMITS.secondFaceMinSize.value * main.box.height);
}

/** glasses.tint's and glasses.glare's `glasses` value: what glasses.ts found on the eyes. */
export const GLASSES_CODE: Record<GlassesReading['kind'], number> = { none: 0, spectacles: 1, sunglasses: 2 };

const noFace = (id: CheckId): CheckResult => ({ id, pass: false, value: null, limit: null, hint: HINTS.noFace });

// ---------------------------------------------------------------------------------------------
// Regions

/** Pixel sampling step so a region of `area` pixels yields about `target` samples. */
const stepFor = (area: number, target = 40_000) => Math.max(1, Math.floor(Math.sqrt(area / target)));

function facePixels(ctx: CheckContext, face: FaceAnalysis): Int32Array {
  const poly = facePolygon(face);
  const frame = faceFrame(face);
  // Skin only: the face oval without the eyes, brows and mouth is what exposure and contrast see;
  // keep the whole oval (features included) — contrast needs them.
  const step = stepFor(frame.eyeDistance * frame.eyeDistance * 3, 15_000);
  return polygonPixels(ctx.image, poly, step);
}

function patch(ctx: CheckContext, face: FaceAnalysis, idx: readonly number[]): Int32Array {
  return hullPixels(ctx.image, idx.map((i) => lm2(face, i)));
}

interface Background {
  /** Pixel indices of the working (downsampled) grid that are background. */
  cells: number[];
  /** Lab and linear Y per grid cell. */
  L: Float32Array;
  A: Float32Array;
  B: Float32Array;
  Y: Float32Array;
  w: number;
  h: number;
  /** Cell size (pixels) and the image position of cell (0, 0). */
  cell: number;
  x0: number;
  y0: number;
}

/** The photo frame on a grid of cells about 1 % of the frame height each: Lab and linear Y per cell. */
interface Grid {
  L: Float32Array;
  A: Float32Array;
  B: Float32Array;
  Y: Float32Array;
  /** Texture: coefficient of variation of the pixels' luminance inside each cell. */
  T: Float32Array;
  w: number;
  h: number;
  /** Cell size (pixels) and the image position of cell (0, 0). */
  cell: number;
  x0: number;
  y0: number;
}

function frameGrid(ctx: CheckContext): Grid | undefined {
  const { frame, image } = ctx;
  const cell = Math.max(1, Math.round(frame.height / 120));
  const x0 = Math.max(0, Math.round(frame.x));
  const y0 = Math.max(0, Math.round(frame.y));
  const x1 = Math.min(image.width, Math.round(frame.x + frame.width));
  const y1 = Math.min(image.height, Math.round(frame.y + frame.height));
  const w = Math.floor((x1 - x0) / cell);
  const h = Math.floor((y1 - y0) / cell);
  if (w < 4 || h < 4) return undefined;
  const L = new Float32Array(w * h);
  const A = new Float32Array(w * h);
  const B = new Float32Array(w * h);
  const Y = new Float32Array(w * h);
  const T = new Float32Array(w * h);
  const d = image.data;
  // A band of cells at a time, its pixel rows read in memory order: each cell's sums take its
  // pixels in the same order as a cell-by-cell walk (row by row, left to right), so the sums
  // are the same numbers bit for bit, without striding across the image for every cell.
  const R = new Float64Array(w);
  const G = new Float64Array(w);
  const Bs = new Float64Array(w);
  const Ysum = new Float64Array(w);
  const Y2sum = new Float64Array(w);
  const n = cell * cell;
  for (let gy = 0; gy < h; gy++) {
    R.fill(0);
    G.fill(0);
    Bs.fill(0);
    Ysum.fill(0);
    Y2sum.fill(0);
    for (let yy = 0; yy < cell; yy++) {
      let o = ((y0 + gy * cell + yy) * image.width + x0) * 3;
      for (let gx = 0; gx < w; gx++) {
        let r = R[gx]!;
        let g = G[gx]!;
        let b = Bs[gx]!;
        let y = Ysum[gx]!;
        let y2 = Y2sum[gx]!;
        for (let xx = 0; xx < cell; xx++, o += 3) {
          const pr = d[o]!;
          const pg = d[o + 1]!;
          const pb = d[o + 2]!;
          r += pr;
          g += pg;
          b += pb;
          const lum = luminance(pr, pg, pb);
          y += lum;
          y2 += lum * lum;
        }
        R[gx] = r;
        G[gx] = g;
        Bs[gx] = b;
        Ysum[gx] = y;
        Y2sum[gx] = y2;
      }
    }
    for (let gx = 0; gx < w; gx++) {
      const y = Ysum[gx]!;
      const [l, a, bb] = lab(Math.round(R[gx]! / n), Math.round(G[gx]! / n), Math.round(Bs[gx]! / n));
      const k = gy * w + gx;
      L[k] = l;
      A[k] = a;
      B[k] = bb;
      Y[k] = y / n;
      T[k] = Math.sqrt(Math.max(0, Y2sum[gx]! / n - (y / n) ** 2)) / Math.max(1e-6, y / n);
    }
  }
  return { L, A, B, Y, T, w, h, cell, x0, y0 };
}

/**
 * Cells that are no picture: outside the photographed part of the image (a booth crop reaching
 * past the capture repeats the capture's edge there: copies, not the backdrop), and black cells
 * (L* below NO_PICTURE_L, what no lit backdrop photographs as) connected to the frame's edge
 * through black cells (an aligned portrait set's borders, a scanned photo's). Neither is the
 * backdrop, so neither a pattern nor a shadow on it.
 */
const NO_PICTURE_L = 3;
function outsidePicture(grid: Grid, captured: readonly Point[] | undefined): Uint8Array {
  const { w, h, L, cell, x0, y0 } = grid;
  const out = new Uint8Array(w * h);
  if (captured) {
    // A cell is photographed when its four corners are inside the capture's outline.
    const inside = (px: number, py: number) => insideConvex(captured, px, py);
    for (let gy = 0; gy < h; gy++) {
      for (let gx = 0; gx < w; gx++) {
        const ax = x0 + gx * cell;
        const ay = y0 + gy * cell;
        if (!(inside(ax, ay) && inside(ax + cell, ay) && inside(ax, ay + cell) && inside(ax + cell, ay + cell))) out[gy * w + gx] = 1;
      }
    }
  }
  const stack: number[] = [];
  for (let x = 0; x < w; x++) stack.push(x, (h - 1) * w + x);
  for (let y = 0; y < h; y++) stack.push(y * w, y * w + w - 1);
  const seen = new Uint8Array(w * h);
  while (stack.length) {
    const k = stack.pop()!;
    if (seen[k]) continue;
    seen[k] = 1;
    // Through cells already out (copies) or black.
    if (!out[k] && L[k]! >= NO_PICTURE_L) continue;
    out[k] = 1;
    const x = k % w;
    if (x > 0) stack.push(k - 1);
    if (x < w - 1) stack.push(k + 1);
    if (k >= w) stack.push(k - w);
    if (k < (h - 1) * w) stack.push(k + w);
  }
  return out;
}

/** Whether (x, y) lies inside (or on) the convex polygon `poly` (either winding). */
function insideConvex(poly: readonly Point[], x: number, y: number): boolean {
  let sign = 0;
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i]!;
    const b = poly[(i + 1) % poly.length]!;
    const cross = (b[0] - a[0]) * (y - a[1]) - (b[1] - a[1]) * (x - a[0]);
    if (Math.abs(cross) < 1e-9) continue;
    const s = Math.sign(cross);
    if (sign === 0) sign = s;
    else if (s !== sign) return false;
  }
  return true;
}

/** Whether the segmentation says "person" anywhere within `reach` pixels of image point p (5 samples: centre and 4 directions). */
const NEAR_OFFSETS = [0, 0, -1, 0, 1, 0, 0, -1, 0, 1] as const;
function nearPerson(ctx: CheckContext, px: number, py: number, reach: number): boolean {
  const mask = ctx.analysis.segmentation;
  if (!mask) return false;
  const { width: iw, height: ih } = ctx.image;
  const { width: mw, height: mh, data } = mask;
  for (let s = 0; s < 10; s += 2) {
    // ±1 x reach is exactly ±reach: the same sample points as offsetting by ±reach.
    const mx = Math.min(mw - 1, Math.max(0, Math.floor(((px + NEAR_OFFSETS[s]! * reach) / iw) * mw)));
    const my = Math.min(mh - 1, Math.max(0, Math.floor(((py + NEAR_OFFSETS[s + 1]! * reach) / ih) * mh)));
    if (data[my * mw + mx]! >= 64) return true;
  }
  return false;
}

/** Person probability (0..1) of the segmentation at image point p (nearest sample); undefined without a mask. */
function personAt(ctx: CheckContext, x: number, y: number): number | undefined {
  const mask = ctx.analysis.segmentation;
  if (!mask) return undefined;
  const mx = Math.min(mask.width - 1, Math.max(0, Math.floor((x / ctx.image.width) * mask.width)));
  const my = Math.min(mask.height - 1, Math.max(0, Math.floor((y / ctx.image.height) * mask.height)));
  return mask.data[my * mask.width + mx]! / 255;
}

/**
 * The background: inside the photo frame, above the chin line, outside an ellipse around the
 * head generous enough for hair; with a segmentation mask, also only where the mask (eroded by
 * 1 % of the frame) says background; without one, the shoulders' zone is left out geometrically.
 * Measured on a grid of cells averaging about 1 % of the frame height each.
 */
function background(ctx: CheckContext, cache: Map<string, unknown>): Background | undefined {
  const { frame, head } = ctx;
  if (!head || !ctx.face) return undefined;
  const grid = cached(cache, 'grid', () => frameGrid(ctx));
  if (!grid) return undefined;
  const { w, h, cell, x0, y0 } = grid;
  const outside = cached(cache, 'outside', () => outsidePicture(grid, ctx.captured));
  const ff = faceFrame(ctx.face);
  const chinF = toFace(ff, head.chin);
  const headH = head.height;
  // Head + hair ellipse in the face frame: centred on the head, 1.25 x the head height tall,
  // 1.1 x the head height wide (hair volume), and everything below the chin line is the body.
  const cF = toFace(ff, head.centre);
  const ax = 0.55 * headH;
  const ay = 0.62 * headH;
  const mask = ctx.analysis.segmentation;
  const cells: number[] = [];
  for (let gy = 0; gy < h; gy++) {
    for (let gx = 0; gx < w; gx++) {
      const px: Point = [x0 + (gx + 0.5) * cell, y0 + (gy + 0.5) * cell];
      const p = toFace(ff, px);
      if (p[1] > chinF[1]) continue;
      if (outside[gy * w + gx]) continue;
      // Background only well away from the person's outline (soft mask edges hold hair and
      // blending): every mask sample within 1 % of the frame height must be background.
      if (mask && nearPerson(ctx, px[0], px[1], 0.01 * frame.height)) continue;
      // The head-and-hair ellipse is excluded with or without a mask: segmentation models miss
      // loose hair, which is not background either.
      const ex = (p[0] - cF[0]) / ax;
      const ey = (p[1] - cF[1]) / ay;
      if (ex * ex + ey * ey <= 1) continue;
      // Shoulders: from the chin line up to a quarter head above it, the body widens.
      if (!mask && p[1] > chinF[1] - 0.25 * headH && Math.abs(p[0] - cF[0]) < 0.9 * headH) continue;
      cells.push(gy * w + gx);
    }
  }
  if (cells.length < 8) return undefined;
  return { cells, L: grid.L, A: grid.A, B: grid.B, Y: grid.Y, w, h, cell, x0, y0 };
}

/**
 * The backdrop as the camera sees it around the head and shoulders, for cast shadows: every
 * cell of the photo frame whose neighbourhood (2 % of the frame height, to keep clear of hair
 * the segmentation softens) the person mask calls background, beside the head and below the
 * chin included: that is where a shadow cast by a light beside the camera falls. Cells that
 * are not the backdrop (hair the mask missed, objects: background.plain's business) are left
 * out by two properties a shadow keeps: it darkens the backdrop without changing its
 * chromaticity (a cell counts when its a*b* is within ΔE 6, the plain-background limit, of the
 * backdrop's scaled by the cell's lightness ratio), and without changing its texture (the
 * luminance's coefficient of variation inside a cell is a ratio, so light does not change it: a
 * cell more than three times as textured as the backdrop's median cell is hair or an object).
 * Without a mask, the geometric background of background() is used.
 */
function visibleBackdrop(ctx: CheckContext, cache: Map<string, unknown>): Background | undefined {
  if (!ctx.head || !ctx.face) return undefined;
  if (!ctx.analysis.segmentation) return cached(cache, 'background', () => background(ctx, cache));
  const grid = cached(cache, 'grid', () => frameGrid(ctx));
  if (!grid) return undefined;
  const { w, h, cell, x0, y0 } = grid;
  const outside = cached(cache, 'outside', () => outsidePicture(grid, ctx.captured));
  const reach = 0.02 * ctx.frame.height;
  const candidates: number[] = [];
  for (let gy = 0; gy < h; gy++) {
    for (let gx = 0; gx < w; gx++) {
      if (!outside[gy * w + gx] && !nearPerson(ctx, x0 + (gx + 0.5) * cell, y0 + (gy + 0.5) * cell, reach)) candidates.push(gy * w + gx);
    }
  }
  if (candidates.length < 8) return undefined;
  // The backdrop's own colour: the median of its brighter half (the lit part).
  const lMed = percentile(candidates.map((k) => grid.L[k]!), 0.5);
  const lit = candidates.filter((k) => grid.L[k]! >= lMed);
  const la = percentile(lit.map((k) => grid.A[k]!), 0.5);
  const lb = percentile(lit.map((k) => grid.B[k]!), 0.5);
  const lL = percentile(lit.map((k) => grid.L[k]!), 0.5);
  const texture = 3 * percentile(candidates.map((k) => grid.T[k]!), 0.5);
  const cells = candidates.filter((k) => {
    if (grid.T[k]! > texture) return false;
    // A darker copy of the backdrop colour: a* and b* shrink roughly with L* under less light.
    const s = Math.min(1, grid.L[k]! / Math.max(1, lL));
    return Math.hypot(grid.A[k]! - s * la, grid.B[k]! - s * lb) <= LIMITS.backgroundTextureMaxDeltaE.value;
  });
  if (cells.length < 8) return undefined;
  return { cells, L: grid.L, A: grid.A, B: grid.B, Y: grid.Y, w, h, cell, x0, y0 };
}

// ---------------------------------------------------------------------------------------------
// The checks

type Check = (ctx: CheckContext, cache: Map<string, unknown>) => CheckResult;

function cached<T>(cache: Map<string, unknown>, key: string, make: () => T): T {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key) as T;
}

const CHECKS: Record<CheckId, Check> = {
  'face.count': (ctx) => {
    const n = countedFaces(ctx.analysis).length;
    return { id: 'face.count', pass: n === 1, value: n, limit: 1, hint: n === 0 ? HINTS.noFace : n > 1 ? HINTS.severalFaces : null };
  },

  'face.height': (ctx) => {
    if (!ctx.head) return noFace('face.height');
    const mm = ctx.head.height * ctx.frame.mmPerPx;
    const min = LIMITS.faceHeightMinMm.value;
    const max = LIMITS.faceHeightMaxMm.value;
    return { id: 'face.height', pass: mm >= min && mm <= max, value: r2(mm), limit: [min, max], hint: mm < min ? HINTS.closer : mm > max ? HINTS.back : null };
  },

  'face.centre': (ctx) => {
    if (!ctx.head || !ctx.face) return noFace('face.centre');
    const { frame } = ctx;
    const ff = faceFrame(ctx.face);
    const offsetPct = ((ctx.head.centre[0] - (frame.x + frame.width / 2)) / frame.width) * 100;
    const eyeLinePct = ((frame.y + frame.height - ff.eyeMid[1]) / frame.height) * 100;
    const maxOff = LIMITS.faceCentreMaxOffsetPct.value;
    const lo = LIMITS.eyeLineMinPct.value;
    const hi = LIMITS.eyeLineMaxPct.value;
    const centred = Math.abs(offsetPct) <= maxOff;
    const level = eyeLinePct >= lo && eyeLinePct <= hi;
    // The image shows the subject mirrored: a face left of centre is to the subject's right.
    const hint = !centred ? (offsetPct < 0 ? HINTS.moveLeft : HINTS.moveRight) : !level ? (eyeLinePct < lo ? HINTS.seatUp : HINTS.seatDown) : null;
    return {
      id: 'face.centre',
      pass: centred && level,
      value: { offsetPct: r2(offsetPct), eyeLinePct: r2(eyeLinePct) },
      limit: { offsetPct: maxOff, eyeLineMinPct: lo, eyeLineMaxPct: hi },
      hint,
    };
  },

  'head.pose': (ctx) => {
    if (!ctx.face) return noFace('head.pose');
    const p = headPose(ctx.face);
    const yawOk = Math.abs(p.yawDeg) <= LIMITS.yawMaxDeg.value;
    const pitchOk = Math.abs(p.pitchDeg) <= LIMITS.pitchMaxDeg.value;
    const rollOk = Math.abs(p.rollDeg) <= LIMITS.rollMaxDeg.value;
    // pitchDeg > 0: the chin is raised (geometry.ts), so the customer lowers it.
    const hint = !yawOk ? (p.yawDeg > 0 ? HINTS.turnRight : HINTS.turnLeft) : !pitchOk ? (p.pitchDeg > 0 ? HINTS.chinDown : HINTS.chinUp) : !rollOk ? HINTS.straighten : null;
    return {
      id: 'head.pose',
      pass: yawOk && pitchOk && rollOk,
      value: { yawDeg: r2(p.yawDeg), pitchDeg: r2(p.pitchDeg), rollDeg: r2(p.rollDeg) },
      limit: { yawDeg: LIMITS.yawMaxDeg.value, pitchDeg: LIMITS.pitchMaxDeg.value, rollDeg: LIMITS.rollMaxDeg.value },
      hint,
    };
  },

  gaze: (ctx) => {
    const limit = { horizontalDeg: LIMITS.gazeMaxDeg.value, verticalDeg: LIMITS.gazeVerticalMaxDeg.value };
    if (!ctx.face) return noFace('gaze');
    const r = eyeGaze(ctx.face, 'right');
    const l = eyeGaze(ctx.face, 'left');
    if (!r || !l) return { id: 'gaze', pass: false, value: null, limit, hint: HINTS.openEyes };
    // Both eyes turn together when the gaze moves; their difference is vergence and the
    // asymmetry of the eye corners and lids, so the gaze is the common part.
    const horizontal = (r.horizontalDeg + l.horizontalDeg) / 2;
    const vertical = (r.verticalDeg + l.verticalDeg) / 2;
    const hOk = Math.abs(horizontal) <= limit.horizontalDeg;
    const vOk = Math.abs(vertical) <= limit.verticalDeg;
    // Looking down at a booth is looking at its screen: say where the lens is.
    const hint = hOk && vOk ? null : !vOk && vertical > 0 ? HINTS.lookUpAtLens : HINTS.lookAtLens;
    return { id: 'gaze', pass: hOk && vOk, value: { horizontalDeg: r2(horizontal), verticalDeg: r2(vertical) }, limit, hint };
  },

  'eyes.open': (ctx) => {
    if (!ctx.face) return noFace('eyes.open');
    const r = eyeOpening(ctx.face, 'right');
    const l = eyeOpening(ctx.face, 'left');
    if (r.irisVisible !== undefined && l.irisVisible !== undefined) {
      const v = Math.min(r.irisVisible, l.irisVisible);
      const pass = v >= LIMITS.irisVisibleMin.value;
      return { id: 'eyes.open', pass, value: r2(v), limit: LIMITS.irisVisibleMin.value, hint: pass ? null : HINTS.openEyes };
    }
    // No iris model: the eye aspect ratio, closed below 0.2 (Soukupová & Čech 2016).
    const v = Math.min(r.aspect, l.aspect);
    return { id: 'eyes.open', pass: v >= 0.2, value: r2(v), limit: 0.2, hint: v >= 0.2 ? null : HINTS.openEyes };
  },

  'mouth.closed': (ctx, cache) => {
    if (!ctx.face) return noFace('mouth.closed');
    const v = cached(cache, 'mouthOpen', () => betweenTheLips(ctx, ctx.face!));
    const pass = v.teethMm2 <= LIMITS.teethMaxMm2.value && v.cavity <= LIMITS.mouthOpenMax.value;
    return {
      id: 'mouth.closed',
      pass,
      value: { teeth: r1(v.teethMm2), cavity: r3(v.cavity) },
      limit: { teeth: LIMITS.teethMaxMm2.value, cavity: LIMITS.mouthOpenMax.value },
      hint: pass ? null : HINTS.closeMouth,
    };
  },

  'expression.neutral': (ctx) => {
    if (!ctx.face) return noFace('expression.neutral');
    const m = mouthShape(ctx.face);
    const emotion = ctx.face.emotion;
    // A smile is the model's "happy"; its other classes (sad, angry, fear, surprise, disgust)
    // are read on resting faces far more often (the model's between-people spread on neutral
    // faces, see emotionOtherMax), so each has its own limit.
    const happy = emotion?.happy ?? 0;
    let other = 0;
    if (emotion) for (const [k, p] of Object.entries(emotion)) if (k !== 'neutral' && k !== 'happy' && (p ?? 0) > other) other = p ?? 0;
    const liftOk = m.cornerLift <= LIMITS.smileLiftMax.value;
    const emotionOk = happy <= LIMITS.emotionHappyMax.value && other <= LIMITS.emotionOtherMax.value;
    return {
      id: 'expression.neutral',
      pass: liftOk && emotionOk,
      value: emotion ? { cornerLift: r3(m.cornerLift), happy: r2(happy), otherExpression: r2(other) } : r3(m.cornerLift),
      limit: emotion ? { cornerLift: LIMITS.smileLiftMax.value, happy: LIMITS.emotionHappyMax.value, otherExpression: LIMITS.emotionOtherMax.value } : LIMITS.smileLiftMax.value,
      hint: liftOk && emotionOk ? null : HINTS.neutral,
    };
  },

  exposure: (ctx, cache) => {
    if (!ctx.face) return noFace('exposure');
    const s = cached(cache, 'faceStats', () => regionStats(ctx.image, facePixels(ctx, ctx.face!)));
    const over = s.clipped > LIMITS.faceClippedMax.value;
    const under = s.crushed > LIMITS.faceCrushedMax.value || s.l95 < LIMITS.faceHighlightMinL.value;
    return {
      id: 'exposure',
      pass: !over && !under,
      value: { clipped: r3(s.clipped), crushed: r3(s.crushed), highlightL: r2(s.l95) },
      limit: { clipped: LIMITS.faceClippedMax.value, crushed: LIMITS.faceCrushedMax.value, highlightL: LIMITS.faceHighlightMinL.value },
      hint: over ? HINTS.tooBright : under ? HINTS.tooDark : null,
    };
  },

  contrast: (ctx, cache) => {
    if (!ctx.face) return noFace('contrast');
    const s = cached(cache, 'faceStats', () => regionStats(ctx.image, facePixels(ctx, ctx.face!)));
    const spread = s.l95 - s.l5;
    const pass = spread >= LIMITS.contrastMinL.value;
    return { id: 'contrast', pass, value: r2(spread), limit: LIMITS.contrastMinL.value, hint: pass ? null : HINTS.contrast };
  },

  sharpness: (ctx) => {
    if (!ctx.face || !ctx.head) return noFace('sharpness');
    const ff = faceFrame(ctx.face);
    // The eyes and brows hold the face's sharpest edges: a window from brow to nose tip.
    const half = Math.round(1.2 * ff.eyeDistance);
    const x0 = Math.round(ff.eyeMid[0] - half);
    const y0 = Math.round(ff.eyeMid[1] - 0.6 * ff.eyeDistance);
    const w = 2 * half;
    const h = Math.round(1.2 * ff.eyeDistance);
    // Measured at the coarsest integer scale f where the limit is still ≥ 2 pixels (the
    // estimator resolves σ from about 1 px): a 2028x1520 capture is read at f = 2, a 600 dpi
    // e-photo at f = 1. The f x f box average adds (f² − 1)/12 px² of blur variance, taken off.
    const f = Math.max(1, Math.floor(LIMITS.sharpnessMaxBlurMm.value / ctx.frame.mmPerPx / 2));
    const sw = Math.floor(w / f);
    const sh = Math.floor(h / f);
    const sigmaReduced = edgeBlurSigma(boxReduce(grayWindow(ctx.image, x0, y0, sw * f, sh * f), sw * f, sh * f, f), sw, sh);
    const sigmaPx = Math.sqrt(Math.max(0, (sigmaReduced * f) ** 2 - (f * f - 1) / 12));
    const mm = sigmaPx * ctx.frame.mmPerPx;
    const pass = Number.isFinite(mm) && mm <= LIMITS.sharpnessMaxBlurMm.value;
    return { id: 'sharpness', pass, value: Number.isFinite(mm) ? r3(mm) : null, limit: LIMITS.sharpnessMaxBlurMm.value, hint: pass ? null : HINTS.holdStill };
  },

  colour: (ctx, cache) => {
    if (!ctx.face) return noFace('colour');
    const s = cached(cache, 'faceStats', () => regionStats(ctx.image, facePixels(ctx, ctx.face!)));
    const chroma = ctx.grayscaleSource ? 0 : s.chroma;
    const pass = chroma >= LIMITS.colourMinChroma.value;
    return { id: 'colour', pass, value: r2(chroma), limit: LIMITS.colourMinChroma.value, hint: pass ? null : HINTS.colour };
  },

  'background.plain': (ctx, cache) => {
    const bg = cached(cache, 'background', () => background(ctx, cache));
    if (!bg) return { id: 'background.plain', pass: false, value: null, limit: LIMITS.backgroundTextureMaxDeltaE.value, hint: ctx.face ? HINTS.back : HINTS.noFace };
    const v = backdropNonPlainness(ctx, cache, bg);
    const pass = v <= LIMITS.backgroundTextureMaxDeltaE.value;
    return { id: 'background.plain', pass, value: r2(v), limit: LIMITS.backgroundTextureMaxDeltaE.value, hint: pass ? null : HINTS.backgroundPlain };
  },

  'background.light': (ctx, cache) => {
    const bg = cached(cache, 'background', () => background(ctx, cache));
    if (!bg) return { id: 'background.light', pass: false, value: null, limit: LIMITS.backgroundMinL.value, hint: ctx.face ? HINTS.back : HINTS.noFace };
    // The backdrop's own lightness: the median of its brighter half, its lit part (as the
    // cast-shadow check reads it): a lamp's fall-off and vignetting darken the frame's edges of
    // a light backdrop without making it a dark one.
    const l = percentile(bg.cells.map((k) => bg.L[k]!), 0.75);
    const pass = l >= LIMITS.backgroundMinL.value;
    return { id: 'background.light', pass, value: r2(l), limit: LIMITS.backgroundMinL.value, hint: pass ? null : HINTS.backgroundLight };
  },

  'background.not-white': (ctx, cache) => {
    const bg = cached(cache, 'background', () => background(ctx, cache));
    const limit = { minL: LIMITS.backgroundWhiteMinL.value, maxChroma: LIMITS.backgroundWhiteMaxChroma.value };
    if (!bg) return { id: 'background.not-white', pass: false, value: null, limit, hint: ctx.face ? HINTS.back : HINTS.noFace };
    const l = percentile(bg.cells.map((k) => bg.L[k]!), 0.5);
    const c = percentile(bg.cells.map((k) => Math.hypot(bg.A[k]!, bg.B[k]!)), 0.5);
    const white = l >= limit.minL && c <= limit.maxChroma;
    return { id: 'background.not-white', pass: !white, value: { L: r2(l), chroma: r2(c) }, limit, hint: white ? HINTS.backgroundWhite : null };
  },

  'shadow.face': (ctx) => {
    if (!ctx.face) return noFace('shadow.face');
    const face = ctx.face;
    const side = (k: 'right' | 'left') => {
      const px = [...patch(ctx, face, LM.cheeks[k]), ...patch(ctx, face, LM.foreheadPatch[k])];
      return regionStats(ctx.image, px).meanY;
    };
    const v = stops(side('right'), side('left'));
    const pass = v <= LIMITS.faceShadowMaxStops.value;
    return { id: 'shadow.face', pass, value: r2(v), limit: LIMITS.faceShadowMaxStops.value, hint: pass ? null : HINTS.faceShadow };
  },

  'shadow.background': (ctx, cache) => {
    const limit = LIMITS.backgroundShadowMaxStops.value;
    const bg = cached(cache, 'backdrop', () => visibleBackdrop(ctx, cache));
    if (!bg) return { id: 'shadow.background', pass: false, value: null, limit, hint: ctx.face ? HINTS.back : HINTS.noFace };
    const v = castShadowDepth(bg);
    const pass = v <= limit;
    return { id: 'shadow.background', pass, value: r2(v), limit, hint: pass ? null : HINTS.backgroundShadow };
  },

  'glasses.tint': (ctx, cache) => {
    if (!ctx.face) return noFace('glasses.tint');
    const face = ctx.face;
    // Lenses are judged only where glasses are found (glasses.ts): sunglasses fail as such,
    // spectacles by what their lenses do to the skin behind them, a bare face is not judged.
    const glasses = cached(cache, 'glasses', () => readGlasses(ctx.image, face));
    const ff = faceFrame(face);
    const bridge = regionStats(ctx.image, patch(ctx, face, LM.bridge));
    // A lens filters everything behind it: the skin under the eye AND the skin beside its outer
    // corner darken together. Dark circles, periorbital pigmentation or a shadow under the brow
    // darken the first alone: the lens's ratio is the lighter of the two, per eye; a tinted pair
    // darkens both eyes, so the photo's value is the lighter eye's.
    const lateral = (side: EyeSide) => {
      const eye = side === 'right' ? LM.rightEye : LM.leftEye;
      const o = toFace(ff, lm2(face, eye.outer));
      const i = toFace(ff, lm2(face, eye.inner));
      const w = Math.abs(o[0] - i[0]);
      const out = Math.sign(o[0] - i[0]);
      const poly: Point[] = [
        [o[0] + out * 0.15 * w, o[1] - 0.15 * w],
        [o[0] + out * 0.4 * w, o[1] - 0.15 * w],
        [o[0] + out * 0.4 * w, o[1] + 0.15 * w],
        [o[0] + out * 0.15 * w, o[1] + 0.15 * w],
      ].map((q) => fromFace(ff, q as Point));
      return regionStats(ctx.image, polygonPixels(ctx.image, poly));
    };
    const eyes = (['right', 'left'] as const).map((side) => {
      const under = regionStats(ctx.image, patch(ctx, face, LM.underEyes[side]));
      const beside = lateral(side);
      const ratio = Math.max(under.meanY, beside.meanY) / Math.max(1e-6, bridge.meanY);
      const shift = Math.min(Math.hypot(under.a - bridge.a, under.b - bridge.b), Math.hypot(beside.a - bridge.a, beside.b - bridge.b));
      return { ratio, shift };
    });
    const ratio = Math.max(...eyes.map((e) => e.ratio));
    const shift = Math.min(...eyes.map((e) => e.shift));
    const clear = ratio >= LIMITS.glassesTintMinRatio.value && shift <= LIMITS.glassesColourMaxDeltaE.value;
    const pass = glasses.kind === 'none' || (glasses.kind === 'spectacles' && clear);
    return {
      id: 'glasses.tint',
      pass,
      value: { glasses: GLASSES_CODE[glasses.kind], bridge: r2(glasses.bridge), lensLight: r2(glasses.lensLight), lensSpread: r2(glasses.lensSpread), ratio: r2(ratio), colourShift: r2(shift) },
      limit: {
        bridge: LIMITS.glassesBridgeMinL.value,
        lensLight: LIMITS.sunglassesMaxLight.value,
        lensSpread: LIMITS.sunglassesMaxSpreadL.value,
        ratio: LIMITS.glassesTintMinRatio.value,
        colourShift: LIMITS.glassesColourMaxDeltaE.value,
      },
      hint: pass ? null : HINTS.tintedGlasses,
    };
  },

  'glasses.glare': (ctx, cache) => {
    if (!ctx.face) return noFace('glasses.glare');
    const face = ctx.face;
    const glasses = cached(cache, 'glasses', () => readGlasses(ctx.image, face));
    const ff = faceFrame(face);
    let worst = 0;
    for (const side of ['right', 'left'] as const) {
      // The lens area: a box around the eye, one eye-width wide and 0.7 of it tall.
      const c = eyeCentre(face, side);
      const cf = toFace(ff, c);
      const half = 0.5 * ff.eyeDistance * 0.9;
      const poly: Point[] = [
        fromFace(ff, [cf[0] - half, cf[1] - 0.35 * ff.eyeDistance]),
        fromFace(ff, [cf[0] + half, cf[1] - 0.35 * ff.eyeDistance]),
        fromFace(ff, [cf[0] + half, cf[1] + 0.35 * ff.eyeDistance]),
        fromFace(ff, [cf[0] - half, cf[1] + 0.35 * ff.eyeDistance]),
      ];
      const px = polygonPixels(ctx.image, poly);
      let specular = 0;
      const d = ctx.image.data;
      for (const k of px) {
        const o = k * 3;
        if (d[o]! >= 245 && d[o + 1]! >= 245 && d[o + 2]! >= 245) specular++;
      }
      const irisR = face.irises?.[side].radius ?? 0.1 * ff.eyeDistance;
      worst = Math.max(worst, specular / (Math.PI * irisR * irisR));
    }
    // Judged on lenses only: a bare eye's catchlight or a shiny lid is not a reflection on glasses.
    const pass = glasses.kind === 'none' || worst <= LIMITS.glareMaxIrisFraction.value;
    return { id: 'glasses.glare', pass, value: { glare: r2(worst), glasses: GLASSES_CODE[glasses.kind] }, limit: { glare: LIMITS.glareMaxIrisFraction.value }, hint: pass ? null : HINTS.glare };
  },

  headwear: (ctx, cache) => {
    if (!ctx.face || !ctx.head) return noFace('headwear');
    const limit = {
      hairDeltaE: LIMITS.headwearMaxDeltaE.value,
      skinDeltaE: LIMITS.headwearSkinMaxDeltaE.value,
      lightStops: LIMITS.headwearLightStops.value,
      crown: LIMITS.headwearMinCrownPx.value,
      hueMinDeg: LIMITS.hairHueMinDeg.value,
      hueMaxDeg: LIMITS.hairHueMaxDeg.value,
      neutralChroma: LIMITS.hairNeutralMaxChroma.value,
      accessory: LIMITS.headwearAccessoryMaxFraction.value,
    };
    const crown = cached(cache, 'crown', () => crownRegion(ctx, cache));
    if (crown.height < limit.crown || crown.colours.length < 20) {
      return { id: 'headwear', pass: true, value: { crown: r2(crown.height), hairDeltaE: 0, skinDeltaE: 0, hueDeg: 0, chroma: 0, accessory: 0 }, limit, hint: null };
    }
    const med = (arr: readonly Lab[]): Lab => [0, 1, 2].map((i) => percentile(arr.map((c) => c[i]!), 0.5)) as Lab;
    const top = med(crown.colours);
    // What a bare head shows there: the hair beside the temples, or skin (bald, shaved head).
    // Each reference is a chromaticity (median a*, b*) and a range of lightness (p10-p90):
    // light changes hair's L* a lot (sheen on top, shade at the temples), its a*b* little, so
    // a crown lightness inside the reference's range costs nothing. The hair's range is widened
    // by the light the crown and the temples may receive differently (headwearLightStops).
    const ref = (r: { a: number; b: number; lo: number; hi: number }) => Math.hypot(Math.max(0, r.lo - top[0], top[0] - r.hi), top[1] - r.a, top[2] - r.b);
    const temples = templeColours(ctx, cache);
    let hairDeltaE = Infinity;
    if (temples.length >= 20) {
      const ls = temples.map((c) => c[0]);
      hairDeltaE = ref({ a: percentile(temples.map((c) => c[1]), 0.5), b: percentile(temples.map((c) => c[2]), 0.5), lo: relight(percentile(ls, 0.1), -limit.lightStops), hi: relight(percentile(ls, 0.9), limit.lightStops) });
    }
    const forehead = regionStats(ctx.image, patch(ctx, ctx.face, [...LM.foreheadPatch.right, ...LM.foreheadPatch.left]));
    const skinDeltaE = ref({ a: forehead.a, b: forehead.b, lo: forehead.l5, hi: forehead.l95 });
    const chroma = Math.hypot(top[1], top[2]);
    // The hue is read white-balanced on the face: the light's colour cast (a pink backdrop's
    // bounce, a warm lamp) shifts the skin and the hair alike, so the crown's hue is taken
    // relative to the forehead skin's and put back on the skin's typical hue.
    const hueOf = (a: number, b: number) => (Math.atan2(b, a) * 180) / Math.PI;
    // Skin without chroma (clipped by over-exposure, a grey image) has no hue to balance on.
    const cast = Math.hypot(forehead.a, forehead.b) >= LIMITS.colourMinChroma.value ? hueOf(forehead.a, forehead.b) - LIMITS.skinHueDeg.value : 0;
    const hue = (((hueOf(top[1], top[2]) - cast) % 360) + 360) % 360;
    const hairHue = (a: number, b: number) => {
      const h = (((hueOf(a, b) - cast) % 360) + 360) % 360;
      return Math.hypot(a, b) <= limit.neutralChroma || (h >= limit.hueMinDeg && h <= limit.hueMaxDeg);
    };
    const hairColoured = hairHue(top[1], top[2]);
    // A headband, a clip, a ribbon: a minority of the crown, so the median above is the hair's;
    // seen as crown pixels of a colour no hair and no skin has (hue outside the melanin range,
    // chroma above the neutral greys), more than headwearAccessoryMaxFraction of the crown.
    const accessory = crown.colours.filter((c) => !hairHue(c[1], c[2])).length / crown.colours.length;
    const pass = hairColoured && accessory <= limit.accessory && (hairDeltaE <= limit.hairDeltaE || skinDeltaE <= limit.skinDeltaE);
    const r = (v: number) => (Number.isFinite(v) ? r2(v) : null);
    return {
      id: 'headwear',
      pass,
      value: { crown: r2(crown.height), hairDeltaE: r(hairDeltaE) ?? -1, skinDeltaE: r2(skinDeltaE), hueDeg: r2(hue), chroma: r2(chroma), accessory: r3(accessory) },
      limit,
      hint: pass ? null : HINTS.headwear,
    };
  },

  'hair.face': (ctx, cache) => {
    if (!ctx.face || !ctx.head) return noFace('hair.face');
    const limit = LIMITS.hairOverEyesMaxReach.value;
    const crown = cached(cache, 'crown', () => crownRegion(ctx, cache));
    // A crown under headwearMinCrownPx is skin or cropped hair: nothing long enough to reach the eyes.
    const colours = crown.height < LIMITS.headwearMinCrownPx.value ? [] : crown.colours;
    const { reach, separation } = hairOverEyes({ image: ctx.image, face: ctx.face, crown: colours, minSeparation: LIMITS.hairFaceMinSeparation.value });
    const pass = reach === null || reach <= limit;
    return { id: 'hair.face', pass, value: { reach: reach ?? -1, separation }, limit, hint: pass ? null : HINTS.hairFace };
  },
};

type Lab = [number, number, number];

/** L* of a surface of lightness `l` under 2^stops times the light (clipped to 0..100). */
function relight(l: number, stops: number): number {
  if (stops === 0) return l;
  const fy = (l + 16) / 116;
  const y = l > 8 ? fy ** 3 : l / (24389 / 27);
  return Math.min(100, Math.max(0, lightness(Math.min(1, y * 2 ** stops))));
}

/** The backdrop's median colour (undefined when no background is visible). */
function backdropColour(ctx: CheckContext, cache: Map<string, unknown>): Lab | undefined {
  const bg = cached(cache, 'background', () => background(ctx, cache));
  if (!bg) return undefined;
  return [percentile(bg.cells.map((k) => bg.L[k]!), 0.5), percentile(bg.cells.map((k) => bg.A[k]!), 0.5), percentile(bg.cells.map((k) => bg.B[k]!), 0.5)];
}

/** Colours of the sampled pixels that are not the backdrop (ΔE > twice the plain-background limit) and, with a mask, on the person. */
function personColours(ctx: CheckContext, cache: Map<string, unknown>, points: readonly Point[]): Lab[] {
  const bg = backdropColour(ctx, cache);
  const d = ctx.image.data;
  const out: Lab[] = [];
  for (const [x, y] of points) {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= ctx.image.width || yi >= ctx.image.height) continue;
    if ((personAt(ctx, xi, yi) ?? 1) < 0.5) continue;
    const o = (yi * ctx.image.width + xi) * 3;
    const c = lab(d[o]!, d[o + 1]!, d[o + 2]!);
    if (bg && Math.hypot(c[0] - bg[0], c[1] - bg[1], c[2] - bg[2]) <= 2 * LIMITS.backgroundTextureMaxDeltaE.value) continue;
    out.push(c);
  }
  return out;
}

/**
 * The crown: what is on top of the head, between the upper edge of the face mesh (the forehead
 * top, landmarks along the hairline) and the top of the person silhouette, over the forehead's
 * width. Walked column by column (about 40 columns, steps of 0.5 % of the head height) from the
 * mesh edge up to where the segmentation stops calling it person. Without a mask, up to the
 * estimated crown plus 10 % of the head height, backdrop-coloured pixels left out.
 * `height` is the median column's crown height as a share of the head height.
 */
function crownRegion(ctx: CheckContext, cache: Map<string, unknown>): { height: number; colours: Lab[] } {
  const face = ctx.face!;
  const head = ctx.head!;
  const ff = faceFrame(face);
  // The mesh's upper edge, from the subject's right temple to the left one.
  const edge = [103, 67, 109, 10, 338, 297, 332].map((i) => toFace(ff, lm2(face, i))).sort((a, b) => a[0] - b[0]);
  const edgeY = (x: number): number => {
    for (let k = 0; k + 1 < edge.length; k++) {
      const a = edge[k]!;
      const b = edge[k + 1]!;
      if (x >= a[0] && x <= b[0]) return b[0] === a[0] ? a[1] : a[1] + ((x - a[0]) / (b[0] - a[0])) * (b[1] - a[1]);
    }
    return edge[x < edge[0]![0] ? 0 : edge.length - 1]![1];
  };
  const xMin = edge[0]![0];
  const xMax = edge[edge.length - 1]![0];
  const step = Math.max(1, 0.005 * head.height);
  const hasMask = !!ctx.analysis.segmentation;
  const crownY = toFace(ff, head.chin)[1] - head.height;
  const heights: number[] = [];
  const points: Point[] = [];
  const columns = 40;
  for (let c = 0; c <= columns; c++) {
    const x = xMin + ((xMax - xMin) * c) / columns;
    const y0 = edgeY(x) - step;
    let y = y0;
    const stop = hasMask ? y0 - 0.8 * head.height : crownY - 0.1 * head.height;
    for (; y > stop; y -= step) {
      const p = fromFace(ff, [x, y]);
      if (p[0] < 0 || p[1] < 0 || p[0] >= ctx.image.width || p[1] >= ctx.image.height) break;
      if (hasMask && (personAt(ctx, p[0], p[1]) ?? 0) < 0.5) break;
      points.push(p);
    }
    heights.push((y0 - y) / head.height);
  }
  return { height: percentile(heights, 0.5), colours: personColours(ctx, cache, points) };
}

/** Hair beside the face: just outside the face outline between brow and eye level, 6 % of the head height wide, on both sides. */
function templeColours(ctx: CheckContext, cache: Map<string, unknown>): Lab[] {
  const face = ctx.face!;
  const head = ctx.head!;
  const ff = faceFrame(face);
  const points: Point[] = [];
  for (const [a, b, sgn] of [[162, 127, -1], [389, 356, 1]] as const) {
    const pa = toFace(ff, lm2(face, a));
    const pb = toFace(ff, lm2(face, b));
    const poly = [fromFace(ff, pa), fromFace(ff, pb), fromFace(ff, [pb[0] + sgn * 0.06 * head.height, pb[1]]), fromFace(ff, [pa[0] + sgn * 0.06 * head.height, pa[1]])];
    for (const k of polygonPixels(ctx.image, poly)) points.push([k % ctx.image.width, Math.floor(k / ctx.image.width)]);
  }
  return personColours(ctx, cache, points);
}

/**
 * What shows between the lips (inside the inner lip contour), measured against the sitter's own
 * lips: teeth, in life-size mm² (sized with the eye distance), and mouth cavity, as a share of
 * the mouth width squared.
 * - Teeth: pixels whose redness, a* over L*+16, is under half that of the less red lip, and
 *   that are not darker than the lips' darkest tenth. Enamel is near-neutral and lips are red;
 *   shade scales a* and L*+16 alike (both go with the cube root of the light), so a tooth in the
 *   mouth's shade is still a tooth and a shaded fold of lip still a lip. The less red lip is the
 *   reference because the two lips often differ (a darker, browner upper lip on dark skin), and
 *   enamel reflects more light than any lip: a pixel darker than the darkest lip is the lip
 *   line's crease or the mouth's depth, where colour cannot be read. Comparing with this
 *   person's lips keeps lip and skin colour out of it.
 * - Cavity: pixels much darker than the lips (L* 25 below their median).
 * Closed lips show neither, whatever the landmarks' exact inner contour.
 */
function betweenTheLips(ctx: CheckContext, face: FaceAnalysis): { teethMm2: number; cavity: number } {
  const width = dist(lm2(face, LM.lips.rightCorner), lm2(face, LM.lips.leftCorner)) || 1;
  const pixels = (idx: readonly number[]) => polygonPixels(ctx.image, idx.map((i) => lm2(face, i)));
  const d = ctx.image.data;
  const labAt = (k: number) => lab(d[k * 3]!, d[k * 3 + 1]!, d[k * 3 + 2]!);
  const innerPx = new Set(pixels(FACE_CONTOURS.lipsInner));
  const lipColours = (idx: readonly number[]) => Array.from(pixels(idx).filter((k) => !innerPx.has(k)), labAt);
  const upper = lipColours(FACE_CONTOURS.upperLip);
  const lower = lipColours(FACE_CONTOURS.lowerLip);
  if (upper.length < 5 || lower.length < 5) return { teethMm2: 0, cavity: 0 };
  const redness = (lip: Lab[]) => percentile(lip.map((c) => c[1]), 0.5) / (percentile(lip.map((c) => c[0]), 0.5) + 16);
  const lipRedness = Math.min(redness(upper), redness(lower));
  const lipLs = upper.concat(lower).map((c) => c[0]);
  const [darkestLip, lipL] = percentiles(lipLs, [0.1, 0.5]) as [number, number];
  let teeth = 0;
  let cavity = 0;
  for (const k of innerPx) {
    const [L, a] = labAt(k);
    if (L < lipL - 25) cavity++;
    else if (L >= darkestLip && a / (L + 16) < 0.5 * lipRedness) teeth++;
  }
  const mmPerPx = EYE_DISTANCE_MM / faceFrame(face).eyeDistance;
  return { teethMm2: teeth * mmPerPx * mmPerPx, cavity: cavity / (width * width) };
}

/**
 * How far the backdrop is from plain: the colour difference (ΔE with lightness counted half, the
 * CMC 2:1 weighting textile acceptability uses: shading on a fabric matters less than a change of
 * colour) of each background cell from a smooth surface fitted to the backdrop, its
 * BACKDROP_PLAIN_QUANTILE. The surface is second order in each of L*, a*, b* over the photo: a
 * lamp's fall-off, vignetting, a colour cast drifting across the backdrop are smooth and removed;
 * what is left is patterns, objects, a second colour. It is fitted robustly: cells further than
 * the limit from the surface leave the next fit (an object does not pull the surface to itself).
 * Hair that the person mask missed (loose curls, strands) is not the backdrop either: a cell
 * within HAIR_HALO of the head-and-hair ellipse whose colour is nearer the crown's hair than the
 * backdrop surface is left out.
 */
const BACKDROP_PLAIN_QUANTILE = 0.95;
const HAIR_HALO = 0.35;
function backdropNonPlainness(ctx: CheckContext, cache: Map<string, unknown>, bg: Background): number {
  const xy = bg.cells.map((k): [number, number] => [(k % bg.w) / bg.w, Math.floor(k / bg.w) / bg.h]);
  const limit = LIMITS.backgroundTextureMaxDeltaE.value;
  const residual = (fits: ((x: number, y: number) => number)[], i: number): number => {
    const k = bg.cells[i]!;
    const [x, y] = xy[i]!;
    return Math.hypot((bg.L[k]! - fits[0]!(x, y)) / 2, bg.A[k]! - fits[1]!(x, y), bg.B[k]! - fits[2]!(x, y));
  };
  const channels = [bg.L, bg.A, bg.B];
  let keep = bg.cells.map((_, i) => i);
  let fits = channels.map((ch) => fitQuadricSurface(xy, bg.cells.map((k) => ch[k]!)));
  for (let iter = 0; iter < 4; iter++) {
    const next = bg.cells.map((_, i) => i).filter((i) => residual(fits, i) <= limit);
    if (next.length === keep.length || next.length < Math.max(12, 0.5 * bg.cells.length)) break;
    keep = next;
    fits = channels.map((ch) => fitQuadricSurface(keep.map((i) => xy[i]!), keep.map((i) => ch[bg.cells[i]!]!)));
  }
  const hair = hairColour(ctx, cache);
  const near = hairHalo(ctx, bg);
  const res: number[] = [];
  bg.cells.forEach((k, i) => {
    const r = residual(fits, i);
    if (r > limit && hair && near(k)) {
      const toHair = Math.hypot((bg.L[k]! - hair[0]) / 2, bg.A[k]! - hair[1], bg.B[k]! - hair[2]);
      if (toHair < r) return;
    }
    res.push(r);
  });
  if (res.length < 8) return 0;
  return percentile(res, BACKDROP_PLAIN_QUANTILE);
}

/** The median colour of the crown's hair (undefined when the crown is too small to say). */
function hairColour(ctx: CheckContext, cache: Map<string, unknown>): Lab | undefined {
  if (!ctx.face || !ctx.head) return undefined;
  const crown = cached(cache, 'crown', () => crownRegion(ctx, cache));
  if (crown.colours.length < 20) return undefined;
  return [0, 1, 2].map((i) => percentile(crown.colours.map((c) => c[i]!), 0.5)) as Lab;
}

/** Whether grid cell k lies within HAIR_HALO head heights outside the head-and-hair ellipse of background(). */
function hairHalo(ctx: CheckContext, bg: Background): (k: number) => boolean {
  const ff = faceFrame(ctx.face!);
  const head = ctx.head!;
  const cF = toFace(ff, head.centre);
  const { cell, x0, y0 } = bg;
  const ax = 0.55 * head.height + HAIR_HALO * head.height;
  const ay = 0.62 * head.height + HAIR_HALO * head.height;
  return (k) => {
    const p = toFace(ff, [x0 + ((k % bg.w) + 0.5) * cell, y0 + (Math.floor(k / bg.w) + 0.5) * cell]);
    const ex = (p[0] - cF[0]) / ax;
    const ey = (p[1] - cF[1]) / ay;
    return ex * ex + ey * ey <= 1;
  };
}

/**
 * Least-squares isotropic paraboloid z ≈ a + b·x + c·y + d·(x² + y²) through the points (normal
 * equations, 4 terms). In log luminance this is the light on a flat backdrop from a lamp
 * anywhere in front of it, and lens vignetting, to second order: both are radially symmetric
 * about some centre, (x − x0)² + (y − y0)² expanding to these terms. Separate x², xy, y² terms
 * would also fit elongated or saddle shapes no light makes — and a shadow band along one edge.
 */
function quadraticFit(xy: readonly [number, number][], z: readonly number[]): (x: number, y: number) => number {
  // The normal equations' sums in scalars (each the same sum, term by term, as accumulating
  // the 4 x 5 matrix row by row: the same numbers; the matrix is symmetric, a·b = b·a).
  let s1 = 0, sx = 0, sy = 0, sq = 0, sxx = 0, sxy = 0, sxq = 0, syy = 0, syq = 0, sqq = 0;
  let sz = 0, sxz = 0, syz = 0, sqz = 0;
  for (let i = 0; i < xy.length; i++) {
    const p = xy[i]!;
    const x = p[0];
    const y = p[1];
    const q = x * x + y * y;
    const zi = z[i]!;
    s1 += 1 * 1;
    sx += 1 * x;
    sy += 1 * y;
    sq += 1 * q;
    sxx += x * x;
    sxy += x * y;
    sxq += x * q;
    syy += y * y;
    syq += y * q;
    sqq += q * q;
    sz += 1 * zi;
    sxz += x * zi;
    syz += y * zi;
    sqz += q * zi;
  }
  const m = [
    Float64Array.of(s1, sx, sy, sq, sz),
    Float64Array.of(sx, sxx, sxy, sxq, sxz),
    Float64Array.of(sy, sxy, syy, syq, syz),
    Float64Array.of(sq, sxq, syq, sqq, sqz),
  ];
  const [c0, c1, c2, c3] = solveNormalEquations(m) as [number, number, number, number];
  return (x, y) => c0 + c1 * x + c2 * y + c3 * (x * x + y * y);
}

/**
 * Depth (stops) of the deepest cast shadow on the visible backdrop. The lit backdrop is modelled
 * as a smooth surface in log luminance (quadraticFit: the fall-off of the backdrop light and lens
 * vignetting), fitted to its upper envelope: after each fit, cells more than
 * 0.1 stop below it (the shadow) leave the next fit, so a shadow covering a large part of the
 * backdrop does not pull the lit level down. A shadow is what lies below that surface; its depth
 * is the one reached by a patch of at least SHADOW_MIN_AREA of the photo (smaller dark specks are
 * noise or texture, background.plain's business). The backdrop is smoothed first over 2 cells
 * (2 % of the frame height): a cast shadow's penumbra is wider than that, JPEG noise is not.
 */
const SHADOW_MIN_AREA = 0.01;
function castShadowDepth(bg: Background): number {
  const Ys = gaussianBlurAt(bg.Y, bg.w, bg.h, 2, bg.cells);
  const xy = bg.cells.map((k): [number, number] => [(k % bg.w) / bg.w, Math.floor(k / bg.w) / bg.h]);
  const z = bg.cells.map((k) => Math.log2(Math.max(1e-4, Ys[k]!)));
  let keep = bg.cells.map((_, i) => i);
  let fit = quadraticFit(xy, z);
  for (let iter = 0; iter < 6; iter++) {
    const next = bg.cells.map((_, i) => i).filter((i) => z[i]! >= fit(xy[i]![0], xy[i]![1]) - 0.1);
    // Too few cells left to fit the surface well: keep the last fit.
    if (next.length < Math.max(24, 0.2 * bg.cells.length) || next.length === keep.length) break;
    keep = next;
    fit = quadraticFit(keep.map((i) => xy[i]!), keep.map((i) => z[i]!));
  }
  const depth = z.map((v, i) => fit(xy[i]![0], xy[i]![1]) - v);
  // The k-th deepest cell, k = the minimum shadow area in cells of the whole frame.
  const k = Math.max(1, Math.round(SHADOW_MIN_AREA * bg.w * bg.h));
  if (depth.length <= k) return Math.max(0, percentile(depth, 0));
  return Math.max(0, percentile(depth, 1 - k / depth.length));
}

export interface RunChecksOptions {
  only?: readonly CheckId[];
}

export function runChecks(ctx: CheckContext, options: RunChecksOptions = {}): CheckResult[] {
  const ids = options.only ?? CHECK_IDS;
  const cache = new Map<string, unknown>();
  return ids.map((id) => {
    try {
      const t0 = performance.now();
      const r = CHECKS[id](ctx, cache);
      if (process.env.CABINE_VISION_PROFILE) process.stderr.write(`${id} ${(performance.now() - t0).toFixed(1)} ms\n`);
      return r;
    } catch (err) {
      return { id, pass: false, value: null, limit: null, hint: null, error: (err as Error).message } as CheckResult;
    }
  });
}

export { PHOTO };
