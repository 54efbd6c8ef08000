// The ONNX face models behind vision/'s FaceAnalyser contract (src/vision/analysis.ts): one
// call per image giving every confirmed face (detector + FaceMesh presence), its landmarks,
// irises and expression, and the person mask.
import type { AnalyseOptions, FaceAnalyser, FaceAnalysis, ImageAnalysis, RgbImage as VisionImage } from '../analysis.ts';
import { boundingBox, loadFaceModels, type LoadFaceModelsOptions } from './face-models.ts';
import { FACE_LANDMARKS } from './landmarks.ts';
import type { Face, FaceDetection, FaceLandmarks, FaceModels, Point, RgbImage } from './types.ts';

/** FaceMesh presence below which a tracked face is lost (the same even odds as detection). */
const TRACK_MIN_PRESENCE = 0.5;

/** Longest side of the segmentation mask handed to the checks (the model itself sees 256x256). */
const MASK_MAX_SIDE = 512;

export function faceAnalyser(models: FaceModels): FaceAnalyser {
  return {
    async analyse(input: VisionImage, options: AnalyseOptions = {}): Promise<ImageAnalysis> {
      const image: RgbImage = { width: input.width, height: input.height, data: input.data };
      const found = options.track?.length ? await track(models, image, options.track) : [];
      const tracked = found.length > 0;
      if (!tracked) found.push(...(await models.findFaces(image)));
      found.sort((a, b) => b.landmarks.box.width * b.landmarks.box.height - a.landmarks.box.width * a.landmarks.box.height);
      const faces: FaceAnalysis[] = [];
      for (const { detection, landmarks } of found.slice(0, options.maxFaces ?? 3)) {
        const face: FaceAnalysis = {
          score: detection.score,
          box: detection.box,
          landmarks: landmarks.points.map((p) => [p.x, p.y, p.z]),
        };
        if (options.irises !== false) {
          const iris = await models.iris(image, landmarks);
          face.irises = {
            left: { centre: [iris.left.centre.x, iris.left.centre.y], radius: iris.left.radius },
            right: { centre: [iris.right.centre.x, iris.right.centre.y], radius: iris.right.radius },
          };
        }
        if (options.emotion !== false) face.emotion = await models.expression(image, landmarks);
        faces.push(face);
      }
      const result: ImageAnalysis = { width: image.width, height: image.height, faces, ...(tracked ? { tracked } : {}) };
      if (options.segmentation !== false) {
        const k = Math.min(1, MASK_MAX_SIDE / Math.max(image.width, image.height));
        result.segmentation = await models.segment(image, { width: Math.max(1, Math.round(image.width * k)), height: Math.max(1, Math.round(image.height * k)) });
      }
      return result;
    },
    close: () => models.close(),
  };
}

/**
 * Tracking: FaceMesh re-run on the crop given by each previous face's landmarks (what MediaPipe
 * does between detector runs). A face is kept while FaceMesh's presence score says the crop
 * still holds one; its detection is the previous one, moved to the new landmarks' box.
 */
async function track(models: FaceModels, image: RgbImage, previous: readonly FaceAnalysis[]): Promise<Face[]> {
  const out: Face[] = [];
  for (const face of previous) {
    const points = face.landmarks.map(([x, y, z]) => ({ x, y, z }));
    const r = points[FACE_LANDMARKS.rightEyeOuter];
    const l = points[FACE_LANDMARKS.leftEyeOuter];
    if (!r || !l) continue;
    const prior: FaceLandmarks = { points, score: 1, box: face.box, roll: Math.atan2(l.y - r.y, l.x - r.x) };
    const landmarks = await models.landmarks(image, prior);
    if (landmarks.score < TRACK_MIN_PRESENCE) continue;
    // The detector's box follows the face: the mapping of the previous landmarks' box onto the new one.
    const before = boundingBox(points);
    const after = landmarks.box;
    const sx = before.width > 0 ? after.width / before.width : 1;
    const sy = before.height > 0 ? after.height / before.height : 1;
    const at = (i: number, fallback: Point): Point => landmarks.points[i] ?? fallback;
    const detection: FaceDetection = {
      score: face.score,
      box: { x: after.x + (face.box.x - before.x) * sx, y: after.y + (face.box.y - before.y) * sy, width: face.box.width * sx, height: face.box.height * sy },
      keypoints: {
        rightEye: at(FACE_LANDMARKS.rightEyeOuter, r),
        leftEye: at(FACE_LANDMARKS.leftEyeOuter, l),
        noseTip: at(1, r),
        mouth: at(13, r),
        rightEar: at(234, r),
        leftEar: at(454, l),
      },
    };
    out.push({ detection, landmarks });
  }
  return out;
}


/** Loads the ONNX models (see loadFaceModels) and wraps them as a FaceAnalyser. */
export async function loadFaceAnalyser(dir?: string, options: LoadFaceModelsOptions = {}): Promise<FaceAnalyser> {
  return faceAnalyser(await loadFaceModels(dir, options));
}
