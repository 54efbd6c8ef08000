// The face models at run time: ONNX files built by `npm run models`, run by onnxruntime-node,
// with the pre- and post-processing each model expects (MediaPipe's conventions: letterboxed
// detector input, BlazeFace anchors and weighted NMS, rotated 1.5x face crops for FaceMesh,
// 2.3x eye crops for Iris with the left eye mirrored).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DEFAULT_MODELS_DIR, readManifest, sha256, type ManifestEntry } from './manifest.ts';
import { checkImage, cropRoi, letterbox, resizePlane, roiToImage, stretch, type Roi } from './image.ts';
import { FACE_LANDMARKS } from './landmarks.ts';
import type { ModelName } from './sources.ts';
import {
  EXPRESSIONS,
  type Box, type DetectOptions, type ExpressionScores, type EyeIris, type Face, type FaceDetection, type FaceLandmarks, type FindFacesOptions,
  type FaceModels, type IrisLandmarks, type Point, type Point3, type RgbImage, type SegmentationMask,
} from './types.ts';
import { silentLogger, type Logger } from '../../log.ts';

export interface LoadFaceModelsOptions {
  /**
   * Threads per inference (default 1). Measured on the 2-core machine, per run: detector 10.4 ms
   * with 1 thread, 11.3 with 2; FaceMesh 13.9 / 20.9; iris 12.1 / 15.5; segmentation 17.4 / 18.1:
   * these models are too small for intra-op parallelism to pay, and the second core is left to
   * sharp's decode and the rest of the booth.
   */
  threads?: number;
  /** Check each file's sha256 against manifest.json before loading (default true). */
  verify?: boolean;
  logger?: Logger;
}

/** Face-box enlargement for the FaceMesh crop (MediaPipe face_detection_front_detection_to_roi). */
const MESH_ROI_SCALE = 1.5;
/** Eye-crop size relative to the eye-corner distance (MediaPipe iris_landmark_landmarks_to_roi). */
const IRIS_ROI_SCALE = 2.3;
/** BlazeFace detections overlapping more than this are one face (MediaPipe's weighted NMS). */
const NMS_IOU = 0.3;
const DETECTOR_SIZE = 256;
const MESH_SIZE = 192;
const IRIS_SIZE = 64;
const EMOTION_SIZE = 64;
const SEGMENT_SIZE = 256;

type Session = ort.InferenceSession;

async function openSession(dir: string, entry: ManifestEntry, options: LoadFaceModelsOptions): Promise<Session> {
  const path = join(dir, entry.onnx);
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run models"`);
  const bytes = await readFile(path);
  if (options.verify !== false && sha256(bytes) !== entry.sha256) {
    throw new Error(`${path} does not match src/vision/models/manifest.json (expected sha256 ${entry.sha256.slice(0, 16)}…): run "npm run models"`);
  }
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Worker threads sleep between runs instead of spinning: these models run a few ms each,
    // and on the booth's two cores (shared with the UI, the camera, the MQTT client) a spinning
    // pool thread steals the core the next run needs (measured: 2-3x slower runs under load).
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
}

async function run(session: Session, input: Float32Array, shape: number[]): Promise<Map<string, { data: Float32Array; dims: readonly number[] }>> {
  const name = session.inputNames[0];
  if (!name) throw new Error('model has no input');
  const result = await session.run({ [name]: new ort.Tensor('float32', input, shape) });
  const out = new Map<string, { data: Float32Array; dims: readonly number[] }>();
  for (const [key, t] of Object.entries(result)) {
    if (!(t.data instanceof Float32Array)) throw new Error(`model output ${key} is not float32`);
    out.set(key, { data: t.data, dims: t.dims });
    t.dispose();
  }
  return out;
}

function bySize(outputs: Map<string, { data: Float32Array; dims: readonly number[] }>, size: number): Float32Array {
  for (const o of outputs.values()) if (o.data.length === size) return o.data;
  throw new Error(`model output of ${size} values not found`);
}

/** BlazeFace anchors (SSD, 256x256: 16x16 grid x2 anchors at stride 16, 8x8 x6 at stride 32), in input pixels. */
export function blazeFaceAnchors(size = DETECTOR_SIZE): Point[] {
  const anchors: Point[] = [];
  for (const [stride, perCell] of [[size / 16, 2], [size / 8, 6]] as const) {
    const cells = Math.ceil(size / stride);
    for (let gy = 0; gy < cells; gy++) {
      for (let gx = 0; gx < cells; gx++) {
        for (let n = 0; n < perCell; n++) anchors.push({ x: stride * (gx + 0.5), y: stride * (gy + 0.5) });
      }
    }
  }
  return anchors;
}

