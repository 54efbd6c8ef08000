// The validator the booth and `cabine validate` use: bytes in, the report of DESIGN.md out
// ({file, compliant, checks: [{id, pass, value, limit, hint}], ms}), plus the 35x45 crop and
// live guidance over the same analysis.
import type { Logger } from '../log.ts';
import type { FaceAnalyser, FaceAnalysis } from './analysis.ts';
import { buildContext, countedFaces, runChecks, type CheckResult } from './checks.ts';
import { cropToPhoto, cropWindow, faceInWindow, levelledWindow, pixelsFor, scaleFace, type CroppedPhoto } from './crop.ts';
import { photoFrame } from './frame.ts';
import { Guidance, type GuidanceOptions } from './guidance.ts';
import { HINTS } from './hints.ts';
import { ImageError, loadImage, type LoadedImage } from './image.ts';
import { PHOTO } from './limits.ts';

export interface ValidationReport {
  file?: string;
  compliant: boolean;
  checks: CheckResult[];
  ms: number;
  /** Set when the image could not be read (then compliant is false and checks is empty). */
  error?: string;
}

export interface Validator {
  validate(image: Buffer, options?: { file?: string; signal?: AbortSignal }): Promise<ValidationReport>;
  /**
   * The verdict on what the booth delivers: the capture cropped to the 35x45 photo exactly as
   * crop() does, that photo validated, and `face.count` counted on the whole capture (a second
   * person beside the sitter may fall outside the crop, yet was in the booth). Same report shape.
   */
  validateCapture(image: Buffer, options?: { file?: string; signal?: AbortSignal }): Promise<ValidationReport>;
  /** The 35x45 photo (e-photo 600 dpi + print 300 dpi) of the largest face; throws without a face. */
  crop(image: Buffer): Promise<CroppedPhoto>;
  guidance(options?: GuidanceOptions): Guidance;
  close(): Promise<void>;
}

export interface ValidatorDeps {
  analyser: FaceAnalyser;
  logger: Logger;
}

export function createValidatorWith({ analyser, logger }: ValidatorDeps): Validator {
  const log = logger.child({ module: 'vision' });
  return {
    async validate(bytes, options = {}) {
      const t0 = performance.now();
      const file = options.file;
      const image = await readImage(bytes, file, t0);
      if ('checks' in image) return image;
      options.signal?.throwIfAborted();
      const analysis = await analyser.analyse(image);
      options.signal?.throwIfAborted();
      const checks = runChecks(buildContext(image, analysis, image.grayscaleSource));
      const report: ValidationReport = { ...(file ? { file } : {}), compliant: checks.every((c) => c.pass), checks, ms: Math.round(performance.now() - t0) };
      log.debug({ file, compliant: report.compliant, failed: checks.filter((c) => !c.pass).map((c) => c.id), ms: report.ms }, 'photo validated');
      return report;
    },
    async crop(bytes) {
      const image = await loadImage(bytes);
      const analysis = await analyser.analyse(image, { emotion: false, segmentation: false });
      const face = analysis.faces[0];
      if (!face) throw new Error('no face in the photo: nothing to crop');
      return cropFrom(bytes, image, face);
    },
    async validateCapture(bytes, options = {}) {
      const t0 = performance.now();
      const file = options.file;
      const image = await readImage(bytes, file, t0);
      if ('checks' in image) return image;
      const analysis = await analyser.analyse(image, { emotion: false, segmentation: false, irises: false });
      options.signal?.throwIfAborted();
      const people = countedFaces(analysis);
      // No face: nothing to crop; the checks on the capture itself say so.
      if (!people[0]) return this.validate(bytes, options);
      // The 35x45 window at the working resolution: the pixels the e-photo is resampled from
      // (crop() makes the 600 dpi JPEG of the same window). The face is followed into the
      // window by FaceMesh from its mapped landmarks: no second detector pass.
      const window = cropWindow(image, people[0]);
      const photo = levelledWindow(image, window);
      options.signal?.throwIfAborted();
      const photoAnalysis = await analyser.analyse(photo, { track: [faceInWindow(people[0], image, window)] });
      options.signal?.throwIfAborted();
      const n = people.length;
      const checks = runChecks(buildContext(photo, photoAnalysis, image.grayscaleSource, photo.captured)).map((c) =>
        c.id === 'face.count' ? { ...c, pass: n === 1, value: n, hint: n > 1 ? HINTS.severalFaces : n === 1 ? null : HINTS.noFace } : c,
      );
      const report: ValidationReport = { ...(file ? { file } : {}), compliant: checks.every((c) => c.pass), checks, ms: 0 };
      return { ...report, ms: Math.round(performance.now() - t0) };
    },
    guidance(options) {
      return new Guidance(analyser, options);
    },
    close: () => analyser.close(),
  };
}

/** The decoded image, or the report of an unreadable one (DESIGN.md: compliant false, no checks, the reason). */
async function readImage(bytes: Buffer, file: string | undefined, t0: number): Promise<LoadedImage | ValidationReport> {
  try {
    return await loadImage(bytes);
  } catch (err) {
    if (!(err instanceof ImageError)) throw err;
    return { ...(file ? { file } : {}), compliant: false, checks: [], ms: Math.round(performance.now() - t0), error: err.message };
  }
}

/**
 * The 35x45 photo of `face` (found on `image`, the working-resolution decode of `bytes`): the
 * pixels come from a second decode, shrunk only as far as keeps the 35x45 window at the
 * e-photo's 1063 px (600 dpi).
 */
async function cropFrom(bytes: Buffer, image: LoadedImage, face: FaceAnalysis): Promise<CroppedPhoto> {
  const window = cropWindow(image, face);
  const frame = photoFrame(image.width, image.height).height;
  const source = image.scale < 1 ? await loadImage(bytes, { minFramePx: Math.ceil((pixelsFor(PHOTO.heightMm, PHOTO.ephotoDpi) * frame) / window.height) }) : image;
  return cropToPhoto(source, scaleFace(face, source.width / image.width));
}

/** The validator on the real ONNX models (src/vision/models); rejects with the reason when they are not built. */
export async function createValidator(options: { modelsDir?: string; logger: Logger }): Promise<Validator> {
  const { loadFaceAnalyser } = await import('./models/index.ts');
  let analyser: FaceAnalyser;
  try {
    analyser = await loadFaceAnalyser(options.modelsDir);
  } catch (err) {
    throw new Error(`vision models unavailable (${(err as Error).message}); build them with: npm run models`, { cause: err });
  }
  return createValidatorWith({ analyser, logger: options.logger });
}
