// Pixels in and out of the models: decoding with sharp (libvips); whole-image resizes and
// rotated square crops with a small sampler of our own over a mip pyramid (see Pyramid). The sampler is written by
// hand because the landmark models need crops at an arbitrary angle whose exact pixel→image
// mapping we must invert to put landmarks back in image coordinates; sharp's rotate/affine
// choose their own output canvas and rounding, which would blur that mapping.
import sharp from 'sharp';
import type { Point, RgbImage } from './types.ts';

/** 50 megapixels: the largest photo the booth agrees to decode. */
export const MAX_DECODE_PIXELS = 50_000_000;

/**
 * Decodes a photo (JPEG, PNG, WebP, TIFF...) to packed sRGB: EXIF orientation applied, alpha
 * flattened on white, grayscale and CMYK converted. Throws a clear error on corrupt,
 * truncated or oversized input.
 */
export async function decodeImage(input: Buffer | string, options: { maxPixels?: number } = {}): Promise<RgbImage> {
  const limit = options.maxPixels ?? MAX_DECODE_PIXELS;
  try {
    const { data, info } = await sharp(input, { limitInputPixels: limit, failOn: 'error', sequentialRead: true })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (err) {
    const what = typeof input === 'string' ? input : 'image';
    const msg = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(msg)) throw new Error(`${what}: larger than ${limit} pixels, refused`, { cause: err });
    throw new Error(`${what}: cannot decode image: ${msg}`, { cause: err });
  }
}

export function checkImage(image: RgbImage): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    throw new Error(`invalid image size ${image.width}x${image.height}`);
  }
  if (image.data.length !== image.width * image.height * 3) {
    throw new Error(`image data holds ${image.data.length} bytes, ${image.width}x${image.height} RGB needs ${image.width * image.height * 3}`);
  }
}

/**
 * A square region of the image, possibly rotated: centre, side length (image pixels) and
 * angle (radians, the crop's x axis is the image x axis rotated by `angle`).
 */
export interface Roi {
  cx: number;
  cy: number;
  size: number;
  angle: number;
}

/** Image point of a point given in crop pixels (continuous, 0..cropSize) of `roi`. */
export function roiToImage(roi: Roi, cropSize: number, u: number, v: number): Point {
  const s = roi.size / cropSize;
  const qx = (u - cropSize / 2) * s;
  const qy = (v - cropSize / 2) * s;
  const c = Math.cos(roi.angle);
  const n = Math.sin(roi.angle);
  return { x: roi.cx + c * qx - n * qy, y: roi.cy + n * qx + c * qy };
}

/**
 * Samples `roi` into a cropSize x cropSize RGB float tensor (NHWC, values 0..255). Bilinear,
 * with k x k supersampling when the crop shrinks the image (k = ceil(scale), at most 4), so a
 * large face is averaged, not aliased. Outside the image: black, as MediaPipe pads.
 */
export function sampleRoi(image: RgbImage, roi: Roi, cropSize: number, flipX = false): Float32Array {
  const { width: w, height: h, data } = image;
  const out = new Float32Array(cropSize * cropSize * 3);
  const scale = roi.size / cropSize;
  const k = Math.min(4, Math.max(1, Math.ceil(scale)));
  const c = Math.cos(roi.angle) * scale;
  const n = Math.sin(roi.angle) * scale;
  const half = cropSize / 2;
  const inv = 1 / (k * k);
  for (let v = 0; v < cropSize; v++) {
    for (let u = 0; u < cropSize; u++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < k; sy++) {
        const qy = v + (sy + 0.5) / k - half;
        for (let sx = 0; sx < k; sx++) {
          const qx = u + (sx + 0.5) / k - half;
          // image position, continuous, then relative to pixel centres
          const x = roi.cx + c * qx - n * qy - 0.5;
          const y = roi.cy + n * qx + c * qy - 0.5;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          const fx = x - x0;
          const fy = y - y0;
          if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
            // All four taps inside the image (nearly every sample): the loop below unrolled,
            // the same products added in the same order.
            const i = (y0 * w + x0) * 3;
            const j = i + w * 3;
            const w00 = (1 - fy) * (1 - fx);
            const w01 = (1 - fy) * fx;
            const w10 = fy * (1 - fx);
            const w11 = fy * fx;
            r += w00 * data[i]!;
            g += w00 * data[i + 1]!;
            b += w00 * data[i + 2]!;
            r += w01 * data[i + 3]!;
            g += w01 * data[i + 4]!;
            b += w01 * data[i + 5]!;
            r += w10 * data[j]!;
            g += w10 * data[j + 1]!;
            b += w10 * data[j + 2]!;
            r += w11 * data[j + 3]!;
            g += w11 * data[j + 4]!;
            b += w11 * data[j + 5]!;
            continue;
          }
          for (let dy = 0; dy < 2; dy++) {
            const yy = y0 + dy;
            if (yy < 0 || yy >= h) continue;
            const wy = dy ? fy : 1 - fy;
            for (let dx = 0; dx < 2; dx++) {
              const xx = x0 + dx;
              if (xx < 0 || xx >= w) continue;
              const wgt = wy * (dx ? fx : 1 - fx);
              const i = (yy * w + xx) * 3;
              r += wgt * (data[i] ?? 0);
              g += wgt * (data[i + 1] ?? 0);
              b += wgt * (data[i + 2] ?? 0);
            }
          }
        }
      }
      const ou = flipX ? cropSize - 1 - u : u;
      const o = (v * cropSize + ou) * 3;
      out[o] = r * inv;
      out[o + 1] = g * inv;
      out[o + 2] = b * inv;
    }
  }
  return out;
}

