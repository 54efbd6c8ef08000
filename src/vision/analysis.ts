// What the face models tell the rest of vision/: the contract between the model runtime
// (src/vision/models/, ONNX on onnxruntime-node) and the ANTS checks, the crop and the live
// guidance. Everything is in pixel coordinates of the image that was analysed (x right, y down),
// landmarks in the MediaPipe FaceMesh topology (468 points, + 10 iris points when the model
// refines them), so the checks are plain geometry and photometry over these numbers.
//
// "left" and "right" are the subject's own: the subject's left eye is on the image's right.

/** Packed 8-bit RGB, rows top to bottom, no padding (width * height * 3 bytes). */
export interface RgbImage {
  data: Buffer;
  width: number;
  height: number;
}

export type Point = [x: number, y: number];
/** x, y in image pixels; z relative depth in the same scale as x (smaller = nearer the camera). */
export type Point3 = [x: number, y: number, z: number];

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Iris {
  centre: Point;
  /** Radius of the visible iris disc, pixels. */
  radius: number;
}

export type Emotion = 'neutral' | 'happy' | 'sad' | 'angry' | 'fear' | 'disgust' | 'surprise';

export interface FaceAnalysis {
  /** Detector confidence, 0..1. */
  score: number;
  /** Face box from the detector, image pixels. */
  box: Box;
  /** 468 FaceMesh landmarks (indices as in MediaPipe's canonical face model), image pixels. */
  landmarks: Point3[];
  /** Iris centres and radii when the iris model ran (subject's left / right). */
  irises?: { left: Iris; right: Iris };
  /** Emotion probabilities when the emotion model ran. */
  emotion?: Partial<Record<Emotion, number>>;
}

/** Person (foreground) probability per pixel, 0..255, at its own resolution over the whole image. */
export interface SegmentationMask {
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ImageAnalysis {
  width: number;
  height: number;
  /** Every face found, largest first. */
  faces: FaceAnalysis[];
  /** The faces were tracked from `AnalyseOptions.track`, not found by the detector. */
  tracked?: boolean;
  /** Person segmentation of the whole image, when a segmentation model ran. */
  segmentation?: SegmentationMask;
}

export interface AnalyseOptions {
  /** Run the iris model (gaze, eye opening). Default true. */
  irises?: boolean;
  /** Run the emotion model when there is one. Default true. */
  emotion?: boolean;
  /** Run person segmentation when there is a model for it. Default true. */
  segmentation?: boolean;
  /** Report at most this many faces (largest first). Default 3: enough to tell "one" from "several". */
  maxFaces?: number;
  /**
   * Faces of the previous frame of a video (live preview): their landmarks give this frame's face
   * crops, so the detector does not run. A face the landmark model no longer sees is dropped;
   * when none is left the detector runs as usual. A new face entering the frame is only found
   * by a detector run, so callers re-detect every few frames.
   */
  track?: readonly FaceAnalysis[];
}

/** The face models behind one interface: the real ONNX runtime, or recorded analyses in tests. */
export interface FaceAnalyser {
  analyse(image: RgbImage, options?: AnalyseOptions): Promise<ImageAnalysis>;
  close(): Promise<void>;
}
