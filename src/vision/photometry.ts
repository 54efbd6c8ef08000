// Measuring light and colour over regions of an image: sRGB ↔ linear light, CIE L*a*b*
// (D65), polygon masks, robust statistics, and the edge-blur estimate used for sharpness.
// Written by hand: these are a few formulas over typed arrays, on regions given by landmarks,
// which no image library exposes as such (sharp works on whole images).
import type { Point, RgbImage } from './analysis.ts';

const srgbToLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
/** sRGB 8-bit → linear light 0..1. */
export const LINEAR = Float32Array.from({ length: 256 }, (_, v) => srgbToLinear(v));

/**
 * Each channel's share of Y, X and Z before the sum: coefficient × LINEAR[v], the very
 * product the formulas compute (the same double), looked up instead of multiplied: per pixel
 * this halves the time of luminance() and of regionStats' L*a*b*, with the same numbers.
 */
const times = (k: number) => Float64Array.from(LINEAR, (v) => k * v);
const YR = times(0.2126);
const YG = times(0.7152);
const YB = times(0.0722);
const XR = times(0.4124);
const XG = times(0.3576);
const XB = times(0.1805);
const ZR = times(0.0193);
const ZG = times(0.1192);
const ZB = times(0.9505);

/** Relative luminance Y (0..1, linear light, Rec. 709 primaries) of a pixel: 0.2126 R + 0.7152 G + 0.0722 B in linear light. */
export function luminance(r: number, g: number, b: number): number {
  return YR[r]! + YG[g]! + YB[b]!;
}

const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
/** CIE L* (0..100) of a relative luminance. */
export const lightness = (y: number) => 116 * f(y) - 16;

/** CIE L*a*b* (D65) of an sRGB pixel. */
export function lab(r: number, g: number, b: number): [number, number, number] {
  const X = (XR[r]! + XG[g]! + XB[b]!) / 0.95047;
  const Y = YR[r]! + YG[g]! + YB[b]!;
  const Z = (ZR[r]! + ZG[g]! + ZB[b]!) / 1.08883;
  const fx = f(X);
  const fy = f(Y);
  const fz = f(Z);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

/**
 * Pixel indices (y * width + x) inside a polygon, clipped to the image, in row order. An
 * Int32Array sized by a first pass over the rows' spans: a face oval is 10⁴-10⁵ pixels, and a
 * growing number[] of them was garbage for the collector at every validation.
 */
export function polygonPixels(image: { width: number; height: number }, poly: readonly Point[], step = 1): Int32Array {
  if (poly.length < 3) return new Int32Array(0);
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of poly) {
    minY = Math.min(minY, p[1]);
    maxY = Math.max(maxY, p[1]);
  }
  const spans: number[] = [];
  let count = 0;
  const y0 = Math.max(0, Math.ceil(minY));
  const y1 = Math.min(image.height - 1, Math.floor(maxY));
  const xs: number[] = [];
  for (let y = y0; y <= y1; y += step) {
    xs.length = 0;
    for (let i = 0; i < poly.length; i++) {
      const a = poly[i]!;
      const b = poly[(i + 1) % poly.length]!;
      if ((a[1] <= y && b[1] > y) || (b[1] <= y && a[1] > y)) xs.push(a[0] + ((y - a[1]) / (b[1] - a[1])) * (b[0] - a[0]));
    }
    xs.sort((p, q) => p - q);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const x0 = Math.max(0, Math.ceil(xs[k]!));
      const x1 = Math.min(image.width - 1, Math.floor(xs[k + 1]!));
      if (x1 < x0) continue;
      spans.push(y, x0, x1);
      count += Math.floor((x1 - x0) / step) + 1;
    }
  }
  const out = new Int32Array(count);
  let o = 0;
  for (let i = 0; i < spans.length; i += 3) {
    const row = spans[i]! * image.width;
    for (let x = spans[i + 1]!; x <= spans[i + 2]!; x += step) out[o++] = row + x;
  }
  return out;
}

/** Pixels of a convex hull of points (for small landmark patches). */
export function hullPixels(image: { width: number; height: number }, pts: readonly Point[]): Int32Array {
  return polygonPixels(image, convexHull(pts));
}