function iou(a: Box, b: Box): number {
  const x0 = Math.max(a.x, b.x);
  const y0 = Math.max(a.y, b.y);
  const x1 = Math.min(a.x + a.width, b.x + b.width);
  const y1 = Math.min(a.y + a.height, b.y + b.height);
  const inter = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
  const union = a.width * a.height + b.width * b.height - inter;
  return union > 0 ? inter / union : 0;
}

interface RawDetection {
  score: number;
  /** box x, y, w, h then 6 keypoints x, y (12 values) */
  v: number[];
}

/** MediaPipe's weighted non-maximum suppression: overlapping detections are averaged by score. */
export function weightedNms(dets: RawDetection[], iouThreshold = NMS_IOU): RawDetection[] {
  const remaining = [...dets].sort((a, b) => b.score - a.score);
  const out: RawDetection[] = [];
  const boxOf = (d: RawDetection): Box => ({ x: d.v[0] ?? 0, y: d.v[1] ?? 0, width: d.v[2] ?? 0, height: d.v[3] ?? 0 });
  while (remaining.length > 0) {
    const top = remaining[0];
    if (!top) break;
    const topBox = boxOf(top);
    const cluster: RawDetection[] = [];
    const rest: RawDetection[] = [];
    for (const d of remaining) (iou(topBox, boxOf(d)) > iouThreshold ? cluster : rest).push(d);
    const total = cluster.reduce((s, d) => s + d.score, 0);
    const v = top.v.map((_, i) => cluster.reduce((s, d) => s + (d.v[i] ?? 0) * d.score, 0) / total);
    out.push({ score: top.score, v });
    remaining.splice(0, remaining.length, ...rest);
  }
  return out;
}

function pointAt(points: readonly Point3[], i: number): Point3 {
  const p = points[i];
  if (!p) throw new Error(`landmark ${i} missing`);
  return p;
}

/** The axis-aligned box around a set of points. */
export function boundingBox(points: readonly Point[]): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x);
    y0 = Math.min(y0, p.y);
    x1 = Math.max(x1, p.x);
    y1 = Math.max(y1, p.y);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function isLandmarks(face: FaceDetection | FaceLandmarks): face is FaceLandmarks {
  return 'points' in face;
}

/** Square ROI around a face, aligned with its eye line, `scale` times its size. */
export function faceRoi(face: FaceDetection | FaceLandmarks, scale: number): Roi {
  if (!isLandmarks(face)) {
    const { rightEye, leftEye } = face.keypoints;
    const angle = Math.atan2(leftEye.y - rightEye.y, leftEye.x - rightEye.x);
    return { cx: face.box.x + face.box.width / 2, cy: face.box.y + face.box.height / 2, size: Math.max(face.box.width, face.box.height) * scale, angle };
  }
  // Bounding box of the points in the face's own (de-rotated) frame.
  const angle = face.roll;
  const c = Math.cos(-angle);
  const s = Math.sin(-angle);
  const rotated = face.points.map((p) => ({ x: c * p.x - s * p.y, y: s * p.x + c * p.y }));
  const b = boundingBox(rotated);
  const mx = b.x + b.width / 2;
  const my = b.y + b.height / 2;
  const cb = Math.cos(angle);
  const sb = Math.sin(angle);
  return { cx: cb * mx - sb * my, cy: sb * mx + cb * my, size: Math.max(b.width, b.height) * scale, angle };
}

class OnnxFaceModels implements FaceModels {
  private readonly anchors = blazeFaceAnchors();

  constructor(
    private readonly sessions: Record<ModelName, Session>,
    private readonly logger: Logger,
  ) {}

  async findFaces(image: RgbImage, options: FindFacesOptions = {}): Promise<Face[]> {
    const minPresence = options.minPresence ?? 0.5;
    const faces: Face[] = [];
    for (const detection of await this.detectFaces(image, options)) {
      const landmarks = await this.landmarks(image, detection);
      if (landmarks.score >= minPresence) faces.push({ detection, landmarks });
    }
    return faces;
  }

