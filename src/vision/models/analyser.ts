// The ONNX face models behind vision/'s FaceAnalyser contract (src/vision/analysis.ts): one
// call per image giving every confirmed face (detector + FaceMesh presence), its landmarks,
// irises and expression, and the person mask.
import type { AnalyseOptions, FaceAnalyser, FaceAnalysis, ImageAnalysis, RgbImage as VisionImage } from '../analysis.ts';
import { loadFaceModels, type LoadFaceModelsOptions } from './face-models.ts';
import type { FaceModels, RgbImage } from './types.ts';

/** Longest side of the segmentation mask handed to the checks (the model itself sees 256x256). */
const MASK_MAX_SIDE = 512;

export function faceAnalyser(models: FaceModels): FaceAnalyser {
  return {
    async analyse(input: VisionImage, options: AnalyseOptions = {}): Promise<ImageAnalysis> {
      const image: RgbImage = { width: input.width, height: input.height, data: input.data };
      const found = await models.findFaces(image);
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
      const result: ImageAnalysis = { width: image.width, height: image.height, faces };
      if (options.segmentation !== false) {
        const k = Math.min(1, MASK_MAX_SIDE / Math.max(image.width, image.height));
        result.segmentation = await models.segment(image, { width: Math.max(1, Math.round(image.width * k)), height: Math.max(1, Math.round(image.height * k)) });
      }
      return result;
    },
    close: () => models.close(),
  };
}

/** Loads the ONNX models (see loadFaceModels) and wraps them as a FaceAnalyser. */
export async function loadFaceAnalyser(dir?: string, options: LoadFaceModelsOptions = {}): Promise<FaceAnalyser> {
  return faceAnalyser(await loadFaceModels(dir, options));
}