export function convexHull(points: readonly Point[]): Point[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const crossZ = (o: Point, a: Point, b: Point) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Point[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && crossZ(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Point[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && crossZ(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

/**
 * The q-quantile with linear interpolation between order statistics (same definition as
 * sorting and reading position q·(n−1)). Quickselect on a copy: O(n) instead of a full sort,
 * which mattered for the 10⁵-10⁶ gradients of the sharpness window.
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  return percentiles(values, [q])[0]!;
}

/**
 * Several quantiles of the same values (same definition as percentile), copying them once: each
 * quickselect works on any order of the array, so the partitions of one serve the next.
 */
export function percentiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  const n = values.length;
  if (n === 0) return qs.map(() => NaN);
  const a = Float64Array.from(values as ArrayLike<number>);
  return qs.map((q) => {
    const pos = Math.min(n - 1, Math.max(0, q * (n - 1)));
    const lo = Math.floor(pos);
    const vlo = select(a, lo);
    if (pos === lo) return vlo;
    let vhi = Infinity;
    for (let i = lo + 1; i < n; i++) if (a[i]! < vhi) vhi = a[i]!;
    return vlo + (vhi - vlo) * (pos - lo);
  });
}

/** Hoare's quickselect (median-of-three pivot): puts the k-th smallest at a[k], smaller before, larger after. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    // median of three as pivot
    const x = a[left]!;
    const y = a[mid]!;
    const z = a[right]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s / values.length;
}

export interface RegionStats {
  n: number;
  /** Mean linear luminance. */
  meanY: number;
  /** L* percentiles. */
  l5: number;
  l50: number;
  l95: number;
  /** Mean a*, b*, and mean chroma C*ab. */
  a: number;
  b: number;
  chroma: number;
  /** Share of pixels with a channel at 250 or more / all channels at 5 or less. */
  clipped: number;
  crushed: number;
}

export function regionStats(image: RgbImage, pixels: ArrayLike<number>): RegionStats {
  const n = pixels.length;
  const ls = new Float32Array(n);
  let sumY = 0;
  let sa = 0;
  let sb = 0;
  let sc = 0;
  let clipped = 0;
  let crushed = 0;
  const d = image.data;
  for (let k = 0; k < n; k++) {
    const o = pixels[k]! * 3;
    const r = d[o]!;
    const g = d[o + 1]!;
    const b = d[o + 2]!;
    // lab() and luminance() inlined (same formulas, same order of operations: same numbers),
    // without the array lab() returns: this loop runs over 10⁴-10⁵ pixels per check.
    const Y = YR[r]! + YG[g]! + YB[b]!;
    const fx = f((XR[r]! + XG[g]! + XB[b]!) / 0.95047);
    const fy = f(Y);
    const fz = f((ZR[r]! + ZG[g]! + ZB[b]!) / 1.08883);
    const A = 500 * (fx - fy);
    const Bb = 200 * (fy - fz);
    ls[k] = 116 * fy - 16;
    sumY += Y;
    sa += A;
    sb += Bb;
    sc += Math.hypot(A, Bb);
    if (r >= 250 || g >= 250 || b >= 250) clipped++;
    if (r <= 5 && g <= 5 && b <= 5) crushed++;
  }
  const [l5, l50, l95] = percentiles(ls, [0.05, 0.5, 0.95]) as [number, number, number];
  return {
    n,
    meanY: n ? sumY / n : NaN,
    l5,
    l50,
    l95,
    a: n ? sa / n : NaN,
    b: n ? sb / n : NaN,
    chroma: n ? sc / n : NaN,
    clipped: n ? clipped / n : 0,
    crushed: n ? crushed / n : 0,
  };
}

/** Gray (luma, 0..255) of a rectangular window, as floats. */
export function grayWindow(image: RgbImage, x0: number, y0: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  const d = image.data;
  for (let y = 0; y < h; y++) {
    const yy = Math.min(image.height - 1, Math.max(0, y0 + y));
    for (let x = 0; x < w; x++) {
      const xx = Math.min(image.width - 1, Math.max(0, x0 + x));
      const o = (yy * image.width + xx) * 3;
      out[y * w + x] = 0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!;
    }
  }
  return out;
}

/** f x f box average of a float plane whose sides are multiples of f. */
export function boxReduce(src: Float32Array, w: number, h: number, f: number): Float32Array {
  if (f === 1) return src;
  const ow = Math.floor(w / f);
  const oh = Math.floor(h / f);
  const out = new Float32Array(ow * oh);
  const inv = 1 / (f * f);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let dy = 0; dy < f; dy++) {
        const row = (y * f + dy) * w + x * f;
        for (let dx = 0; dx < f; dx++) s += src[row + dx]!;
      }
      out[y * ow + x] = s * inv;
    }
  }
  return out;
}