  async detectFaces(image: RgbImage, options: DetectOptions = {}): Promise<FaceDetection[]> {
    checkImage(image);
    const minScore = options.minScore ?? 0.5;
    const maxFaces = options.maxFaces ?? 10;
    const lb = await letterbox(image, DETECTOR_SIZE);
    for (let i = 0; i < lb.tensor.length; i++) lb.tensor[i] = (lb.tensor[i] ?? 0) / 127.5 - 1;
    const out = await run(this.sessions.blazeface, lb.tensor, [1, DETECTOR_SIZE, DETECTOR_SIZE, 3]);
    // Outputs: scores and regressors for the 512 stride-16 anchors, then for the 384 stride-32 ones.
    const scores = [bySize(out, 512), bySize(out, 384)];
    const regs = [bySize(out, 512 * 16), bySize(out, 384 * 16)];
    const raw: RawDetection[] = [];
    let a = 0;
    for (let part = 0; part < 2; part++) {
      const sc = scores[part] as Float32Array;
      const rg = regs[part] as Float32Array;
      for (let i = 0; i < sc.length; i++, a++) {
        const logit = Math.max(-100, Math.min(100, sc[i] ?? -100));
        const score = 1 / (1 + Math.exp(-logit));
        if (score < minScore) continue;
        const anchor = this.anchors[a] as Point;
        const r = rg.subarray(i * 16, i * 16 + 16);
        const cx = (r[0] ?? 0) + anchor.x;
        const cy = (r[1] ?? 0) + anchor.y;
        const w = r[2] ?? 0;
        const h = r[3] ?? 0;
        const v = [cx - w / 2, cy - h / 2, w, h];
        for (let k = 0; k < 6; k++) v.push((r[4 + 2 * k] ?? 0) + anchor.x, (r[5 + 2 * k] ?? 0) + anchor.y);
        raw.push({ score, v });
      }
    }
    const toX = (x: number): number => (x - lb.offsetX) / lb.scaleX;
    const toY = (y: number): number => (y - lb.offsetY) / lb.scaleY;
    const kp = (v: number[], k: number): Point => ({ x: toX(v[4 + 2 * k] ?? 0), y: toY(v[5 + 2 * k] ?? 0) });
    const faces = weightedNms(raw).slice(0, maxFaces).map(({ score, v }): FaceDetection => ({
      box: { x: toX(v[0] ?? 0), y: toY(v[1] ?? 0), width: (v[2] ?? 0) / lb.scaleX, height: (v[3] ?? 0) / lb.scaleY },
      score,
      keypoints: { rightEye: kp(v, 0), leftEye: kp(v, 1), noseTip: kp(v, 2), mouth: kp(v, 3), rightEar: kp(v, 4), leftEar: kp(v, 5) },
    }));
    this.logger.debug({ faces: faces.length, candidates: raw.length }, 'faces detected');
    return faces;
  }

  async landmarks(image: RgbImage, face: FaceDetection | FaceLandmarks): Promise<FaceLandmarks> {
    checkImage(image);
    const roi = faceRoi(face, MESH_ROI_SCALE);
    const input = await cropRoi(image, roi, MESH_SIZE);
    for (let i = 0; i < input.length; i++) input[i] = (input[i] ?? 0) / 255;
    const out = await run(this.sessions.facemesh, input, [1, MESH_SIZE, MESH_SIZE, 3]);
    const mesh = bySize(out, 1404);
    const score = bySize(out, 1)[0] ?? 0;
    const zScale = roi.size / MESH_SIZE;
    const points: Point3[] = [];
    for (let i = 0; i < 468; i++) {
      const p = roiToImage(roi, MESH_SIZE, mesh[i * 3] ?? 0, mesh[i * 3 + 1] ?? 0);
      points.push({ x: p.x, y: p.y, z: (mesh[i * 3 + 2] ?? 0) * zScale });
    }
    const r = pointAt(points, FACE_LANDMARKS.rightEyeOuter);
    const l = pointAt(points, FACE_LANDMARKS.leftEyeOuter);
    return { points, score, box: boundingBox(points), roll: Math.atan2(l.y - r.y, l.x - r.x) };
  }

  private eyeRoi(face: FaceLandmarks, outer: number, inner: number): Roi {
    const o = pointAt(face.points, outer);
    const i = pointAt(face.points, inner);
    return { cx: (o.x + i.x) / 2, cy: (o.y + i.y) / 2, size: Math.hypot(o.x - i.x, o.y - i.y) * IRIS_ROI_SCALE, angle: face.roll };
  }

