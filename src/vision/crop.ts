// The 35x45 mm photo cut from a capture: levelled (the eye line made horizontal), the face
// (chin to crown) at 34 mm, the crown 3 mm under the top edge, centred on the face's midline;
// written as the e-photo (600 dpi sRGB JPEG) and the print-size photo (300 dpi, for the board).
// Where the window reaches past the capture (a customer sitting very close), the edge pixels
// are repeated (the backdrop continues) rather than scaling the face away from 34 mm; the
// checks know which pixels were photographed (LevelledWindow.captured).
import sharp from 'sharp';
import type { FaceAnalysis, Point, RgbImage } from './analysis.ts';
import { faceFrame, headExtent } from './geometry.ts';
import { PHOTO } from './limits.ts';

export interface CroppedPhoto {
  /** 35x45 mm at PHOTO.ephotoDpi (827x1063), sRGB JPEG with its density set. */
  ephoto: Buffer;
  /** 35x45 mm at PHOTO.printDpi (413x531), sRGB JPEG. */
  print: Buffer;
  /** The window cut from the (levelled) capture, for the record. */
  window: { x: number; y: number; width: number; height: number; rotationDeg: number };
}

export const pixelsFor = (mm: number, dpi: number) => Math.round((mm / 25.4) * dpi);

/** Rotates a point about the image centre the way sharp.rotate(angle) does (canvas expanded). */
function rotatePoint(p: Point, w: number, h: number, deg: number): { p: Point; w: number; h: number } {
  const a = (deg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const nw = Math.abs(w * cos) + Math.abs(h * sin);
  const nh = Math.abs(w * sin) + Math.abs(h * cos);
  const x = p[0] - w / 2;
  const y = p[1] - h / 2;
  return { p: [x * cos - y * sin + nw / 2, x * sin + y * cos + nh / 2], w: nw, h: nh };
}

/** The same face in an image `k` times the size (landmarks, box and irises scaled). */
export function scaleFace(face: FaceAnalysis, k: number): FaceAnalysis {
  if (k === 1) return face;
  const p = (q: Point): Point => [q[0] * k, q[1] * k];
  return {
    ...face,
    box: { x: face.box.x * k, y: face.box.y * k, width: face.box.width * k, height: face.box.height * k },
    landmarks: face.landmarks.map(([x, y, z]) => [x * k, y * k, z * k]),
    ...(face.irises
      ? { irises: { left: { centre: p(face.irises.left.centre), radius: face.irises.left.radius * k }, right: { centre: p(face.irises.right.centre), radius: face.irises.right.radius * k } } }
      : {}),
  };
}

/** The 35x45 window in the levelled image (see cropToPhoto) and the rotation that levels it. */
export function cropWindow(image: { width: number; height: number }, face: FaceAnalysis): CroppedPhoto['window'] {
  const roll = faceFrame(face).rollDeg;
  const head = headExtent(face);
  // Level the eye line: rotate by −roll. In the levelled image the head axis is vertical.
  const rot = -roll;
  const chin = rotatePoint(head.chin, image.width, image.height, rot);
  const crown = rotatePoint(head.crown, image.width, image.height, rot);
  const pxPerMm = (chin.p[1] - crown.p[1]) / PHOTO.faceMm;
  const height = Math.round(PHOTO.heightMm * pxPerMm);
  const width = Math.round(PHOTO.widthMm * pxPerMm);
  const cx = (chin.p[0] + crown.p[0]) / 2;
  const x = Math.round(cx - width / 2);
  const y = Math.round(crown.p[1] - PHOTO.crownMarginMm * pxPerMm);
  return { x, y, width, height, rotationDeg: rot };
}

/** The levelled window's pixels, and the outline of the capture in them. */
export interface LevelledWindow extends RgbImage {
  /**
   * The capture's four corners in the window's pixels (a convex quadrilateral): pixels outside
   * it were not photographed, they repeat the capture's edge. Checks of the backdrop look only
   * inside (checks.ts, `outsidePicture`).
   */
  captured: Point[];
}

/**
 * The 35x45 window's pixels at the image's own resolution, levelled (rotated by the window's
 * rotation about the image centre, as rotatePoint maps points), bilinear; where the window
 * leaves the capture the capture's edge pixels are repeated (the backdrop continues: no black
 * wedge of no picture in the delivered photo). The pixels the e-photo and the print are
 * resampled from. In JS: one pass over the window's pixels, cheaper than rotating the whole
 * capture with libvips and cutting the window out.
 */
export function levelledWindow(image: RgbImage, window: CroppedPhoto['window']): LevelledWindow {
  const { x, y, width, height, rotationDeg } = window;
  const { width: w, height: h, data } = image;
  const a = (rotationDeg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const nw = Math.abs(w * cos) + Math.abs(h * sin);
  const nh = Math.abs(w * sin) + Math.abs(h * cos);
  // Window pixel (u, v) → levelled point q = (x + u + 0.5, y + v + 0.5) → capture point
  // p = Rᵀ(q − c') + c, the inverse of rotatePoint; sampled at p − 0.5 (pixel centres).
  const toCapture = (qx: number, qy: number): Point => {
    const dx = qx - nw / 2;
    const dy = qy - nh / 2;
    return [dx * cos + dy * sin + w / 2, -dx * sin + dy * cos + h / 2];
  };
  const out = Buffer.alloc(width * height * 3);
  const xMax = w - 1;
  const yMax = h - 1;
  for (let v = 0; v < height; v++) {
    const [rx, ry] = toCapture(x + 0.5, y + v + 0.5);
    let o = v * width * 3;
    for (let u = 0; u < width; u++, o += 3) {
      // Sample position, clamped to the capture (its edge repeats beyond it).
      let sx = rx + u * cos - 0.5;
      let sy = ry - u * sin - 0.5;
      sx = sx < 0 ? 0 : sx > xMax ? xMax : sx;
      sy = sy < 0 ? 0 : sy > yMax ? yMax : sy;
      const x0 = sx >= xMax ? xMax - 1 : Math.floor(sx);
      const y0 = sy >= yMax ? yMax - 1 : Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const i = (y0 * w + x0) * 3;
      const j = i + w * 3;
      // Bilinear, rounded (values are ≥ 0, so +0.5 and truncation round half up).
      const t0 = data[i]! + fx * (data[i + 3]! - data[i]!);
      const b0 = data[j]! + fx * (data[j + 3]! - data[j]!);
      out[o] = (t0 + fy * (b0 - t0) + 0.5) | 0;
      const t1 = data[i + 1]! + fx * (data[i + 4]! - data[i + 1]!);
      const b1 = data[j + 1]! + fx * (data[j + 4]! - data[j + 1]!);
      out[o + 1] = (t1 + fy * (b1 - t1) + 0.5) | 0;
      const t2 = data[i + 2]! + fx * (data[i + 5]! - data[i + 2]!);
      const b2 = data[j + 2]! + fx * (data[j + 5]! - data[j + 2]!);
      out[o + 2] = (t2 + fy * (b2 - t2) + 0.5) | 0;
    }
  }
  const corner = (p: Point): Point => {
    const r = rotatePoint(p, w, h, rotationDeg).p;
    return [r[0] - x, r[1] - y];
  };
  return { data: out, width, height, captured: [corner([0, 0]), corner([w, 0]), corner([w, h]), corner([0, h])] };
}

/** The face found on `image`, in the coordinates of the levelled `window` (levelledWindow's pixels). */
export function faceInWindow(face: FaceAnalysis, image: { width: number; height: number }, window: CroppedPhoto['window']): FaceAnalysis {
  const at = (p: Point): Point => {
    const r = rotatePoint(p, image.width, image.height, window.rotationDeg).p;
    return [r[0] - window.x, r[1] - window.y];
  };
  const landmarks = face.landmarks.map(([x, y, z]): [number, number, number] => {
    const q = at([x, y]);
    return [q[0], q[1], z];
  });
  const xs = landmarks.map((p) => p[0]);
  const ys = landmarks.map((p) => p[1]);
  const box = { x: Math.min(...xs), y: Math.min(...ys), width: Math.max(...xs) - Math.min(...xs), height: Math.max(...ys) - Math.min(...ys) };
  return {
    score: face.score,
    box,
    landmarks,
    ...(face.irises ? { irises: { left: { centre: at(face.irises.left.centre), radius: face.irises.left.radius }, right: { centre: at(face.irises.right.centre), radius: face.irises.right.radius } } } : {}),
  };
}

export async function cropToPhoto(image: RgbImage, face: FaceAnalysis, options: { quality?: number } = {}): Promise<CroppedPhoto> {
  const quality = options.quality ?? 95;
  const win = cropWindow(image, face);
  const window = levelledWindow(image, win);
  const out = (dpi: number) =>
    sharp(window.data, { raw: { width: window.width, height: window.height, channels: 3 } })
      .resize({ width: pixelsFor(PHOTO.widthMm, dpi), height: pixelsFor(PHOTO.heightMm, dpi), fit: 'fill', kernel: 'lanczos3' })
      .withIccProfile('srgb')
      .withMetadata({ density: dpi })
      .jpeg({ quality, chromaSubsampling: '4:4:4' })
      .toBuffer();
  const [ephoto, print] = await Promise.all([out(PHOTO.ephotoDpi), out(PHOTO.printDpi)]);
  return { ephoto, print, window: win };
}
