// Test harness (not product code): turns the head of a real photo by a few degrees of yaw.
// No fixture shows a slightly turned head (the London Set and the other stored sets are all
// frontal or full profile), so the photo is re-rendered: the real landmark model's 3-D face
// mesh is rotated about the vertical axis through the ears' depth (where the neck turns the
// head), projected back, and the image is warped triangle by triangle (piecewise affine, a
// Delaunay triangulation of the mesh plus fixed anchors around the head and on the edges) so
// the skin follows its own 3-D surface: the nose moves sideways over the cheeks, the near
// cheek widens, the far one narrows. The background and the outer hair stay put. At under 10°
// self-occlusion (the far side of the nose) is a few pixels, which the warp folds away.
import type { FaceAnalysis, Point, RgbImage } from '../../src/vision/analysis.ts';
import { LM } from '../../src/vision/geometry.ts';

type Triangle = [number, number, number];

/** Delaunay triangulation (Bowyer-Watson); returns index triples into `points`. */
export function delaunay(points: readonly Point[]): Triangle[] {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(maxX - minX, maxY - minY) * 20;
  const all: Point[] = [...points, [minX - span, minY - span], [minX + 2 * span, minY - span], [minX - span, minY + 2 * span]];
  const n = points.length;
  let tris: Triangle[] = [[n, n + 1, n + 2]];
  const inCircle = (tri: Triangle, p: Point) => {
    const [a, b, c] = tri.map((i) => all[i]!) as [Point, Point, Point];
    const [ax, ay, bx, by, cx, cy] = [a[0] - p[0], a[1] - p[1], b[0] - p[0], b[1] - p[1], c[0] - p[0], c[1] - p[1]];
    const det = (ax * ax + ay * ay) * (bx * cy - cx * by) - (bx * bx + by * by) * (ax * cy - cx * ay) + (cx * cx + cy * cy) * (ax * by - bx * ay);
    const orient = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
    return orient > 0 ? det > 0 : det < 0;
  };
  for (let i = 0; i < n; i++) {
    const p = all[i]!;
    const bad = tris.filter((tri) => inCircle(tri, p));
    const edges = new Map<string, [number, number]>();
    for (const [a, b, c] of bad) {
      for (const [u, v] of [[a, b], [b, c], [c, a]] as const) {
        const key = u < v ? `${u},${v}` : `${v},${u}`;
        if (edges.has(key)) edges.delete(key);
        else edges.set(key, [u, v]);
      }
    }
    tris = tris.filter((tri) => !bad.includes(tri));
    for (const [u, v] of edges.values()) tris.push([u, v, i]);
  }
  return tris.filter((tri) => tri.every((i) => i < n));
}

const orientation = (a: Point, b: Point, c: Point) => (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);

/** The photo with the head turned by `yawDeg` (positive: the subject turns to their left). */
export function turnHead(image: RgbImage, face: FaceAnalysis, yawDeg: number): { image: RgbImage; flipped: number } {
  const mesh = face.landmarks.slice(0, 468);
  const oval = LM.oval.map((i) => mesh[i]!);
  const cx = oval.reduce((s, p) => s + p[0], 0) / oval.length;
  const cy = oval.reduce((s, p) => s + p[1], 0) / oval.length;
  const cz = (mesh[LM.rightCheekEdge]![2] + mesh[LM.leftCheekEdge]![2]) / 2;
  const th = (yawDeg * Math.PI) / 180;
  // Nearer the camera is smaller z: a nose (z < cz) moves to the image right for a positive turn.
  const moved: Point[] = mesh.map((p) => [cx + (p[0] - cx) * Math.cos(th) - (p[2] - cz) * Math.sin(th), p[1]]);
  const source: Point[] = mesh.map((p) => [p[0], p[1]]);
  // Fixed anchors: a ring 1.6x the face oval around its centre, and the image border.
  const anchors: Point[] = [];
  for (const p of oval) anchors.push([cx + (p[0] - cx) * 1.6, cy + (p[1] - cy) * 1.6]);
  const [w, h] = [image.width, image.height];
  for (let k = 0; k <= 8; k++) {
    const f = k / 8;
    anchors.push([f * (w - 1), 0], [f * (w - 1), h - 1], [0, f * (h - 1)], [w - 1, f * (h - 1)]);
  }
  const inside = (p: Point) => p[0] >= 0 && p[0] <= w - 1 && p[1] >= 0 && p[1] <= h - 1;
  for (const a of anchors) {
    if (!inside(a)) continue;
    source.push(a);
    moved.push(a);
  }
  const triangles = delaunay(source);
  const out = Buffer.from(image.data);
  let flipped = 0;
  const sample = (x: number, y: number, ch: number) => {
    const x0 = Math.max(0, Math.min(w - 2, Math.floor(x)));
    const y0 = Math.max(0, Math.min(h - 2, Math.floor(y)));
    const [fx, fy] = [x - x0, y - y0];
    const at = (xx: number, yy: number) => image.data[(yy * w + xx) * 3 + ch]!;
    return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
  };
  for (const [i, j, k] of triangles) {
    const [a, b, c] = [moved[i]!, moved[j]!, moved[k]!];
    const [sa, sb, sc] = [source[i]!, source[j]!, source[k]!];
    const area = orientation(a, b, c);
    if (Math.sign(area) !== Math.sign(orientation(sa, sb, sc))) flipped++;
    if (Math.abs(area) < 1e-9) continue;
    const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0], c[0])));
    const x1 = Math.min(w - 1, Math.ceil(Math.max(a[0], b[0], c[0])));
    const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1], c[1])));
    const y1 = Math.min(h - 1, Math.ceil(Math.max(a[1], b[1], c[1])));
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const p: Point = [x, y];
        const u = orientation(b, c, p) / area;
        const v = orientation(c, a, p) / area;
        const t = 1 - u - v;
        if (u < -1e-9 || v < -1e-9 || t < -1e-9) continue;
        const sx = u * sa[0] + v * sb[0] + t * sc[0];
        const sy = u * sa[1] + v * sb[1] + t * sc[1];
        for (let ch = 0; ch < 3; ch++) out[(y * w + x) * 3 + ch] = Math.round(sample(sx, sy, ch));
      }
    }
  }
  return { image: { width: w, height: h, data: out }, flipped };
}
