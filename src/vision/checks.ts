// The ANTS rules as checks: each measures one value on the analysed photo, compares it with its
// limit (limits.ts) and, when it fails, says what to do (hints.ts). Ids are a contract
// (DESIGN.md, "Validation report"). Order = the order of the report and the priority of live
// guidance: what the customer can fix first (be there, alone, at the right distance and
// height, facing the lens) comes before what depends on it.
import type { FaceAnalysis, ImageAnalysis, Point, RgbImage } from './analysis.ts';
import {
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
  type HeadExtent,
} from './geometry.ts';
import { photoFrame, type PhotoFrame } from './frame.ts';
import { HINTS, type Hint } from './hints.ts';
import { LIMITS, PHOTO } from './limits.ts';
import { boxReduce, edgeBlurSigma, gaussianBlur, grayWindow, hullPixels, lab, luminance, percentile, polygonPixels, regionStats } from './photometry.ts';

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
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const stops = (a: number, b: number) => Math.abs(Math.log2(Math.max(1e-6, a) / Math.max(1e-6, b)));

export function buildContext(image: RgbImage, analysis: ImageAnalysis, grayscaleSource = false): CheckContext {
  const faces = countedFaces(analysis);
  const face = faces[0];
  const head = face ? headExtent(face) : undefined;
  return { image, analysis, face, head, frame: photoFrame(image.width, image.height, head), grayscaleSource };
}

/** Faces that count as people: confident, and not tiny next to the sitter. */
export function countedFaces(analysis: ImageAnalysis): FaceAnalysis[] {
  const confident = analysis.faces.filter((f) => f.score >= LIMITS.faceMinScore.value).sort((a, b) => b.box.height - a.box.height);
  const main = confident[0];
  if (!main) return [];
  return confident.filter((f) => f.box.height >= LIMITS.secondFaceMinSize.value * main.box.height);
}

const noFace = (id: CheckId): CheckResult => ({ id, pass: false, value: null, limit: null, hint: HINTS.noFace });

// ---------------------------------------------------------------------------------------------
// Regions

/** Pixel sampling step so a region of `area` pixels yields about `target` samples. */
const stepFor = (area: number, target = 40_000) => Math.max(1, Math.floor(Math.sqrt(area / target)));

function facePixels(ctx: CheckContext, face: FaceAnalysis): number[] {
  const poly = facePolygon(face);
  const frame = faceFrame(face);
  // Skin only: the face oval without the eyes, brows and mouth is what exposure and contrast see;
  // keep the whole oval (features included) — contrast needs them.
  const step = stepFor(frame.eyeDistance * frame.eyeDistance * 3, 15_000);
  return polygonPixels(ctx.image, poly, step);
}

function patch(ctx: CheckContext, face: FaceAnalysis, idx: readonly number[]): number[] {
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
}

/**
 * The background: inside the photo frame, above the chin line, outside an ellipse around the
 * head generous enough for hair; with a segmentation mask, also only where the mask (eroded by
 * 1 % of the frame) says background; without one, the shoulders' zone is left out geometrically.
 * Measured on a grid of cells averaging about 1 % of the frame height each.
 */
