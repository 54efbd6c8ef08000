// Live guidance on preview frames (640x480): the same analysis, only the cheap checks
// (PREVIEW_CHECKS: no segmentation, no emotion model, no blur estimate), one hint at a time in
// the checks' priority order, and "hold still" once every check has passed on `stableFrames`
// consecutive frames: that is when the shutter should fire.
import type { FaceAnalyser } from './analysis.ts';
import { buildContext, PREVIEW_CHECKS, runChecks, type CheckResult } from './checks.ts';
import { HOLD_STILL, type Hint } from './hints.ts';

export interface GuidanceOptions {
  /** Consecutive all-pass frames before `ready` (default 3: 0.2 s at 15 fps). */
  stableFrames?: number;
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

  constructor(
    private readonly analyser: FaceAnalyser,
    options: GuidanceOptions = {},
  ) {
    this.stableFrames = Math.max(1, options.stableFrames ?? 3);
  }

  reset(): void {
    this.passes = 0;
  }

  async analyseFrame(rgb: Buffer, width: number, height: number): Promise<GuidanceResult> {
    if (rgb.length !== width * height * 3) throw new Error(`preview frame of ${rgb.length} bytes is not ${width}x${height} RGB`);
    const image = { data: rgb, width, height };
    const analysis = await this.analyser.analyse(image, { emotion: false, segmentation: false, maxFaces: 3 });
    const checks = runChecks(buildContext(image, analysis), { only: PREVIEW_CHECKS });
    const failing = checks.find((c) => !c.pass) ?? null;
    if (failing) {
      this.passes = 0;
      return { hint: failing.hint, ready: false, failing, checks };
    }
    this.passes++;
    return { hint: HOLD_STILL, ready: this.passes >= this.stableFrames, failing: null, checks };
  }
}
