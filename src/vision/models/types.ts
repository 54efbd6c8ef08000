// Public types of the face models (src/vision/models). Coordinate conventions, for every
// point and box below:
// - pixels of the image given to the call (after EXIF orientation when it came from
//   decodeImage), origin at the top-left corner of the top-left pixel, x to the right,
//   y downwards; coordinates are continuous, so the centre of pixel (i, j) is (i + 0.5, j + 0.5);
// - "right"/"left" are the SUBJECT's right and left (MediaPipe's convention): the subject's
//   right eye appears on the left of a non-mirrored photo;
// - z (landmarks only) is depth in the same pixel scale as x, relative to the face's centre
//   plane, negative towards the camera (MediaPipe FaceMesh's convention).

/** A decoded image: packed 8-bit RGB, row-major, 3 bytes per pixel, no padding. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Point {
  x: number;
  y: number;
}

export interface Point3 extends Point {
  z: number;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One face found by the detector (BlazeFace). */
export interface FaceDetection {
  /** Face box (roughly brows to chin, cheek to cheek; not the hair). */
  box: Box;
  /** Detector confidence 0..1. */
  score: number;
  keypoints: {
    rightEye: Point;
    leftEye: Point;
    noseTip: Point;
    mouth: Point;
    rightEar: Point;
    leftEar: Point;
  };
}

/** The 468 FaceMesh landmarks of one face (indices: see landmarks.ts, FACE_LANDMARKS). */
export interface FaceLandmarks {
  points: Point3[];
  /** FaceMesh's face-presence score 0..1 (low: the crop held no face; the points are then meaningless). */
  score: number;
  /** Bounding box of the 468 points. */
  box: Box;
  /**
   * In-plane rotation of the eye line, radians: atan2 of (left eye outer corner − right eye
   * outer corner). 0 = eyes level; positive = the subject's left eye (image right) is lower.
   */
  roll: number;
}

export interface EyeIris {
  /** Iris centre (pupil). */
  centre: Point3;
  /** 4 points on the iris boundary, in order: inner side (towards the nose), top, outer side, bottom. */
  boundary: Point3[];
  /** Iris radius in pixels: mean distance of the boundary points to the centre. */
  radius: number;
  /** The iris model's 71 eye-region points (eyelid contours, brow); first 16 are the eyelid contour used to replace FaceMesh's. */
  eye: Point3[];
}

export interface IrisLandmarks {
  right: EyeIris;
  left: EyeIris;
}

/** Person/background segmentation: 0 = background, 255 = person, one byte per pixel, row-major. */
export interface SegmentationMask {
  width: number;
  height: number;
  data: Uint8Array;
}

export const EXPRESSIONS = ['angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'] as const;
export type Expression = (typeof EXPRESSIONS)[number];
/** Probabilities (softmax, sum 1) of the 7 FER-2013 expression classes. */
export type ExpressionScores = Record<Expression, number>;

export interface DetectOptions {
  /** Minimum detector score, default 0.5. */
  minScore?: number;
  /** Keep at most this many faces (highest score first), default 10. */
  maxFaces?: number;
}

/** A face confirmed by both models: the detector found it and FaceMesh sees a face in it. */
export interface Face {
  detection: FaceDetection;
  landmarks: FaceLandmarks;
}

export interface FindFacesOptions extends DetectOptions {
  /** Minimum FaceMesh face-presence score for a detection to count as a face, default 0.5. */
  minPresence?: number;
}

export interface FaceModels {
  /**
   * The faces of the image, confirmed by FaceMesh (a detection alone can be a face-like object:
   * BlazeFace scores some cups and textures above 0.5; FaceMesh's presence score rejects them).
   * This is what "how many people are in the photo" should count. Highest detector score first.
   */
  findFaces(image: RgbImage, options?: FindFacesOptions): Promise<Face[]>;
  /** Raw detector output (unconfirmed), highest score first. */
  detectFaces(image: RgbImage, options?: DetectOptions): Promise<FaceDetection[]>;
  /**
   * The 468 landmarks of one face. `face` is a detection, or the landmarks of the previous
   * frame (tracking: no detector run needed while the score stays high).
   */
  landmarks(image: RgbImage, face: FaceDetection | FaceLandmarks): Promise<FaceLandmarks>;
  /** Iris and eyelid landmarks of both eyes, from a face's landmarks. */
  iris(image: RgbImage, face: FaceLandmarks): Promise<IrisLandmarks>;
  /** Person mask of the whole image, at the image's size unless another size is asked. */
  segment(image: RgbImage, size?: { width: number; height: number }): Promise<SegmentationMask>;
  /** Facial expression probabilities of one face. */
  expression(image: RgbImage, face: FaceDetection | FaceLandmarks): Promise<ExpressionScores>;
  /** Releases the ONNX sessions. */
  close(): Promise<void>;
}
