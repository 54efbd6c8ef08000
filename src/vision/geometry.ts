// Face geometry from the 468 FaceMesh landmarks: the eye line, the face's own axes, head pose,
// the chin-to-crown height, eye and mouth openings, the smile. Pure functions over numbers.
//
// Landmark indices are those of MediaPipe's canonical face model (FaceMesh topology). The
// subject's right eye is on the image's left.
import type { FaceAnalysis, Iris, Point, Point3 } from './analysis.ts';

export const LM = {
  chin: 152,
  foreheadTop: 10,
  noseTip: 1,
  noseBridge: 168,
  betweenBrows: 9,
  rightCheekEdge: 234,
  leftCheekEdge: 454,
  // Eyes: corners, and the 2 x 3 lid points used for the opening (Soukupová & Čech's 6 points).
  rightEye: { outer: 33, inner: 133, upper: [160, 159, 158], lower: [144, 145, 153] },
  leftEye: { outer: 263, inner: 362, upper: [387, 386, 385], lower: [373, 374, 380] },
  lips: { upperInner: 13, lowerInner: 14, upperOuter: 0, lowerOuter: 17, rightCorner: 61, leftCorner: 291, rightInner: 78, leftInner: 308 },
  /** The face outline, clockwise from the forehead top. */
  oval: [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109],
  /** Skin patches, in mirror pairs (subject's right, subject's left). */
  cheeks: { right: [50, 101, 36, 205, 187, 123, 116, 117, 118], left: [280, 330, 266, 425, 411, 352, 345, 346, 347] },
  underEyes: { right: [111, 117, 118, 119, 120, 121, 31, 228, 229, 230, 231], left: [340, 346, 347, 348, 349, 350, 261, 448, 449, 450, 451] },
  foreheadPatch: { right: [109, 67, 104, 69, 108], left: [338, 297, 333, 299, 337] },
  /** Nose bridge between the eyes: skin a spectacle lens does not cover. */
  bridge: [168, 6, 197, 122, 351, 193, 417],
} as const;

export type EyeSide = 'right' | 'left';

export const lm2 = (face: FaceAnalysis, i: number): Point => {
  const p = face.landmarks[i];
  if (!p) throw new Error(`landmark ${i} missing (the face mesh has ${face.landmarks.length} points)`);
  return [p[0], p[1]];
};
const lm3 = (face: FaceAnalysis, i: number): Point3 => {
  const p = face.landmarks[i];
  if (!p) throw new Error(`landmark ${i} missing (the face mesh has ${face.landmarks.length} points)`);
  return p;
};

export const dist = (a: Point, b: Point): number => Math.hypot(a[0] - b[0], a[1] - b[1]);
export const mid = (a: Point, b: Point): Point => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
const sub3 = (a: Point3, b: Point3): Point3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const norm3 = (a: Point3): Point3 => {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
};
const cross = (a: Point3, b: Point3): Point3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const deg = (rad: number) => (rad * 180) / Math.PI;

/**
 * Adult interpupillary distance, mm (mean of adults, men and women together: Dodgson 2004,
 * "Variation and extrema of human interpupillary distance", 63 mm): the ruler that turns pixels
 * of a face into life-size millimetres.
 */
export const EYE_DISTANCE_MM = 63;

/** Centre of an eye: the iris centre when the iris model ran, else the middle of its corners. */
export function eyeCentre(face: FaceAnalysis, side: EyeSide): Point {
  const iris = face.irises?.[side];
  if (iris) return iris.centre;
  const eye = side === 'right' ? LM.rightEye : LM.leftEye;
  return mid(lm2(face, eye.outer), lm2(face, eye.inner));
}

/** The face's own frame in the image: origin at the eye midpoint, x along the eye line, y down the face. */
export interface FaceFrame {
  eyeMid: Point;
  /** Unit vector from the subject's right eye to the left eye (image left to right when upright). */
  ex: Point;
  /** Unit vector down the face (perpendicular to ex). */
  ey: Point;
  /** Distance between the eye centres, pixels. */
  eyeDistance: number;
  /** Roll: angle of the eye line, degrees (positive: the subject's left eye lower). */
  rollDeg: number;
}

export function faceFrame(face: FaceAnalysis): FaceFrame {
  const r = eyeCentre(face, 'right');
  const l = eyeCentre(face, 'left');
  const d = dist(r, l) || 1;
  const ex: Point = [(l[0] - r[0]) / d, (l[1] - r[1]) / d];
  return { eyeMid: mid(r, l), ex, ey: [-ex[1], ex[0]], eyeDistance: d, rollDeg: deg(Math.atan2(ex[1], ex[0])) };
}

/** Coordinates of an image point in the face frame (x along the eye line, y down the face). */
export function toFace(frame: FaceFrame, p: Point): Point {
  const dx = p[0] - frame.eyeMid[0];
  const dy = p[1] - frame.eyeMid[1];
  return [dx * frame.ex[0] + dy * frame.ex[1], dx * frame.ey[0] + dy * frame.ey[1]];
}

