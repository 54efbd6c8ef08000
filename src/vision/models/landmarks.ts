// What the FaceMesh landmark indices mean (MediaPipe's 468-point canonical face topology).
// "right"/"left" are the subject's: the subject's right eye is on the image's left.
// Sources: MediaPipe face_mesh_connections.py and the canonical face model UV map; the
// values were checked on the fixture portraits (test/vision/models-runtime.test.ts).

export const FACE_LANDMARKS = {
  /** Top of the mesh on the mid-line: the upper forehead near the hairline. NOT the crown of the skull: the mesh stops at the hairline. */
  foreheadTop: 10,
  /** Lowest point of the chin on the mid-line (menton). */
  chin: 152,
  /** Nose tip (pronasale). */
  noseTip: 1,
  /** Between the eyes, on the nose bridge (sellion area). */
  betweenEyes: 168,
  /** Glabella / mid-forehead between the brows. */
  glabella: 9,
  rightEyeOuter: 33,
  rightEyeInner: 133,
  rightEyeUpperLid: 159,
  rightEyeLowerLid: 145,
  leftEyeOuter: 263,
  leftEyeInner: 362,
  leftEyeUpperLid: 386,
  leftEyeLowerLid: 374,
  rightBrowMid: 105,
  leftBrowMid: 334,
  /** Mouth corners. */
  mouthRight: 61,
  mouthLeft: 291,
  /** Inner lip edges on the mid-line: their distance is the mouth opening. */
  upperLipInner: 13,
  lowerLipInner: 14,
  /** Outer lip edges on the mid-line. */
  upperLipOuter: 0,
  lowerLipOuter: 17,
  /** Face sides at the level of the ears (near the tragion); their distance is the face width. */
  rightCheek: 234,
  leftCheek: 454,
} as const;

/** Closed contours, as index lists (MediaPipe FACEMESH_* connection sets, as rings). */
export const FACE_CONTOURS = {
  /** Face oval, clockwise from the forehead top (10) through the chin (152). */
  faceOval: [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109],
  rightEye: [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7],
  leftEye: [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249],
  lipsOuter: [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146],
  lipsInner: [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 324, 318, 402, 317, 14, 87, 178, 88, 95],
  /** Each lip on its own: its outer contour, corner to corner, then the inner contour back. */
  upperLip: [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191, 78],
  lowerLip: [291, 375, 321, 405, 314, 17, 84, 181, 91, 146, 61, 78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308],
  rightBrow: [70, 63, 105, 66, 107, 55, 65, 52, 53, 46],
  leftBrow: [300, 293, 334, 296, 336, 285, 295, 282, 283, 276],
} as const;

export const FACE_LANDMARK_COUNT = 468;
