// Reading a photo from untrusted bytes into packed sRGB, whatever it is: JPEG with an EXIF
// orientation, grayscale, CMYK, PNG with alpha, 16-bit, huge. sharp (libvips) does the decoding;
// this file only sets the limits and normalises, so a bad file gives a clear error and a
// huge one is shrunk while it is decoded (JPEG shrink-on-load), keeping memory bounded.
import sharp, { type Metadata } from 'sharp';
import type { RgbImage } from './analysis.ts';

/** Refuse images above this many pixels (decompression bombs); 50 MP photos pass. */
export const MAX_INPUT_PIXELS = 120_000_000;
/** Analysis resolution: the long side is brought down to this (the checks need no more). */
export const ANALYSIS_LONG_SIDE = 2048;
/** Smallest image worth analysing. */
export const MIN_SIDE = 64;

export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

export interface LoadedImage extends RgbImage {
  /** Size of the original after EXIF rotation. */
  originalWidth: number;
  originalHeight: number;
  /** Format as sharp saw it (jpeg, png, webp, tiff...). */
  format: string;
  /** The original had one channel (gray) or no colour at all. */
  grayscaleSource: boolean;
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/unsupported image format|Input buffer contains unsupported/i.test(msg)) return 'not an image (unsupported format)';
  if (/pixel limit/i.test(msg)) return `image too large (more than ${MAX_INPUT_PIXELS / 1e6} megapixels)`;
  if (/premature end|truncated|VipsJpeg|Corrupt|read error|Invalid|bad|out of order/i.test(msg)) return `corrupt or truncated image (${msg.split('\n')[0]})`;
  return msg.split('\n')[0] ?? msg;
}

/**
 * Decodes `input` (bytes) to sRGB 8-bit packed RGB, rotated upright, alpha flattened on white
 * (as it would print), at most `longSide` pixels on its long side.
 */
export async function loadImage(input: Buffer, options: { longSide?: number } = {}): Promise<LoadedImage> {
  const longSide = options.longSide ?? ANALYSIS_LONG_SIDE;
  if (input.length === 0) throw new ImageError('empty file');
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
  } catch (err) {
    throw new ImageError(describe(err));
  }
  if (!meta.width || !meta.height) throw new ImageError('image without dimensions');
  if (meta.width * meta.height > MAX_INPUT_PIXELS) throw new ImageError(`image too large (${meta.width}x${meta.height}, more than ${MAX_INPUT_PIXELS / 1e6} megapixels)`);
  const swapped = (meta.orientation ?? 1) >= 5;
  const originalWidth = swapped ? meta.height : meta.width;
  const originalHeight = swapped ? meta.width : meta.height;
  if (Math.min(originalWidth, originalHeight) < MIN_SIDE) throw new ImageError(`image too small (${originalWidth}x${originalHeight}; at least ${MIN_SIDE} pixels a side)`);
  try {
    const { data, info } = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true, failOn: 'error' })
      .rotate()
      .resize({ width: longSide, height: longSide, fit: 'inside', withoutEnlargement: true, fastShrinkOnLoad: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new ImageError(`unexpected ${info.channels} channels after conversion`);
    return {
      data,
      width: info.width,
      height: info.height,
      originalWidth,
      originalHeight,
      format: meta.format ?? 'unknown',
      grayscaleSource: meta.channels === 1 || meta.space === 'b-w' || meta.space === 'grey16' || (meta.channels === 2 && meta.hasAlpha === true),
    };
  } catch (err) {
    if (err instanceof ImageError) throw err;
    throw new ImageError(describe(err));
  }
}

/** Packed RGB → JPEG (sRGB). */
export async function encodeJpeg(image: RgbImage, quality = 92): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();
}

/** Resizes packed RGB (area averaging when shrinking). */
export async function resizeRgb(image: RgbImage, width: number, height: number): Promise<RgbImage> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize({ width, height, fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