export function fromFace(frame: FaceFrame, p: Point): Point {
  return [frame.eyeMid[0] + p[0] * frame.ex[0] + p[1] * frame.ey[0], frame.eyeMid[1] + p[0] * frame.ex[1] + p[1] * frame.ey[1]];
}

/**
 * Chin to crown (top of the skull, hair excluded), estimated from the landmarks. The mesh stops
 * at the upper forehead, so the crown is placed by the anthropometric canon that the eyes lie
 * half-way between the chin (gnathion) and the crown (vertex): Farkas' adult norms give
 * en-gn ≈ v-en within a few percent. So head height = 2 x (chin to eye line).
 */
export interface HeadExtent {
  chin: Point;
  crown: Point;
  /** Chin to crown, pixels. */
  height: number;
  /** Midline of the face (the point between the eyes projected on the chin-crown axis), image x. */
  centre: Point;
}

export function headExtent(face: FaceAnalysis): HeadExtent {
  const frame = faceFrame(face);
  const chin = lm2(face, LM.chin);
  const chinF = toFace(frame, chin);
  const half = Math.max(1, chinF[1]);
  const crown = fromFace(frame, [chinF[0], chinF[1] - 2 * half]);
  return { chin, crown, height: 2 * half, centre: mid(chin, crown) };
}

/**
 * Head pose from the mesh's 3-D points: an orthonormal head frame built from the facial vertical
 * (forehead top → chin) and horizontal (cheek edge → cheek edge) axes. Degrees; yaw positive when
 * the subject turns to their left, pitch positive when the chin is RAISED (the chin comes nearer
 * the camera than the forehead: z grows away from the camera), roll from the eye line.
 *
 * Why frontal-looking fixtures read 2-5° (chin up): not an offset of the method. In MediaPipe's
 * canonical face model (the mesh the landmark model is trained to deform; Apache-2.0, in the npm
 * package @mediapipe/face_mesh as geometry_pipeline_metadata_landmarks.binarypb) the forehead-top
 * → chin axis leans only 0.70° (chin 0.22 cm behind the forehead top over 17.7 cm) the other
 * way, and the cheek-edge axis is level; a least-squares rigid fit of all 468 points to that
 * canonical face (Kabsch) reads the same fixtures 3-5.5° chin up, and five other midline axes
 * agree within 1°: the London Set sitters do hold their chins a little up (nostrils and the
 * underside of the jaw show; the camera sat below their eyes). The 0.7° axis offset is not
 * applied: it is smaller than the landmark model's own repeatability on one photo (±1.2° over
 * blur, exposure and background variants) and far smaller than the spread of facial profiles
 * between people, which no single-image estimate removes.
 * Nor is it a camera-intrinsics effect: the pose is relative to the line of sight, not to the
 * optical axis. The landmark model sees a crop around the face under weak perspective, and a
 * face off the optical axis that faces the lens projects as a frontal face (stretched by 1/cos
 * of the off-axis angle), so no focal length is needed — which is what "facing the lens" means.
 */
export interface Pose {
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
}

export function headPose(face: FaceAnalysis): Pose {
  const top = lm3(face, LM.foreheadTop);
  const chin = lm3(face, LM.chin);
  const r = lm3(face, LM.rightCheekEdge);
  const l = lm3(face, LM.leftCheekEdge);
  const y = norm3(sub3(chin, top));
  let x = norm3(sub3(l, r));
  const z = norm3(cross(x, y));
  x = cross(y, z);
  return {
    yawDeg: deg(Math.atan2(x[2], x[0])),
    pitchDeg: deg(Math.atan2(-y[2], y[1])),
    rollDeg: faceFrame(face).rollDeg,
  };
}

/** Iris of one eye: from the iris model, else none. */
export function iris(face: FaceAnalysis, side: EyeSide): Iris | undefined {
  return face.irises?.[side];
}

/**
 * Eye opening: the mean lid gap (three upper/lower pairs) over the eye's width, the eye aspect
 * ratio of Soukupová & Čech (2016) on FaceMesh points; and, when the iris is known, the visible
 * part of the iris diameter (lid gap / iris diameter).
 */
export function eyeOpening(face: FaceAnalysis, side: EyeSide): { aspect: number; irisVisible?: number } {
  const eye = side === 'right' ? LM.rightEye : LM.leftEye;
  const width = dist(lm2(face, eye.outer), lm2(face, eye.inner)) || 1;
  let gap = 0;
  for (let k = 0; k < 3; k++) gap += dist(lm2(face, eye.upper[k]!), lm2(face, eye.lower[k]!));
  gap /= 3;
  const ir = face.irises?.[side];
  const centreGap = dist(lm2(face, eye.upper[1]), lm2(face, eye.lower[1]));
  return { aspect: gap / width, ...(ir ? { irisVisible: Math.min(1, centreGap / (2 * ir.radius)) } : {}) };
}

