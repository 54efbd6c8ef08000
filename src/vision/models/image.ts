// Pixels in and out of the models: decoding with sharp (libvips), whole-image resizes with
// sharp, and rotated square crops with a small sampler of our own. The sampler is written by
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
 * The whole image fitted (aspect kept) into a size x size square, centred, black borders, as
 * NHWC float 0..255. Returns the mapping: image x = (square x - offsetX) / scaleX, same for y.
 */
export async function letterbox(image: RgbImage, size: number): Promise<{ tensor: Float32Array; scaleX: number; scaleY: number; offsetX: number; offsetY: number }> {
  const scale = size / Math.max(image.width, image.height);
  const w = Math.max(1, Math.min(size, Math.round(image.width * scale)));
  const h = Math.max(1, Math.min(size, Math.round(image.height * scale)));
  const resized = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  const offsetX = Math.floor((size - w) / 2);
  const offsetY = Math.floor((size - h) / 2);
  const tensor = new Float32Array(size * size * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w * 3; x++) tensor[((y + offsetY) * size + offsetX) * 3 + x] = resized[y * w * 3 + x] ?? 0;
  }
  // The scale actually applied per axis differs from `scale` by the rounding of w and h.
  return { tensor, scaleX: w / image.width, scaleY: h / image.height, offsetX, offsetY };
}

/** The whole image stretched to width x height, NHWC float 0..255. */
export async function stretch(image: RgbImage, width: number, height: number): Promise<Float32Array> {
  const resized = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  return Float32Array.from(resized);
}

/** Resizes a one-byte-per-pixel plane (a mask) with bilinear interpolation. */
export async function resizePlane(plane: Uint8Array, width: number, height: number, toWidth: number, toHeight: number): Promise<Uint8Array> {
  if (width === toWidth && height === toHeight) return plane;
  const out = await sharp(plane, { raw: { width, height, channels: 1 } })
    .resize(toWidth, toHeight, { fit: 'fill', kernel: 'linear' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * sampleRoi for large images: when the crop would shrink the image by more than 2x, the
 * ROI's bounding square is first reduced by sharp (libvips, area-averaging) to about twice
 * the crop size, so the sampler touches ~4 samples per output pixel instead of 16 and still
 * does not alias. Same output as sampleRoi up to resampling differences.
 */
export async function cropRoi(image: RgbImage, roi: Roi, cropSize: number, flipX = false): Promise<Float32Array> {
  const scale = roi.size / cropSize;
  const side = Math.ceil(roi.size * (Math.abs(Math.cos(roi.angle)) + Math.abs(Math.sin(roi.angle)))) + 2;
  const left = Math.floor(roi.cx - side / 2);
  const top = Math.floor(roi.cy - side / 2);
  if (scale <= 2 || left < 0 || top < 0 || left + side > image.width || top + side > image.height) return sampleRoi(image, roi, cropSize, flipX);
  const target = Math.max(1, Math.round((side * 2) / scale));
  const f = target / side;
  const reduced = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width: side, height: side })
    .resize(target, target, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  const small: RgbImage = { width: target, height: target, data: new Uint8Array(reduced.buffer, reduced.byteOffset, reduced.byteLength) };
  return sampleRoi(small, { cx: (roi.cx - left) * f, cy: (roi.cy - top) * f, size: roi.size * f, angle: roi.angle }, cropSize, flipX);
}
