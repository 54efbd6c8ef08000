// Face models: public surface. See docs/vision-models.md.
export { loadFaceModels, type LoadFaceModelsOptions } from './face-models.ts';
export { decodeImage, MAX_DECODE_PIXELS } from './image.ts';
export { FACE_LANDMARKS, FACE_CONTOURS, FACE_LANDMARK_COUNT } from './landmarks.ts';
export { DEFAULT_MODELS_DIR, checkModelFiles } from './manifest.ts';
export * from './types.ts';
export { faceAnalyser, loadFaceAnalyser } from './analyser.ts';