/**
 * The image resampled to width x height (aspect not kept), NHWC float 0..255: read from the
 * pyramid level that shrinks by less than 2x, bilinear with k x k supersampling (k = the
 * remaining shrink, rounded up), so the result is an area average without aliasing. The same
 * sampler as sampleRoi, axis-aligned; in JS because a libvips round trip per model input cost
 * more than the resize itself.
 */
export function resample(image: RgbImage, width: number, height: number): Float32Array {
  const { image: src } = pyramidOf(image).levelFor(Math.min(image.width / width, image.height / height));
  const { width: w, height: h, data } = src;
  const sx = w / width;
  const sy = h / height;
  const kx = Math.min(4, Math.max(1, Math.ceil(sx)));
  const ky = Math.min(4, Math.max(1, Math.ceil(sy)));
  // The sample positions depend on u alone (x) or v alone (y): computed once per column and per
  // row instead of once per sample (the arithmetic of each sample is unchanged).
  const xs = sampleTaps(width, w, sx, kx, 3);
  const ys = sampleTaps(height, h, sy, ky, w * 3);
  const out = new Float32Array(width * height * 3);
  const inv = 1 / (kx * ky);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let j = 0; j < ky; j++) {
        const ty = v * ky + j;
        const row0 = ys.i0[ty]!;
        const row1 = ys.i1[ty]!;
        const fy = ys.f[ty]!;
        for (let i = 0; i < kx; i++) {
          const tx = u * kx + i;
          const x0 = xs.i0[tx]!;
          const x1 = xs.i1[tx]!;
          const fx = xs.f[tx]!;
          const a = row0 + x0;
          const bq = row0 + x1;
          const c = row1 + x0;
          const d = row1 + x1;
          const w00 = (1 - fx) * (1 - fy);
          const w01 = fx * (1 - fy);
          const w10 = (1 - fx) * fy;
          const w11 = fx * fy;
          r += w00 * data[a]! + w01 * data[bq]! + w10 * data[c]! + w11 * data[d]!;
          g += w00 * data[a + 1]! + w01 * data[bq + 1]! + w10 * data[c + 1]! + w11 * data[d + 1]!;
          b += w00 * data[a + 2]! + w01 * data[bq + 2]! + w10 * data[c + 2]! + w11 * data[d + 2]!;
        }
      }
      const o = (v * width + u) * 3;
      out[o] = r * inv;
      out[o + 1] = g * inv;
      out[o + 2] = b * inv;
    }
  }
  return out;
}

/**
 * Bilinear taps of k supersamples per output pixel along one axis: for output pixel t and sample
 * s (index t·k + s), the two source indices (times `stride`) and the weight of the second.
 */
function sampleTaps(outSize: number, srcSize: number, scale: number, k: number, stride: number): { i0: Int32Array; i1: Int32Array; f: Float64Array } {
  const i0 = new Int32Array(outSize * k);
  const i1 = new Int32Array(outSize * k);
  const f = new Float64Array(outSize * k);
  for (let t = 0; t < outSize; t++) {
    for (let s = 0; s < k; s++) {
      const p = Math.min(srcSize - 1, Math.max(0, (t + (s + 0.5) / k) * scale - 0.5));
      const p0 = Math.floor(p);
      i0[t * k + s] = p0 * stride;
      i1[t * k + s] = Math.min(srcSize - 1, p0 + 1) * stride;
      f[t * k + s] = p - p0;
    }
  }
  return { i0, i1, f };
}

/**
 * The whole image fitted (aspect kept) into a size x size square, centred, black borders, as
 * NHWC float 0..255. Returns the mapping: image x = (square x - offsetX) / scaleX, same for y.
 */
export async function letterbox(image: RgbImage, size: number): Promise<{ tensor: Float32Array; scaleX: number; scaleY: number; offsetX: number; offsetY: number }> {
  const scale = size / Math.max(image.width, image.height);
  const w = Math.max(1, Math.min(size, Math.round(image.width * scale)));
  const h = Math.max(1, Math.min(size, Math.round(image.height * scale)));
  const resized = resample(image, w, h);
  const offsetX = Math.floor((size - w) / 2);
  const offsetY = Math.floor((size - h) / 2);
  const tensor = new Float32Array(size * size * 3);
  for (let y = 0; y < h; y++) tensor.set(resized.subarray(y * w * 3, (y + 1) * w * 3), ((y + offsetY) * size + offsetX) * 3);
  // The scale actually applied per axis differs from `scale` by the rounding of w and h.
  return { tensor, scaleX: w / image.width, scaleY: h / image.height, offsetX, offsetY };
}

