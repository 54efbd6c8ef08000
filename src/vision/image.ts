// Reading a photo from untrusted bytes into packed sRGB, whatever it is: JPEG with an EXIF
// orientation, grayscale, CMYK, PNG with alpha, 16-bit, huge. sharp (libvips) does the decoding;
// this file only sets the limits, picks the working resolution and normalises, so a bad file
// gives a clear error and a large one is shrunk while it is decoded (JPEG shrink-on-load),
// keeping memory and time bounded.
//
// Working resolution (docs/vision.md, "Working resolution"): the checks measure in millimetres
// of the 35x45 photo and in proportions of the face, so what they need is a number of pixels on
// the photo frame, not the camera's. The finest measure is sharpness, whose limit (0.12 mm) must
// span at least 2 pixels: ANALYSIS_MIN_FRAME_PX = 2 x 45 / 0.12 = 750 px on the 45 mm side. An
// image is decoded shrunk by the largest power of two (2, 4, 8) that keeps its frame at least
// that tall: a 2028x1520 booth capture (and a 4056x3040 one) is analysed with a 760 px frame, a
// 600 dpi e-photo (1063 px) as it is. sharp shrinks on load (libjpeg's DCT scaling) only by a
// factor it can leave a further reduction to: a 2x shrink is a full decode and a lanczos3
// reduction, a 4x one a 1/2 load and a 2x reduction (docs/vision.md, "Working resolution").
import sharp, { type Metadata } from 'sharp';
import type { RgbImage } from './analysis.ts';
import { photoFrame } from './frame.ts';
import { LIMITS, PHOTO } from './limits.ts';

/** Refuse images above this many pixels (decompression bombs); 50 MP photos pass. */
export const MAX_INPUT_PIXELS = 120_000_000;
/** Photo-frame height (pixels on the 45 mm side) the analysis keeps at least: 2 pixels per sharpness limit. */
export const ANALYSIS_MIN_FRAME_PX = Math.ceil((2 * PHOTO.heightMm) / LIMITS.sharpnessMaxBlurMm.value);
/** Longest side the analysis ever works on (bounds memory for odd shapes: panoramas, strips). */
export const ANALYSIS_MAX_LONG_SIDE = 4096;
/** Smallest image worth analysing. */
export const MIN_SIDE = 64;

/** The power-of-two shrink (1, 2, 4 or 8) that keeps the photo frame of a width x height image at least `minFramePx` tall. */
export function analysisShrink(width: number, height: number, minFramePx = ANALYSIS_MIN_FRAME_PX): number {
  const frame = photoFrame(width, height).height;
  let shrink = 1;
  while (shrink < 8 && frame / (shrink * 2) >= minFramePx) shrink *= 2;
  return shrink;
}

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
  /** Analysis pixels per original pixel (≤ 1): original coordinates = analysis coordinates / scale. */
  scale: number;
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
 * (as it would print), shrunk while decoding by analysisShrink (the photo frame kept at least
 * `minFramePx` tall, default ANALYSIS_MIN_FRAME_PX), never enlarged.
 */
export async function loadImage(input: Buffer, options: { minFramePx?: number } = {}): Promise<LoadedImage> {
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
  const shrink = analysisShrink(originalWidth, originalHeight, options.minFramePx);
  // Floor: libjpeg decodes 1/s to ceil(size / s); asking for floor keeps the factor ≥ s so sharp
  // shrinks on load (an odd last row or column then costs a near-unit resize).
  let width = Math.max(1, Math.floor(originalWidth / shrink));
  let height = Math.max(1, Math.floor(originalHeight / shrink));
  const long = Math.max(width, height);
  if (long > ANALYSIS_MAX_LONG_SIDE) {
    width = Math.max(1, Math.round((width * ANALYSIS_MAX_LONG_SIDE) / long));
    height = Math.max(1, Math.round((height * ANALYSIS_MAX_LONG_SIDE) / long));
  }
  try {
    let pipeline = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, sequentialRead: true, failOn: 'error' }).rotate();
    // No resize step at all at full size: even a 1:1 resize costs a resampling pass.
    if (width !== originalWidth || height !== originalHeight) pipeline = pipeline.resize({ width, height, fit: 'fill', fastShrinkOnLoad: true });
    const { data, info } = await pipeline
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
      scale: info.width / originalWidth,
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