/**
 * Normal position of the pupil in the lid opening in primary gaze (looking straight ahead), from
 * the clinical marginal reflex distances: MRD1 (pupil centre to upper lid margin) 4-5 mm and
 * MRD2 (to the lower lid margin) 5-5.5 mm in adults: the norms an eyelid examination measures
 * against. The fraction of the opening above the pupil: 4.5 / (4.5 + 5.25). The FaceMesh lids
 * and the iris model reproduce them on the fixtures (MRD1 3.6-4.6 mm, MRD2 5.0-5.6 mm).
 */
export const PRIMARY_GAZE_LID_FRACTION = 4.5 / (4.5 + 5.25);
/** Eyeball radius and visible iris diameter (mm) of the eyeball model (Gullstrand; HVID 11.7 mm). */
const EYEBALL_RADIUS_MM = 12;
const IRIS_DIAMETER_MM = 11.7;

/** Height of the lid contour `idx` (three points, in the face frame) at abscissa x, by linear interpolation. */
function lidAt(face: FaceAnalysis, frame: FaceFrame, idx: readonly number[], x: number): number {
  const pts = idx.map((i) => toFace(frame, lm2(face, i))).sort((a, b) => a[0] - b[0]);
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  if (x <= first[0]) return first[1];
  if (x >= last[0]) return last[1];
  for (let k = 0; k + 1 < pts.length; k++) {
    const a = pts[k]!;
    const b = pts[k + 1]!;
    if (x >= a[0] && x <= b[0]) return b[0] === a[0] ? a[1] : a[1] + ((x - a[0]) / (b[0] - a[0])) * (b[1] - a[1]);
  }
  return last[1];
}

/**
 * Gaze of one eye relative to the head, in degrees of eyeball rotation (iris centre displaced by
 * r·sin θ on an eyeball of radius 12 mm; the iris disc, 11.7 mm across, gives the scale).
 * Horizontal: where the iris centre sits between the eye corners (positive: towards the image
 * right). Vertical: where it sits in the lid opening, against its primary-gaze place
 * (PRIMARY_GAZE_LID_FRACTION of the opening below the upper lid, at the iris' abscissa);
 * positive: looking down. The corners cannot serve vertically: the landmark model puts the
 * inner corner on the caruncle, 1-3 mm below the pupil line depending on the face, while the
 * lid norms hold for every adult. The lids follow the eye (the upper lid about one for one in
 * down-gaze), so this under-reads large vertical gazes; it still grows monotonically with them.
 */
export function eyeGaze(face: FaceAnalysis, side: EyeSide): { horizontalDeg: number; verticalDeg: number } | undefined {
  const ir = face.irises?.[side];
  if (!ir) return undefined;
  const eye = side === 'right' ? LM.rightEye : LM.leftEye;
  const frame = faceFrame(face);
  const outer = toFace(frame, lm2(face, eye.outer));
  const inner = toFace(frame, lm2(face, eye.inner));
  const c = toFace(frame, ir.centre);
  const eyeMidX = (outer[0] + inner[0]) / 2;
  const upper = lidAt(face, frame, eye.upper, c[0]);
  const lower = lidAt(face, frame, eye.lower, c[0]);
  const primaryY = upper + PRIMARY_GAZE_LID_FRACTION * Math.max(0, lower - upper);
  const mmPerPx = IRIS_DIAMETER_MM / (2 * ir.radius);
  const toDeg = (px: number) => deg(Math.asin(Math.max(-1, Math.min(1, (px * mmPerPx) / EYEBALL_RADIUS_MM))));
  return { horizontalDeg: toDeg(c[0] - eyeMidX), verticalDeg: toDeg(c[1] - primaryY) };
}

/** Mouth: the inner lip gap over the mouth width, and the lift of the corners over the lip line (both / width). */
export function mouthShape(face: FaceAnalysis): { opening: number; cornerLift: number; widthToEyes: number } {
  const frame = faceFrame(face);
  const p = (i: number) => toFace(frame, lm2(face, i));
  const rc = p(LM.lips.rightCorner);
  const lc = p(LM.lips.leftCorner);
  const width = dist(rc, lc) || 1;
  const upperIn = p(LM.lips.upperInner);
  const lowerIn = p(LM.lips.lowerInner);
  const centreY = (upperIn[1] + lowerIn[1]) / 2;
  const cornersY = (rc[1] + lc[1]) / 2;
  return {
    opening: Math.max(0, lowerIn[1] - upperIn[1]) / width,
    cornerLift: (centreY - cornersY) / width,
    widthToEyes: width / frame.eyeDistance,
  };
}

/** The face outline as an image polygon. */
export function facePolygon(face: FaceAnalysis): Point[] {
  return LM.oval.map((i) => lm2(face, i));
}

export function polygonArea(poly: readonly Point[]): number {
  let a = 0;
  for (let i = 0; i < poly.length; i++) {
    const p = poly[i]!;
    const q = poly[(i + 1) % poly.length]!;
    a += p[0] * q[1] - q[0] * p[1];
  }
  return Math.abs(a) / 2;
}