/**
 * Separable Gaussian blur of a float image (edges clamped). Each output pixel is the same sum,
 * in the same order, as the direct formula; the horizontal pass reads a row padded with its
 * edge values (no clamping in the loop) and the vertical pass accumulates whole rows, which
 * walks memory in order instead of down columns.
 */
/**
 * out[row + x] = Σ_k kernel[k]·pad[x + k] for x < w, each sum taken in k order. Four outputs at a
 * time: their sums are independent chains of additions, so the processor overlaps them instead
 * of waiting on one chain's latency (3-4x faster); each sum's own order, hence its value, is
 * unchanged.
 */
function convolveRow(pad: Float64Array, kernel: Float64Array, out: Float32Array, row: number, w: number): void {
  const n = kernel.length;
  let x = 0;
  for (; x + 4 <= w; x += 4) {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < n; k++) {
      const kv = kernel[k]!;
      s0 += kv * pad[x + k]!;
      s1 += kv * pad[x + 1 + k]!;
      s2 += kv * pad[x + 2 + k]!;
      s3 += kv * pad[x + 3 + k]!;
    }
    out[row + x] = s0;
    out[row + x + 1] = s1;
    out[row + x + 2] = s2;
    out[row + x + 3] = s3;
  }
  for (; x < w; x++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += kernel[k]! * pad[x + k]!;
    out[row + x] = s;
  }
}

/** The normalised Gaussian kernel (Float32 weights, as the blur has always used). */
function gaussianKernel(sigma: number): { radius: number; kernel: Float64Array } {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k32 = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k32[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k32.length; i++) k32[i]! /= sum;
  return { radius, kernel: Float64Array.from(k32) };
}

/** The horizontal pass (edges repeated) of the rows `rows` marks, or of every row. */
function horizontalPass(src: Float32Array, w: number, h: number, radius: number, kernel: Float64Array, rows?: Uint8Array): Float32Array {
  const tmp = new Float32Array(w * h);
  const pad = new Float64Array(w + 2 * radius);
  for (let y = 0; y < h; y++) {
    if (rows && !rows[y]) continue;
    const row = y * w;
    for (let x = 0; x < w; x++) pad[x + radius] = src[row + x]!;
    const first = src[row]!;
    const last = src[row + w - 1]!;
    for (let i = 0; i < radius; i++) {
      pad[i] = first;
      pad[w + radius + i] = last;
    }
    convolveRow(pad, kernel, tmp, row, w);
  }
  return tmp;
}

export function gaussianBlur(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const { radius, kernel } = gaussianKernel(sigma);
  const n = kernel.length;
  const tmp = horizontalPass(src, w, h, radius, kernel);
  const out = new Float32Array(w * h);
  const acc = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    acc.fill(0);
    for (let k = 0; k < n; k++) {
      const r = Math.min(h - 1, Math.max(0, y + k - radius)) * w;
      const kv = kernel[k]!;
      for (let x = 0; x < w; x++) acc[x]! += kv * tmp[r + x]!;
    }
    out.set(acc, y * w);
  }
  return out;
}

/**
 * gaussianBlur's result at the given cells only (the others left 0): the rows within the
 * kernel's reach of a cell get the horizontal pass, and each cell the vertical one alone. The
 * same operations in the same order as gaussianBlur, so the same numbers bit for bit at those
 * cells; used when a measure reads a blurred grid at a subset of its cells.
 */
