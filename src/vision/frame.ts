// The 35x45 frame of a photo: which part of the image the photo is. An image already in the
// 35:45 proportion is a finished photo and the frame is all of it. Any other image (a booth
// capture, 4:3) is framed the way the booth frames without zooming: the tallest 35:45 window
// that fits, centred on the face horizontally (clamped to the image). So the face height in mm
// measures how close the customer sits, which live guidance turns into "move closer/back".
import type { Point } from './analysis.ts';
import { PHOTO } from './limits.ts';

export interface PhotoFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Millimetres of the 35x45 photo per image pixel. */
  mmPerPx: number;
  /** The image is itself a 35:45 photo. */
  finished: boolean;
}

const ASPECT = PHOTO.widthMm / PHOTO.heightMm;

export function photoFrame(imageWidth: number, imageHeight: number, head?: { crown: Point; chin: Point; centre: Point }): PhotoFrame {
  const aspect = imageWidth / imageHeight;
  // Stryker disable next-line EqualityOperator: `<` differs only at exactly 3 % off 35:45, which no pixel size gives in floating point (docs/testing.md).
  if (Math.abs(aspect / ASPECT - 1) <= 0.03) {
    return { x: 0, y: 0, width: imageWidth, height: imageHeight, mmPerPx: PHOTO.heightMm / imageHeight, finished: true };
  }
  const height = Math.min(imageHeight, imageWidth / ASPECT);
  const width = height * ASPECT;
  const cx = head ? head.centre[0] : imageWidth / 2;
  const x = Math.min(Math.max(0, cx - width / 2), imageWidth - width);
  // A tall image: place the frame where the crop would (crown 3 mm under the top edge), or
  // centre it without a face. A wide image leaves no room: both give y = 0.
  const y = head
    ? Math.min(Math.max(0, Math.min(head.crown[1], head.chin[1]) - (PHOTO.crownMarginMm * height) / PHOTO.heightMm), imageHeight - height)
    : (imageHeight - height) / 2;
  return { x, y, width, height, mmPerPx: PHOTO.heightMm / height, finished: false };
}
