// Converting the frames a camera delivers (libcamera pixel formats, with a stride and a
// colour space) into packed 8-bit RGB that sharp and the vision code take. Written by hand
// because sharp reads only packed RGB(A)/grey raw input, not planar YUV.

export type PixelFormatName = 'YUV420' | 'NV12' | 'XRGB8888' | 'XBGR8888' | 'RGB888' | 'BGR888';

export interface RawFrame {
  data: Buffer;
  width: number;
  height: number;
  /** Bytes per row of the first plane (>= width * bytes per pixel). */
  stride: number;
  format: string;
  /** libcamera colour space name (sYCC, SMPTE170M, Rec709...); YUV only. */
  colorSpace?: string | null;
}

interface YuvMatrix {
  kr: number;
  kb: number;
  /** Limited ("video") range: Y 16-235, C 16-240. */
  limited: boolean;
}

function matrixFor(colorSpace: string | null | undefined): YuvMatrix {
  const name = (colorSpace ?? 'sYCC').split('/')[0]?.toLowerCase() ?? 'sycc';
  if (name.startsWith('rec709')) return { kr: 0.2126, kb: 0.0722, limited: !name.includes('full') };
  if (name.startsWith('rec2020')) return { kr: 0.2627, kb: 0.0593, limited: !name.includes('full') };
  if (name.startsWith('smpte170m')) return { kr: 0.299, kb: 0.114, limited: true };
  // sYCC (libcamera's default for stills and JPEG): BT.601 full range.
  return { kr: 0.299, kb: 0.114, limited: false };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

function yuvToRgb(frame: RawFrame, chroma: (x: number, y: number) => [number, number]): Buffer {
  const { width, height, stride, data } = frame;
  const { kr, kb, limited } = matrixFor(frame.colorSpace);
  const kg = 1 - kr - kb;
  const yScale = limited ? 255 / 219 : 1;
  const cScale = limited ? 255 / 224 : 1;
  const yOffset = limited ? 16 : 0;
  const out = Buffer.allocUnsafe(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const luma = ((data[y * stride + x] ?? 0) - yOffset) * yScale;
      const [u, v] = chroma(x, y);
      const cb = (u - 128) * cScale;
      const cr = (v - 128) * cScale;
      const r = luma + 2 * (1 - kr) * cr;
      const b = luma + 2 * (1 - kb) * cb;
      const g = (luma - kr * r - kb * b) / kg;
      const o = (y * width + x) * 3;
      out[o] = clamp(r);
      out[o + 1] = clamp(g);
      out[o + 2] = clamp(b);
    }
  }
  return out;
}

function expectSize(frame: RawFrame, bytes: number): void {
  if (frame.data.length < bytes) {
    throw new Error(`truncated ${frame.format} frame: ${frame.data.length} bytes for ${frame.width}x${frame.height} (stride ${frame.stride}), need ${bytes}`);
  }
}

/** Packed RGB (3 bytes per pixel, no padding) from a camera frame. */
export function frameToRgb(frame: RawFrame): Buffer {
  const { width, height, stride, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`bad frame size ${width}x${height}`);
  switch (frame.format) {
    case 'YUV420': {
      // Planar: Y (stride x height), then U and V at half stride and half height.
      const cStride = stride / 2;
      const uBase = stride * height;
      const vBase = uBase + cStride * (height / 2);
      expectSize(frame, vBase + cStride * (height / 2));
      return yuvToRgb(frame, (x, y) => {
        const i = (y >> 1) * cStride + (x >> 1);
        return [data[uBase + i] ?? 128, data[vBase + i] ?? 128];
      });
    }
    case 'NV12': {
      // Y plane, then interleaved U,V at full stride and half height.
      const uvBase = stride * height;
      expectSize(frame, uvBase + stride * (height / 2));
      return yuvToRgb(frame, (x, y) => {
        const i = uvBase + (y >> 1) * stride + (x & ~1);
        return [data[i] ?? 128, data[i + 1] ?? 128];
      });
    }
    case 'XRGB8888':
    case 'XBGR8888':
    case 'RGB888':
    case 'BGR888': {
      // libcamera names formats by their little-endian word: XRGB8888 is B,G,R,X in memory,
      // RGB888 is B,G,R; the *BGR* ones are R,G,B in memory.
      const bytesPerPixel = frame.format.startsWith('X') ? 4 : 3;
      const bgrInMemory = frame.format === 'XRGB8888' || frame.format === 'RGB888';
      expectSize(frame, stride * (height - 1) + width * bytesPerPixel);
      const out = Buffer.allocUnsafe(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const i = y * stride + x * bytesPerPixel;
          const o = (y * width + x) * 3;
          out[o] = data[bgrInMemory ? i + 2 : i] ?? 0;
          out[o + 1] = data[i + 1] ?? 0;
          out[o + 2] = data[bgrInMemory ? i : i + 2] ?? 0;
        }
      }
      return out;
    }
    default:
      throw new Error(`unsupported camera pixel format ${frame.format} (supported: YUV420, NV12, XRGB8888, XBGR8888, RGB888, BGR888)`);
  }
}
