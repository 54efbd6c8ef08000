// Reading a printed board back as a customer's eye would: its size and resolution, the QR
// code decoded by jsQR, and the photo copies found as regions of the test photo's colour.
import jsqrModule from 'jsqr';
import sharp from 'sharp';

// jsqr is CommonJS with a `default` export: callable at run time, a namespace to TypeScript.
type JsQr = typeof jsqrModule.default;
const jsQR: JsQr = typeof jsqrModule === 'function' ? (jsqrModule as unknown as JsQr) : jsqrModule.default;

export const MARKER = { r: 255, g: 0, b: 255 };

/** A photo of one unique colour: every copy on the board is then a region of exactly that colour. */
export function markerPhoto(width = 700, height = 900): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: MARKER } }).png().toBuffer();
}

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
  pixels: number;
}

export async function analyseBoard(file: Buffer): Promise<{ width: number; height: number; density?: number; qr: string | null; regions: Region[] }> {
  const meta = await sharp(file).metadata();
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = info;
  const qr = jsQR(new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width, height);
  // Connected regions (4-neighbour) of the marker colour.
  const seen = new Uint8Array(width * height);
  const isMarker = (i: number) => data[i * 4] === MARKER.r && data[i * 4 + 1] === MARKER.g && data[i * 4 + 2] === MARKER.b;
  const regions: Region[] = [];
  const stack: number[] = [];
  for (let start = 0; start < width * height; start++) {
    if (seen[start] || !isMarker(start)) continue;
    let minX = width, minY = height, maxX = 0, maxY = 0, pixels = 0;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop() as number;
      const x = p % width, y = (p - x) / width;
      pixels++;
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
      for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1]) {
        if (q >= 0 && !seen[q] && isMarker(q)) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    regions.push({ left: minX, top: minY, width: maxX - minX + 1, height: maxY - minY + 1, pixels });
  }
  return { width, height, ...(meta.density ? { density: meta.density } : {}), qr: qr?.data ?? null, regions };
}