/** The whole image stretched to width x height, NHWC float 0..255. */
export async function stretch(image: RgbImage, width: number, height: number): Promise<Float32Array> {
  return resample(image, width, height);
}

/** Resizes a one-byte-per-pixel plane (a mask) with bilinear interpolation (pixel centres aligned). */
export async function resizePlane(plane: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Promise<Uint8Array> {
  if (width === toWidth && height === toHeight) return plane;
  const out = new Uint8Array(toWidth * toHeight);
  const sx = width / toWidth;
  const sy = height / toHeight;
  for (let v = 0; v < toHeight; v++) {
    const y = Math.min(height - 1, Math.max(0, (v + 0.5) * sy - 0.5));
    const y0 = Math.floor(y);
    const y1 = Math.min(height - 1, y0 + 1);
    const fy = y - y0;
    for (let u = 0; u < toWidth; u++) {
      const x = Math.min(width - 1, Math.max(0, (u + 0.5) * sx - 0.5));
      const x0 = Math.floor(x);
      const x1 = Math.min(width - 1, x0 + 1);
      const fx = x - x0;
      const top = plane[y0 * width + x0]! * (1 - fx) + plane[y0 * width + x1]! * fx;
      const bottom = plane[y1 * width + x0]! * (1 - fx) + plane[y1 * width + x1]! * fx;
      out[v * toWidth + u] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return out;
}

/**
 * A mip pyramid of an image: level 0 is the image, each next level half the size (2x2 box
 * average), down to about 128 px. Crops and whole-image resizes read the level whose scale
 * is just above what they need, so a 2028x1520 capture is reduced once per analysis instead of
 * once per model input, and every sample touches at most 2x2 source pixels per output pixel
 * without aliasing (the classic mipmapping trade-off). Written by hand: a 2x2 average over a
 * byte array is a few lines, and a libvips round trip per level costs more than it.
 */
export class Pyramid {
  private readonly levels: RgbImage[];

  constructor(image: RgbImage) {
    this.levels = [image];
  }

  get base(): RgbImage {
    return this.levels[0] as RgbImage;
  }

  /** Level `l` (0 = the image), built on first use. */
  level(l: number): RgbImage {
    while (this.levels.length <= l) this.levels.push(halve(this.levels[this.levels.length - 1] as RgbImage));
    return this.levels[l] as RgbImage;
  }

  /** The level on which a shrink of the base by `shrink` is a shrink by at least 1 and less than 2 (level 0 when shrink < 2), and its size relative to the base. */
  levelFor(shrink: number): { image: RgbImage; factor: number } {
    let l = 0;
    let w = this.base.width;
    let h = this.base.height;
    while (shrink / 2 ** (l + 1) >= 1 && Math.min(w, h) >= 32) {
      l++;
      w >>= 1;
      h >>= 1;
    }
    const image = this.level(l);
    return { image, factor: image.width / this.base.width };
  }
}

const pyramids = new WeakMap<RgbImage, Pyramid>();

/**
 * The pyramid of an image, built once per image object (the models are called several times on
 * one image: detector, mesh, iris, expression, segmentation). An image object is taken as
 * immutable: new pixels come in a new object (the analyser wraps every frame in one).
 */
export function pyramidOf(image: RgbImage): Pyramid {
  let p = pyramids.get(image);
  if (!p || p.base.data !== image.data || p.base.width !== image.width || p.base.height !== image.height) {
    p = new Pyramid(image);
    pyramids.set(image, p);
  }
  return p;
}

/** 2x2 box average (odd last row/column dropped). */
export function halve(image: RgbImage): RgbImage {
  const w = image.width >> 1;
  const h = image.height >> 1;
  const src = image.data;
  const sw = image.width * 3;
  const out = new Uint8Array(w * h * 3);
  let o = 0;
  for (let y = 0; y < h; y++) {
    let a = 2 * y * sw;
    let b = a + sw;
    for (let x = 0; x < w; x++, a += 6, b += 6) {
      out[o++] = (src[a]! + src[a + 3]! + src[b]! + src[b + 3]! + 2) >> 2;
      out[o++] = (src[a + 1]! + src[a + 4]! + src[b + 1]! + src[b + 4]! + 2) >> 2;
      out[o++] = (src[a + 2]! + src[a + 5]! + src[b + 2]! + src[b + 5]! + 2) >> 2;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * sampleRoi on the pyramid level that shrinks by less than 2x (so the sampler takes at most
 * 2x2 samples per output pixel and still does not alias); the ROI is mapped to that level's
 * pixels. Same output as sampleRoi on the full image up to resampling differences.
 */
export async function cropRoi(image: RgbImage, roi: Roi, cropSize: number, flipX = false): Promise<Float32Array> {
  const { image: level, factor } = pyramidOf(image).levelFor(roi.size / cropSize);
  if (factor === 1) return sampleRoi(image, roi, cropSize, flipX);
  const fx = level.width / image.width;
  const fy = level.height / image.height;
  return sampleRoi(level, { cx: roi.cx * fx, cy: roi.cy * fy, size: roi.size * Math.sqrt(fx * fy), angle: roi.angle }, cropSize, flipX);
}
