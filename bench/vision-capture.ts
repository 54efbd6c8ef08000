// The booth capture the vision benchmarks time: a compliant fixture portrait as the booth's
// camera frames it, 2028x1520 (4:3), the 35:45 photo at full height and the backdrop continued
// on both sides (what frame.ts then frames). Two sharp pipelines: sharp applies one resize per
// pipeline, after which extend runs.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';

export const CAPTURE = { width: 2028, height: 1520 } as const;

export async function boothCapture(name = 'london-004.jpg'): Promise<Buffer> {
  const photo = readFileSync(new URL(`../test/fixtures/faces/${name}`, import.meta.url));
  const body = await sharp(photo).resize({ height: CAPTURE.height }).toBuffer({ resolveWithObject: true });
  const side = CAPTURE.width - body.info.width;
  const still = await sharp(body.data).extend({ left: Math.floor(side / 2), right: Math.ceil(side / 2), extendWith: 'copy' }).jpeg({ quality: 92 }).toBuffer();
  const meta = await sharp(still).metadata();
  if (meta.width !== CAPTURE.width || meta.height !== CAPTURE.height) throw new Error(`capture is ${meta.width}x${meta.height}, not ${CAPTURE.width}x${CAPTURE.height}`);
  return still;
}
