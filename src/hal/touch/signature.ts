// A customer's signature: the strokes in panel units (kept as JSON, so it can be journaled,
// uploaded and rendered again after a power cut) and its rendering to a clean PNG.
//
// Rendering (decided here; docs/hardware.md): black ink on opaque white (the board is printed
// on white and ANTS takes the signature as an image: no transparency to go wrong), a fixed
// 3:1 frame (default 1200x400 px) into which the ink's bounding box is fitted and centred
// with a margin, so signatures of any size or position come out alike; strokes are smoothed
// by quadratic Bézier curves through the midpoints of successive samples, with round caps
// and joins, and anti-aliased by librsvg inside sharp. Output: an 8-bit greyscale PNG.
import sharp from 'sharp';
import { z } from 'zod';
import type { Stroke, StrokePoint } from './strokes.ts';

const pointSchema = z.tuple([z.number().finite(), z.number().finite(), z.number().finite().min(0)]);

export const signatureJsonSchema = z
  .object({
    version: z.literal(1),
    panel: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).strict(),
    durationMs: z.number().min(0),
    strokes: z.array(z.object({ points: z.array(pointSchema).min(1) }).strict()),
  })
  .strict();

/** The signature as stored: points are [x, y, t] with t in ms since the signature began. */
export type SignatureJson = z.infer<typeof signatureJsonSchema>;

export interface RenderOptions {
  /** Output width in pixels; the height is width / aspect. Default 1200. */
  width?: number;
  /** Width / height of the output. Default 3. */
  aspect?: number;
  /** Pen width as a fraction of the output height. Default 1/60. */
  penWidth?: number;
  /** Blank border around the ink, as a fraction of the output height. Default 0.08. */
  margin?: number;
}

export interface InkStats {
  strokes: number;
  points: number;
  /** Total length of the ink path, in panel units. */
  length: number;
  /** Bounding box of the ink in panel units, absent when there is no ink. */
  box?: { x: number; y: number; width: number; height: number };
}

const fmt = (v: number) => (Math.round(v * 100) / 100).toString();

export class Signature {
  readonly strokes: readonly Stroke[];

  constructor(
    strokes: readonly Stroke[],
    readonly panel: { width: number; height: number },
    readonly durationMs: number,
  ) {
    this.strokes = strokes.map((s) => ({ id: s.id, points: s.points.map((p) => ({ ...p })) }));
  }

  static fromJson(input: unknown): Signature {
    const parsed = signatureJsonSchema.safeParse(input);
    if (!parsed.success) throw new Error(`invalid signature JSON: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    const data = parsed.data;
    return new Signature(
      data.strokes.map((s, i) => ({ id: i + 1, points: s.points.map(([x, y, t]) => ({ x, y, t })) })),
      data.panel,
      data.durationMs,
    );
  }

  get isEmpty(): boolean {
    return this.strokes.length === 0;
  }

  toJson(): SignatureJson {
    return {
      version: 1,
      panel: { ...this.panel },
      durationMs: this.durationMs,
      strokes: this.strokes.map((s) => ({ points: s.points.map((p): [number, number, number] => [p.x, p.y, p.t]) })),
    };
  }

  ink(): InkStats {
    let points = 0;
    let length = 0;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const stroke of this.strokes) {
      stroke.points.forEach((p, i) => {
        points++;
        x0 = Math.min(x0, p.x);
        y0 = Math.min(y0, p.y);
        x1 = Math.max(x1, p.x);
        y1 = Math.max(y1, p.y);
        const prev = stroke.points[i - 1];
        if (prev) length += Math.hypot(p.x - prev.x, p.y - prev.y);
      });
    }
    return { strokes: this.strokes.length, points, length, ...(points ? { box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } } : {}) };
  }

  /** The signature as an SVG document of the output size (what `png()` rasterises). */
  svg(options: RenderOptions = {}): string {
    const width = Math.round(options.width ?? 1200);
    const aspect = options.aspect ?? 3;
    if (!(width >= 16 && aspect > 0)) throw new Error(`bad signature render size: width ${width}, aspect ${aspect}`);
    const height = Math.max(1, Math.round(width / aspect));
    const pen = Math.max(1, height * (options.penWidth ?? 1 / 60));
    const margin = height * (options.margin ?? 0.08) + pen / 2;
    const box = this.ink().box;
    if (!box) throw new Error('the signature is empty: nothing to render');
    // Fit the ink box into the frame: never magnify a tiny mark (a dot, a short tick) beyond
    // the scale at which a tenth of the panel height would fill the frame.
    const minExtent = this.panel.height / 10;
    const boxW = Math.max(box.width, minExtent);
    const boxH = Math.max(box.height, minExtent / aspect);
    const scale = Math.min((width - 2 * margin) / boxW, (height - 2 * margin) / boxH);
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const map = (p: StrokePoint) => ({ x: width / 2 + (p.x - cx) * scale, y: height / 2 + (p.y - cy) * scale });
    const paths = this.strokes.map((stroke) => {
      const pts = stroke.points.map(map);
      const first = pts[0]!;
      if (pts.length === 1) return `M${fmt(first.x)} ${fmt(first.y)}h0.01`;
      let d = `M${fmt(first.x)} ${fmt(first.y)}`;
      if (pts.length === 2) return `${d}L${fmt(pts[1]!.x)} ${fmt(pts[1]!.y)}`;
      // Quadratic segments from midpoint to midpoint, each controlled by the sample between:
      // a C1-continuous curve that passes near every sample without overshooting.
      for (let i = 1; i < pts.length - 1; i++) {
        const p = pts[i]!;
        const q = pts[i + 1]!;
        d += `Q${fmt(p.x)} ${fmt(p.y)} ${fmt((p.x + q.x) / 2)} ${fmt((p.y + q.y) / 2)}`;
      }
      const last = pts[pts.length - 1]!;
      return `${d}L${fmt(last.x)} ${fmt(last.y)}`;
    });
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
      `<rect width="100%" height="100%" fill="#fff"/>` +
      `<path d="${paths.join('')}" fill="none" stroke="#000" stroke-width="${fmt(pen)}" stroke-linecap="round" stroke-linejoin="round"/>` +
      `</svg>`
    );
  }

  /** The rendered signature (greyscale PNG, black on white, fixed aspect). Rejects when empty. */
  async png(options: RenderOptions = {}): Promise<Buffer> {
    const svg = this.svg(options);
    return sharp(Buffer.from(svg), { density: 72 }).flatten({ background: '#ffffff' }).toColourspace('b-w').png({ compressionLevel: 9 }).toBuffer();
  }
}