  async iris(image: RgbImage, face: FaceLandmarks): Promise<IrisLandmarks> {
    checkImage(image);
    const eye = async (roi: Roi, flip: boolean): Promise<EyeIris> => {
      const input = await cropRoi(image, roi, IRIS_SIZE, flip);
      for (let i = 0; i < input.length; i++) input[i] = (input[i] ?? 0) / 255;
      const out = bySize(await run(this.sessions.iris, input, [1, IRIS_SIZE, IRIS_SIZE, 3]), 228);
      const zScale = roi.size / IRIS_SIZE;
      const pts: Point3[] = [];
      for (let i = 0; i < 76; i++) {
        const u = out[i * 3] ?? 0;
        const p = roiToImage(roi, IRIS_SIZE, flip ? IRIS_SIZE - u : u, out[i * 3 + 1] ?? 0);
        pts.push({ x: p.x, y: p.y, z: (out[i * 3 + 2] ?? 0) * zScale });
      }
      const centre = pointAt(pts, 71);
      const boundary = pts.slice(72, 76);
      const radius = boundary.reduce((s, p) => s + Math.hypot(p.x - centre.x, p.y - centre.y), 0) / boundary.length;
      return { centre, boundary, radius, eye: pts.slice(0, 71) };
    };
    const L = FACE_LANDMARKS;
    const [right, left] = await Promise.all([
      eye(this.eyeRoi(face, L.rightEyeOuter, L.rightEyeInner), false),
      eye(this.eyeRoi(face, L.leftEyeOuter, L.leftEyeInner), true),
    ]);
    return { right, left };
  }

  async segment(image: RgbImage, size?: { width: number; height: number }): Promise<SegmentationMask> {
    checkImage(image);
    const input = await stretch(image, SEGMENT_SIZE, SEGMENT_SIZE);
    for (let i = 0; i < input.length; i++) input[i] = (input[i] ?? 0) / 255;
    const prob = bySize(await run(this.sessions.selfie, input, [1, SEGMENT_SIZE, SEGMENT_SIZE, 3]), SEGMENT_SIZE * SEGMENT_SIZE);
    const plane = new Uint8Array(prob.length);
    for (let i = 0; i < prob.length; i++) plane[i] = Math.round(Math.min(1, Math.max(0, prob[i] ?? 0)) * 255);
    const width = size?.width ?? image.width;
    const height = size?.height ?? image.height;
    return { width, height, data: await resizePlane(plane, SEGMENT_SIZE, SEGMENT_SIZE, width, height) };
  }

  async expression(image: RgbImage, face: FaceDetection | FaceLandmarks): Promise<ExpressionScores> {
    checkImage(image);
    // FER-2013 faces fill the frame: a tight square around the face (landmarks), or the
    // detector's brows-to-chin box enlarged to take in the forehead.
    const roi = faceRoi(face, isLandmarks(face) ? 1.05 : 1.3);
    const rgb = await cropRoi(image, roi, EMOTION_SIZE);
    const grey = new Float32Array(EMOTION_SIZE * EMOTION_SIZE);
    for (let i = 0; i < grey.length; i++) {
      const g = (0.2989 * (rgb[i * 3] ?? 0) + 0.587 * (rgb[i * 3 + 1] ?? 0) + 0.114 * (rgb[i * 3 + 2] ?? 0)) / 255;
      grey[i] = (g - 0.5) * 2;
    }
    const out = bySize(await run(this.sessions.emotion, grey, [1, EMOTION_SIZE, EMOTION_SIZE, 1]), EXPRESSIONS.length);
    const scores = {} as ExpressionScores;
    EXPRESSIONS.forEach((e, i) => { scores[e] = out[i] ?? 0; });
    return scores;
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }
}

/**
 * Loads the five ONNX models from `dir` (default <repo>/models, built by `npm run models`),
 * checking each against the committed manifest. Throws a clear error if one is missing or
 * altered.
 */
export async function loadFaceModels(dir: string = DEFAULT_MODELS_DIR, options: LoadFaceModelsOptions = {}): Promise<FaceModels> {
  const manifest = readManifest();
  if (!manifest) throw new Error('src/vision/models/manifest.json is missing');
  const logger = (options.logger ?? silentLogger()).child({ module: 'vision-models' });
  const names: ModelName[] = ['blazeface', 'facemesh', 'iris', 'emotion', 'selfie'];
  const sessions = {} as Record<ModelName, Session>;
  for (const name of names) {
    const entry = manifest.models[name];
    if (!entry) throw new Error(`manifest.json has no model ${name}`);
    sessions[name] = await openSession(dir, entry, options);
  }
  logger.debug({ dir, models: names }, 'face models loaded');
  return new OnnxFaceModels(sessions, logger);
}