export function gaussianBlurAt(src: Float32Array, w: number, h: number, sigma: number, cells: readonly number[]): Float32Array {
  const { radius, kernel } = gaussianKernel(sigma);
  const n = kernel.length;
  const rows = new Uint8Array(h);
  for (const k of cells) {
    const y = Math.floor(k / w);
    for (let r = Math.max(0, y - radius); r <= Math.min(h - 1, y + radius); r++) rows[r] = 1;
  }
  const tmp = horizontalPass(src, w, h, radius, kernel, rows);
  const out = new Float32Array(w * h);
  for (const c of cells) {
    const y = Math.floor(c / w);
    const x = c - y * w;
    let acc = 0;
    for (let k = 0; k < n; k++) acc += kernel[k]! * tmp[Math.min(h - 1, Math.max(0, y + k - radius)) * w + x]!;
    out[c] = acc;
  }
  return out;
}

function gradientMagnitudes(g: Float32Array, w: number, h: number, margin: number): Float32Array {
  const out = new Float32Array(Math.max(0, (w - 2 * margin) * (h - 2 * margin)));
  let k = 0;
  for (let y = margin; y < h - margin; y++) {
    for (let x = margin; x < w - margin; x++) {
      const i = y * w + x;
      const gx = g[i + 1]! - g[i - 1]!;
      const gy = g[i + w]! - g[i - w]!;
      out[k++] = Math.sqrt(gx * gx + gy * gy) / 2;
    }
  }
  return out;
}

/**
 * Edge blur (Gaussian σ, in pixels) of a gray window by re-blurring (Hu & de Haan, "Low cost
 * robust blur estimator", ICIP 2006): a step edge blurred by σ has a peak gradient ∝ 1/σ; blurred
 * again by a known σr it becomes ∝ 1/√(σ² + σr²). The ratio R of the strongest gradients before
 * and after gives σ = σr·R/√(1 − R²), independent of the edge's contrast.
 */
export function edgeBlurSigma(gray: Float32Array, w: number, h: number, reblur = 2): number {
  const margin = Math.ceil(3 * reblur) + 1;
  if (w <= 2 * margin + 4 || h <= 2 * margin + 4) return NaN;
  const g0 = gradientMagnitudes(gray, w, h, margin);
  const g1 = gradientMagnitudes(gaussianBlur(gray, w, h, reblur), w, h, margin);
  // The strongest edges: the top 0.5 % of gradients of each image.
  const p0 = percentile(g0, 0.995);
  const p1 = percentile(g1, 0.995);
  if (!(p0 > 0)) return Infinity;
  const r = Math.min(0.999, p1 / p0);
  return (reblur * r) / Math.sqrt(1 - r * r);
}

/**
 * Least-squares second-order surface z ≈ c0 + c1·x + c2·y + c3·x² + c4·xy + c5·y² through the
 * points (normal equations, Gaussian elimination with partial pivoting). Coordinates should be
 * normalised to about 0..1 for conditioning.
 */
export function fitQuadricSurface(xy: readonly (readonly [number, number])[], z: ArrayLike<number>): (x: number, y: number) => number {
  const n = 6;
  const m = Array.from({ length: n }, () => new Float64Array(n + 1));
  const t = new Float64Array(n);
  for (let i = 0; i < xy.length; i++) {
    const [x, y] = xy[i]!;
    t[0] = 1;
    t[1] = x;
    t[2] = y;
    t[3] = x * x;
    t[4] = x * y;
    t[5] = y * y;
    const zi = z[i]!;
    for (let r = 0; r < n; r++) {
      const row = m[r]!;
      for (let c = 0; c < n; c++) row[c]! += t[r]! * t[c]!;
      row[n]! += t[r]! * zi;
    }
  }
  const k = solveNormalEquations(m);
  return (x, y) => k[0]! + k[1]! * x + k[2]! * y + k[3]! * x * x + k[4]! * x * y + k[5]! * y * y;
}

/**
 * Solves least-squares normal equations given as the augmented n x (n+1) matrix (rows modified
 * in place): a tiny ridge on the diagonal, then Gaussian elimination with partial pivoting.
 */
export function solveNormalEquations(m: Float64Array[]): number[] {
  const n = m.length;
  for (let r = 0; r < n; r++) m[r]![r]! += 1e-9;
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
  return m.map((row, i) => row[n]! / (row[i]! || 1e-12));
}