function background(ctx: CheckContext): Background | undefined {
  const { frame, head, image, analysis } = ctx;
  if (!head || !ctx.face) return undefined;
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
  const d = image.data;
  for (let gy = 0; gy < h; gy++) {
    for (let gx = 0; gx < w; gx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let y = 0;
      for (let yy = 0; yy < cell; yy++) {
        for (let xx = 0; xx < cell; xx++) {
          const o = ((y0 + gy * cell + yy) * image.width + x0 + gx * cell + xx) * 3;
          r += d[o]!;
          g += d[o + 1]!;
          b += d[o + 2]!;
          y += luminance(d[o]!, d[o + 1]!, d[o + 2]!);
        }
      }
      const n = cell * cell;
      const [l, a, bb] = lab(Math.round(r / n), Math.round(g / n), Math.round(b / n));
      const k = gy * w + gx;
      L[k] = l;
      A[k] = a;
      B[k] = bb;
      Y[k] = y / n;
    }
  }
  const ff = faceFrame(ctx.face);
  const chinF = toFace(ff, head.chin);
  const headH = head.height;
  // Head + hair ellipse in the face frame: centred on the head, 1.25 x the head height tall,
  // 1.1 x the head height wide (hair volume), and everything below the chin line is the body.
  const cF = toFace(ff, head.centre);
  const ax = 0.55 * headH;
  const ay = 0.62 * headH;
  const mask = analysis.segmentation;
  const cells: number[] = [];
  for (let gy = 0; gy < h; gy++) {
    for (let gx = 0; gx < w; gx++) {
      const px: Point = [x0 + (gx + 0.5) * cell, y0 + (gy + 0.5) * cell];
      const p = toFace(ff, px);
      if (p[1] > chinF[1]) continue;
      if (mask) {
        // Background only well away from the person's outline (soft mask edges hold hair and
        // blending): every mask sample within 1 % of the frame height must be background.
        const reach = 0.01 * frame.height;
        let person = false;
        for (const [dx, dy] of [[0, 0], [-reach, 0], [reach, 0], [0, -reach], [0, reach]] as const) {
          const mx = Math.min(mask.width - 1, Math.max(0, Math.floor(((px[0] + dx) / image.width) * mask.width)));
          const my = Math.min(mask.height - 1, Math.max(0, Math.floor(((px[1] + dy) / image.height) * mask.height)));
          if (mask.data[my * mask.width + mx]! >= 64) person = true;
        }
        if (person) continue;
      }
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
  return { cells, L, A, B, Y, w, h };
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
    const hint = !yawOk ? (p.yawDeg > 0 ? HINTS.turnRight : HINTS.turnLeft) : !pitchOk ? (p.pitchDeg > 0 ? HINTS.chinUp : HINTS.chinDown) : !rollOk ? HINTS.straighten : null;
    return {
      id: 'head.pose',
      pass: yawOk && pitchOk && rollOk,
      value: { yawDeg: r2(p.yawDeg), pitchDeg: r2(p.pitchDeg), rollDeg: r2(p.rollDeg) },
      limit: { yawDeg: LIMITS.yawMaxDeg.value, pitchDeg: LIMITS.pitchMaxDeg.value, rollDeg: LIMITS.rollMaxDeg.value },
      hint,
    };
  },

  gaze: (ctx) => {
    if (!ctx.face) return noFace('gaze');
    const r = eyeGaze(ctx.face, 'right');
    const l = eyeGaze(ctx.face, 'left');
    if (!r || !l) return { id: 'gaze', pass: false, value: null, limit: LIMITS.gazeMaxDeg.value, hint: HINTS.openEyes };
    // Both eyes turn together when the gaze moves; their difference is vergence and the
    // asymmetry of the eye corners, so the gaze is the common part.
    const horizontal = (r.horizontalDeg + l.horizontalDeg) / 2;
    const pass = Math.abs(horizontal) <= LIMITS.gazeMaxDeg.value;
    return { id: 'gaze', pass, value: r2(horizontal), limit: LIMITS.gazeMaxDeg.value, hint: pass ? null : HINTS.lookAtLens };
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
    const v = cached(cache, 'mouthOpen', () => mouthOpenArea(ctx, ctx.face!));
    const pass = v <= LIMITS.mouthOpenMax.value;
    return { id: 'mouth.closed', pass, value: r3(v), limit: LIMITS.mouthOpenMax.value, hint: pass ? null : HINTS.closeMouth };
  },

  'expression.neutral': (ctx) => {
    if (!ctx.face) return noFace('expression.neutral');
    const m = mouthShape(ctx.face);
    const emotion = ctx.face.emotion;
    let other = 0;
    if (emotion) for (const [k, p] of Object.entries(emotion)) if (k !== 'neutral' && (p ?? 0) > other) other = p ?? 0;
    const liftOk = m.cornerLift <= LIMITS.smileLiftMax.value;
    const emotionOk = other <= LIMITS.emotionNonNeutralMax.value;
    return {
      id: 'expression.neutral',
      pass: liftOk && emotionOk,
      value: emotion ? { cornerLift: r3(m.cornerLift), nonNeutral: r2(other) } : r3(m.cornerLift),
      limit: emotion ? { cornerLift: LIMITS.smileLiftMax.value, nonNeutral: LIMITS.emotionNonNeutralMax.value } : LIMITS.smileLiftMax.value,
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
    const bg = cached(cache, 'background', () => background(ctx));
    if (!bg) return { id: 'background.plain', pass: false, value: null, limit: LIMITS.backgroundTextureMaxDeltaE.value, hint: ctx.face ? HINTS.back : HINTS.noFace };
    // Texture: colour difference of each cell from its neighbourhood (σ = 4 cells); spread:
    // chromatic difference from the background's median colour. Patterns raise the first,
    // a second colour the second; smooth shading (shadow.background's business) neither.
    const sm = (ch: Float32Array) => gaussianBlur(ch, bg.w, bg.h, 4);
    const Ls = sm(bg.L);
    const As = sm(bg.A);
    const Bs = sm(bg.B);
    const local = bg.cells.map((k) => Math.hypot(bg.L[k]! - Ls[k]!, bg.A[k]! - As[k]!, bg.B[k]! - Bs[k]!));
    const ma = percentile(bg.cells.map((k) => bg.A[k]!), 0.5);
    const mb = percentile(bg.cells.map((k) => bg.B[k]!), 0.5);
    const spread = bg.cells.map((k) => Math.hypot(bg.A[k]! - ma, bg.B[k]! - mb));
    const v = Math.max(percentile(local, 0.9), percentile(spread, 0.9));
    const pass = v <= LIMITS.backgroundTextureMaxDeltaE.value;
    return { id: 'background.plain', pass, value: r2(v), limit: LIMITS.backgroundTextureMaxDeltaE.value, hint: pass ? null : HINTS.backgroundPlain };
  },

  'background.light': (ctx, cache) => {
    const bg = cached(cache, 'background', () => background(ctx));
    if (!bg) return { id: 'background.light', pass: false, value: null, limit: LIMITS.backgroundMinL.value, hint: ctx.face ? HINTS.back : HINTS.noFace };
    const l = percentile(bg.cells.map((k) => bg.L[k]!), 0.5);
    const pass = l >= LIMITS.backgroundMinL.value;
    return { id: 'background.light', pass, value: r2(l), limit: LIMITS.backgroundMinL.value, hint: pass ? null : HINTS.backgroundLight };
  },

  'background.not-white': (ctx, cache) => {
    const bg = cached(cache, 'background', () => background(ctx));
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
    const bg = cached(cache, 'background', () => background(ctx));
    if (!bg) return { id: 'shadow.background', pass: false, value: null, limit: LIMITS.backgroundShadowMaxStops.value, hint: ctx.face ? HINTS.back : HINTS.noFace };
    const Ys = gaussianBlur(bg.Y, bg.w, bg.h, 2);
    const residual = quadraticResidual(
      bg.cells.map((k) => [(k % bg.w) / bg.w, Math.floor(k / bg.w) / bg.h]),
      bg.cells.map((k) => Math.log2(Math.max(1e-4, Ys[k]!))),
    );
    const v = percentile(residual, 0.95) - percentile(residual, 0.05);
    const pass = v <= LIMITS.backgroundShadowMaxStops.value;
    return { id: 'shadow.background', pass, value: r2(v), limit: LIMITS.backgroundShadowMaxStops.value, hint: pass ? null : HINTS.backgroundShadow };
  },

  'glasses.tint': (ctx) => {
    if (!ctx.face) return noFace('glasses.tint');
    const face = ctx.face;
    const bridge = regionStats(ctx.image, patch(ctx, face, LM.bridge));
    const under = [regionStats(ctx.image, patch(ctx, face, LM.underEyes.right)), regionStats(ctx.image, patch(ctx, face, LM.underEyes.left))];
    const ratio = Math.min(...under.map((u) => u.meanY / Math.max(1e-6, bridge.meanY)));
    const shift = Math.max(...under.map((u) => Math.hypot(u.a - bridge.a, u.b - bridge.b)));
    const pass = ratio >= LIMITS.glassesTintMinRatio.value && shift <= LIMITS.glassesColourMaxDeltaE.value;
    return {
      id: 'glasses.tint',
      pass,
      value: { ratio: r2(ratio), colourShift: r2(shift) },
      limit: { ratio: LIMITS.glassesTintMinRatio.value, colourShift: LIMITS.glassesColourMaxDeltaE.value },
      hint: pass ? null : HINTS.tintedGlasses,
    };
  },

  'glasses.glare': (ctx) => {
    if (!ctx.face) return noFace('glasses.glare');
    const face = ctx.face;
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
    const pass = worst <= LIMITS.glareMaxIrisFraction.value;
    return { id: 'glasses.glare', pass, value: r2(worst), limit: LIMITS.glareMaxIrisFraction.value, hint: pass ? null : HINTS.glare };
  },

  headwear: (ctx, cache) => {
    if (!ctx.face || !ctx.head) return noFace('headwear');
    const face = ctx.face;
    const ff = faceFrame(face);
    const head = ctx.head;
    const bg = cached(cache, 'background', () => background(ctx));
    const bgL = bg ? percentile(bg.cells.map((k) => bg.L[k]!), 0.5) : NaN;
    const bgA = bg ? percentile(bg.cells.map((k) => bg.A[k]!), 0.5) : NaN;
    const bgB = bg ? percentile(bg.cells.map((k) => bg.B[k]!), 0.5) : NaN;
    const chinF = toFace(ff, head.chin);
    const crownY = chinF[1] - head.height;
    const halfW = 0.3 * head.height;
    // The crown band: from the crown to 10 % of the head height above it, face-wide.
    const band: Point[] = [
      fromFace(ff, [-halfW, crownY - 0.1 * head.height]),
      fromFace(ff, [halfW, crownY - 0.1 * head.height]),
      fromFace(ff, [halfW, crownY + 0.05 * head.height]),
      fromFace(ff, [-halfW, crownY + 0.05 * head.height]),
    ];
    const bandPx = polygonPixels(ctx.image, band, stepFor(halfW * head.height * 0.3, 8000));
    const d = ctx.image.data;
    const notBg: [number, number, number][] = [];
    for (const k of bandPx) {
      const o = k * 3;
      const c = lab(d[o]!, d[o + 1]!, d[o + 2]!);
      if (!bg || Math.hypot(c[0] - bgL, c[1] - bgA, c[2] - bgB) > LIMITS.backgroundTextureMaxDeltaE.value * 2) notBg.push(c);
    }
    const coverage = bandPx.length ? notBg.length / bandPx.length : 0;
    if (coverage < LIMITS.headwearMinCoverage.value) {
      return { id: 'headwear', pass: true, value: { coverage: r2(coverage), deltaE: 0 }, limit: { deltaE: LIMITS.headwearMaxDeltaE.value }, hint: null };
    }
    const med = (i: 0 | 1 | 2, arr: [number, number, number][]) => percentile(arr.map((c) => c[i]), 0.5);
    const crown: [number, number, number] = [med(0, notBg), med(1, notBg), med(2, notBg)];
    // What a bare head shows there: the hair beside the temples, or the forehead skin (bald, short hair).
    // Temples: just outside the face outline between brow and eye level, pushed out by 6 % of the head.
    const temple = (a: number, b: number, sgn: number): Point[] => {
      const pa = toFace(ff, lm2(face, a));
      const pb = toFace(ff, lm2(face, b));
      const out = sgn * 0.06 * head.height;
      return [fromFace(ff, pa), fromFace(ff, pb), fromFace(ff, [pb[0] + out, pb[1]]), fromFace(ff, [pa[0] + out, pa[1]])];
    };
    const refs: [number, number, number][] = [];
    for (const [a, b, sgn] of [[162, 127, -1], [389, 356, 1]] as const) {
      const s = regionStats(ctx.image, polygonPixels(ctx.image, temple(a, b, sgn)));
      if (s.n > 0 && (!bg || Math.hypot(s.l50 - bgL, s.a - bgA, s.b - bgB) > LIMITS.backgroundTextureMaxDeltaE.value * 2)) refs.push([s.l50, s.a, s.b]);
    }
    const forehead = regionStats(ctx.image, patch(ctx, face, [...LM.foreheadPatch.right, ...LM.foreheadPatch.left]));
    refs.push([forehead.l50, forehead.a, forehead.b]);
    const deltaE = Math.min(...refs.map((r) => Math.hypot(crown[0] - r[0], crown[1] - r[1], crown[2] - r[2])));
    const pass = deltaE <= LIMITS.headwearMaxDeltaE.value;
    return { id: 'headwear', pass, value: { coverage: r2(coverage), deltaE: r2(deltaE) }, limit: { deltaE: LIMITS.headwearMaxDeltaE.value }, hint: pass ? null : HINTS.headwear };
  },
};

/**
 * Teeth or mouth cavity between the lips, as a share of the mouth width squared: pixels inside
 * the inner lip contour that are much brighter and less coloured than the lips (teeth) or much
 * darker (cavity). Closed lips show neither, whatever the landmarks' exact inner contour.
 */
function mouthOpenArea(ctx: CheckContext, face: FaceAnalysis): number {
  const inner = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95].map((i) => lm2(face, i));
  const outer = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146].map((i) => lm2(face, i));
  const width = dist(lm2(face, LM.lips.rightCorner), lm2(face, LM.lips.leftCorner)) || 1;
  const innerPx = new Set(polygonPixels(ctx.image, inner));
  const lipPx = polygonPixels(ctx.image, outer).filter((k) => !innerPx.has(k));
  if (lipPx.length < 10) return 0;
  const lips = regionStats(ctx.image, lipPx);
  const d = ctx.image.data;
  let open = 0;
  for (const k of innerPx) {
    const o = k * 3;
    const [L, a, b] = lab(d[o]!, d[o + 1]!, d[o + 2]!);
    const chroma = Math.hypot(a, b);
    if ((L > lips.l50 + 15 && chroma < 0.6 * lips.chroma) || L < lips.l50 - 25) open++;
  }
  return open / (width * width);
}

/** Residuals of a least-squares quadratic surface z ≈ f(x, y) (normal equations, 6 terms). */
function quadraticResidual(xy: [number, number][], z: number[]): number[] {
  const terms = (x: number, y: number) => [1, x, y, x * x, x * y, y * y];
  const n = 6;
  const m = Array.from({ length: n }, () => new Float64Array(n + 1));
  xy.forEach(([x, y], i) => {
    const t = terms(x, y);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) m[r]![c]! += t[r]! * t[c]!;
      m[r]![n]! += t[r]! * z[i]!;
    }
  });
  for (let r = 0; r < n; r++) m[r]![r]! += 1e-9;
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const piv = m[c]![c]! || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / piv;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  const coef = m.map((row, i) => row[n]! / (row[i]! || 1e-12));
  return xy.map(([x, y], i) => z[i]! - terms(x, y).reduce((s, t, k) => s + t * coef[k]!, 0));
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
