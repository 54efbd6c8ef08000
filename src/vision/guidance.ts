// Live guidance on preview frames (640x480): the same analysis, only the cheap checks
// (PREVIEW_CHECKS: no segmentation, no emotion model, no blur estimate), faces tracked from
// frame to frame by their landmarks with a detector run every `detectEvery` frames, one hint at a time in
// the checks' priority order, and "hold still" once every check has passed on `stableFrames`
// consecutive frames: that is when the shutter should fire.
import type { FaceAnalyser, FaceAnalysis } from './analysis.ts';
import { buildContext, PREVIEW_CHECKS, runChecks, type CheckResult } from './checks.ts';
import { HOLD_STILL, type Hint } from './hints.ts';

export interface GuidanceOptions {
  /** Consecutive all-pass frames before `ready` (default 3: 0.2 s at 15 fps). */
  stableFrames?: number;
  /**
   * Run the face detector on one frame in this many (default 5: three times a second at 15 fps);
   * in between, faces are tracked from the previous frame's landmarks. A second person stepping
   * in is seen at the next detector frame; `ready` needs a detector frame among the passing ones.
   */
  detectEvery?: number;
}

export interface GuidanceResult {
  /** The one thing to tell the customer now (null: nothing yet, e.g. the first passing frames). */
  hint: Hint | null;
  /** Every preview check passed on the last `stableFrames` frames: fire the shutter. */
  ready: boolean;
  /** The first failing check, if any. */
  failing: CheckResult | null;
  checks: CheckResult[];
}

export class Guidance {
  private passes = 0;
  private readonly stableFrames: number;
  private readonly detectEvery: number;
  private tracked: FaceAnalysis[] = [];
  private sinceDetect = Infinity;
  /** A detector frame has passed since the current run of passing frames began. */
  private detectedInRun = false;

  constructor(
    private readonly analyser: FaceAnalyser,
    options: GuidanceOptions = {},
  ) {
    this.stableFrames = Math.max(1, options.stableFrames ?? 3);
    this.detectEvery = Math.max(1, options.detectEvery ?? 5);
  }

  reset(): void {
    this.passes = 0;
    this.tracked = [];
    this.sinceDetect = Infinity;
    this.detectedInRun = false;
  }

  async analyseFrame(rgb: Buffer, width: number, height: number): Promise<GuidanceResult> {
    if (rgb.length !== width * height * 3) throw new Error(`preview frame of ${rgb.length} bytes is not ${width}x${height} RGB`);
    const image = { data: rgb, width, height };
    const detect = this.sinceDetect + 1 >= this.detectEvery || this.tracked.length === 0;
    const analysis = await this.analyser.analyse(image, { emotion: false, segmentation: false, maxFaces: 3, ...(detect ? {} : { track: this.tracked }) });
    // A tracked frame that lost every face fell back to the detector inside analyse.
    const detected = analysis.tracked !== true;
    this.sinceDetect = detected ? 0 : this.sinceDetect + 1;
    this.tracked = analysis.faces;
    const checks = runChecks(buildContext(image, analysis), { only: PREVIEW_CHECKS });
    const failing = checks.find((c) => !c.pass) ?? null;
    if (failing) {
      this.passes = 0;
      this.detectedInRun = false;
      return { hint: failing.hint, ready: false, failing, checks };
    }
    this.passes++;
    this.detectedInRun ||= detected;
    return { hint: HOLD_STILL, ready: this.passes >= this.stableFrames && this.detectedInRun, failing: null, checks };
  }
}
