// The pieces the speed work added, against their plain definitions: the quickselect percentile
// against sorting, the mip pyramid against box averaging, the resampler and mask resize on
// images whose answer is known, the blur at chosen cells and the colour lookup tables against
// the formulas they replace.
import t from 'tap';
import { gaussianBlur, gaussianBlurAt, lab, LINEAR, luminance, percentile, percentiles } from '../../src/vision/photometry.ts';
import type { RgbImage } from '../../src/vision/models/types.ts';
import { halve, Pyramid, resample, resizePlane, cropRoi, sampleRoi } from '../../src/vision/models/image.ts';

// A deterministic pseudo-random sequence (no flaky seeds).
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

t.test('percentile = the sorted-array definition (interpolated at q·(n−1)), ties and all', async (t) => {
  const rnd = lcg(7);
  const sorted = (v: number[], q: number) => {
    const s = Float64Array.from(v).sort();
    const pos = q * (s.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  };
  let mismatches = 0;
  for (let trial = 0; trial < 2000; trial++) {
    const n = 1 + Math.floor(rnd() * 80);
    const v = Array.from({ length: n }, () => (rnd() < 0.4 ? Math.floor(rnd() * 3) : rnd() * 100 - 50));
    for (const q of [0, 0.05, 0.5, 0.9, 0.95, 0.995, 1, rnd()]) if (Math.abs(percentile(v, q) - sorted(v, q)) > 1e-9) mismatches++;
  }
  t.equal(mismatches, 0);
  t.ok(Number.isNaN(percentile([], 0.5)), 'empty: NaN');
  const input = [3, 1, 2];
  percentile(input, 0.5);
  t.same(input, [3, 1, 2], 'the input is not reordered');
});

const image = (w: number, h: number, f: (x: number, y: number, c: number) => number): RgbImage => {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
  return { width: w, height: h, data };
};

t.test('pyramid levels are 2x2 box averages, built on demand', async (t) => {
  const img = image(9, 6, (x, y, c) => (x * 20 + y * 7 + c * 50) % 256);
  const h = halve(img);
  t.same([h.width, h.height], [4, 3]);
  const px = (im: RgbImage, x: number, y: number, c: number) => im.data[(y * im.width + x) * 3 + c]!;
  const expect = Math.round((px(img, 2, 0, 1) + px(img, 3, 0, 1) + px(img, 2, 1, 1) + px(img, 3, 1, 1)) / 4);
  t.ok(Math.abs(px(h, 1, 0, 1) - expect) <= 0.5, 'box average');
  const p = new Pyramid(image(1024, 768, () => 100));
  t.equal(p.levelFor(1.5).factor, 1, 'shrink < 2: the image itself');
  t.equal(p.levelFor(2).factor, 0.5);
  t.equal(p.levelFor(7.9).factor, 0.25, 'shrink 7.9: level 2, which leaves a shrink of 1.98');
  t.equal(p.level(2).width, 256);
});

t.test('resample keeps flat and linear images, maps pixel centres', async (t) => {
  const flat = resample(image(640, 480, (_x, _y, c) => 40 + c * 60), 100, 77);
  t.equal(flat.length, 100 * 77 * 3);
  t.ok(flat.every((v, i) => Math.abs(v - (40 + (i % 3) * 60)) < 1e-3), 'a flat image stays flat');
  // A horizontal ramp shrunk 4x: the output pixel u averages source x in [4u, 4u+4), mean 4u+1.5.
  const ramp = resample(image(256, 8, (x) => x), 64, 2);
  let worst = 0;
  for (let u = 1; u < 63; u++) worst = Math.max(worst, Math.abs(ramp[u * 3]! - (4 * u + 1.5)));
  t.ok(worst < 0.6, `ramp averages the right source pixels (worst error ${worst.toFixed(2)})`);
});

t.test('cropRoi on a pyramid level matches sampling the full image', async (t) => {
  const img = image(1600, 1200, (x, y, c) => Math.round(128 + 100 * Math.sin(x / 90 + c) * Math.cos(y / 70)));
  const roi = { cx: 800, cy: 600, size: 900, angle: 0.2 };
  const fast = await cropRoi(img, roi, 192);
  const ref = sampleRoi(img, roi, 192);
  let sum = 0;
  for (let i = 0; i < fast.length; i++) sum += Math.abs(fast[i]! - ref[i]!);
  t.ok(sum / fast.length < 2, `mean difference ${(sum / fast.length).toFixed(2)} of 255`);
});

t.test('resizePlane: bilinear, centres aligned', async (t) => {
  const plane = Uint8Array.from([0, 255, 0, 255]);
  const up = await resizePlane(plane, 2, 2, 4, 4);
  t.same([...up.subarray(0, 4)], [0, 64, 191, 255], 'the first row ramps from 0 to 255');
  t.equal(await resizePlane(plane, 2, 2, 2, 2), plane, 'same size: the plane itself');
});

t.test('percentiles = percentile for each q; gaussianBlur = the direct clamped-edge formula, bit for bit', async (t) => {
  const rnd = lcg(11);
  for (let trial = 0; trial < 200; trial++) {
    const v = Float32Array.from({ length: 1 + Math.floor(rnd() * 300) }, () => (rnd() < 0.3 ? 5 : rnd() * 100));
    const qs = [0.95, 0.05, 0.5, rnd(), 1, 0];
    t.same(percentiles(v, qs), qs.map((q) => percentile(v, q)));
  }
  t.same(percentiles([], [0.5]), [NaN]);
  // The definition: each output pixel sums kernel[k] · src[clamped neighbour] for k ascending,
  // horizontally then vertically, the kernel normalised in float32 like the implementation's.
  const direct = (src: Float32Array, w: number, h: number, sigma: number) => {
    const r = Math.max(1, Math.ceil(3 * sigma));
    const k = new Float32Array(2 * r + 1);
    let sum = 0;
    for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
    for (let i = 0; i < k.length; i++) k[i]! /= sum;
    const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
    const tmp = new Float32Array(w * h);
    const out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { let s = 0; for (let i = -r; i <= r; i++) s += k[i + r]! * src[y * w + clamp(x + i, w)]!; tmp[y * w + x] = s; }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { let s = 0; for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[clamp(y + i, h) * w + x]!; out[y * w + x] = s; }
    return out;
  };
  for (const [w, h, sigma] of [[97, 61, 2], [40, 33, 4], [1, 9, 0.7], [5, 3, 2], [64, 64, 1.3]] as const) {
    const src = Float32Array.from({ length: w * h }, () => rnd() * 255);
    const a = gaussianBlur(src, w, h, sigma);
    const b = direct(src, w, h, sigma);
    let differing = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
    t.equal(differing, 0, `${w}x${h} σ ${sigma}`);
    // gaussianBlurAt: the same numbers at the cells asked for (a random third and the corners), 0 elsewhere.
    const cells = [0, w - 1, (h - 1) * w, w * h - 1, ...Array.from({ length: w * h }, (_, i) => i).filter(() => rnd() < 0.33)];
    const at = gaussianBlurAt(src, w, h, sigma, cells);
    const asked = new Set(cells);
    let wrong = 0;
    for (let i = 0; i < at.length; i++) if (at[i] !== (asked.has(i) ? b[i] : 0)) wrong++;
    t.equal(wrong, 0, `gaussianBlurAt ${w}x${h} σ ${sigma}`);
  }
});

t.test('luminance and lab by lookup tables = the formulas in linear light, bit for bit', async (t) => {
  const f = (v: number) => (v > 216 / 24389 ? Math.cbrt(v) : (24389 / 27 * v + 16) / 116);
  let wrong = 0;
  for (let r = 0; r < 256; r += 3) {
    for (let g = 0; g < 256; g += 5) {
      for (let b = 0; b < 256; b += 7) {
        const R = LINEAR[r]!;
        const G = LINEAR[g]!;
        const B = LINEAR[b]!;
        const Y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
        const X = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
        const Z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
        const [L, A, Bb] = lab(r, g, b);
        if (luminance(r, g, b) !== Y || L !== 116 * f(Y) - 16 || A !== 500 * (f(X) - f(Y)) || Bb !== 200 * (f(Y) - f(Z))) wrong++;
      }
    }
  }
  t.equal(wrong, 0, 'no pixel differs');
});
