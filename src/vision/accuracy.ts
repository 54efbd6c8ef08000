// Per-check precision and recall of the validator on a labelled set: each photo says which
// checks must fail (`fail`), which are not scored (`mayFail`: the transformation may
// legitimately disturb them) and, implicitly, that every other check must pass.
// A check's "positive" is a failure: precision = of the photos it failed, how many it should
// have failed; recall = of the photos it should have failed, how many it did.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CHECK_IDS, type CheckId } from './checks.ts';
import type { Validator } from './validator.ts';

export interface Labelled {
  file: string;
  fail: readonly CheckId[];
  mayFail?: readonly CheckId[];
}

export interface Verdicts {
  file: string;
  /** Ids of the checks that failed (a report with an error fails them all). */
  failed: readonly CheckId[];
}

export interface CheckScore {
  id: CheckId;
  /** Should fail and failed / should pass but failed / should fail but passed / should pass and passed. */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** null when the check never failed (no positive verdict to be right or wrong about). */
  precision: number | null;
  /** null when no photo of the set should fail it. */
  recall: number | null;
}

export interface AccuracyResult {
  checks: CheckScore[];
  /** Photos whose verdict differs from the label, with the checks at fault. */
  errors: { file: string; falseFailures: CheckId[]; missed: CheckId[] }[];
  /** Photos judged compliant / non-compliant correctly (overall verdict). */
  verdictAccuracy: number;
}

export function scoreAccuracy(labels: readonly Labelled[], verdicts: readonly Verdicts[]): AccuracyResult {
  const byFile = new Map(verdicts.map((v) => [v.file, v]));
  const scores = new Map<CheckId, CheckScore>(CHECK_IDS.map((id) => [id, { id, tp: 0, fp: 0, fn: 0, tn: 0, precision: null, recall: null }]));
  const errors: AccuracyResult['errors'] = [];
  let verdictsRight = 0;
  for (const label of labels) {
    const v = byFile.get(label.file);
    if (!v) throw new Error(`no verdict for ${label.file}`);
    const failed = new Set(v.failed);
    const must = new Set(label.fail);
    const ignored = new Set(label.mayFail ?? []);
    const falseFailures: CheckId[] = [];
    const missed: CheckId[] = [];
    for (const id of CHECK_IDS) {
      const s = scores.get(id)!;
      if (must.has(id)) {
        if (failed.has(id)) s.tp++;
        else {
          s.fn++;
          missed.push(id);
        }
      } else if (!ignored.has(id)) {
        if (failed.has(id)) {
          s.fp++;
          falseFailures.push(id);
        } else s.tn++;
      }
    }
    if (falseFailures.length || missed.length) errors.push({ file: label.file, falseFailures, missed });
    if ((must.size === 0) === (failed.size === 0)) verdictsRight++;
  }
  for (const s of scores.values()) {
    s.precision = s.tp + s.fp > 0 ? s.tp / (s.tp + s.fp) : null;
    s.recall = s.tp + s.fn > 0 ? s.tp / (s.tp + s.fn) : null;
  }
  return { checks: [...scores.values()], errors, verdictAccuracy: labels.length ? verdictsRight / labels.length : NaN };
}

const Manifest = z.object({
  variants: z.array(z.object({ file: z.string(), source: z.string(), transform: z.string(), fail: z.array(z.enum(CHECK_IDS)), mayFail: z.array(z.enum(CHECK_IDS)) })),
});

/** The compliant photos every check must pass (test/fixtures/faces, SOURCES.md). */
export const COMPLIANT_FACES = ['london-004.jpg', 'london-006.jpg', 'london-042.jpg', 'more/london-119.jpg', 'more/london-068.jpg', 'more/london-126.jpg'] as const;

/**
 * The labelled set of a faces folder: its compliant photos (nothing may fail) and the variants
 * of variants/manifest.json (tools/make-face-fixtures.ts), each with its path.
 */
export function labelledFaces(facesDir: string): (Labelled & { path: string })[] {
  const manifest = Manifest.parse(JSON.parse(readFileSync(join(facesDir, 'variants', 'manifest.json'), 'utf8')));
  return [
    ...COMPLIANT_FACES.map((file) => ({ file, path: join(facesDir, file), fail: [] })),
    ...manifest.variants.map((v) => ({ file: v.file, fail: v.fail, mayFail: v.mayFail, path: join(facesDir, 'variants', v.file) })),
  ];
}

/** Runs the validator on every labelled photo and scores it; `ms` are the per-photo validation times. */
export async function measureAccuracy(validator: Validator, labels: readonly (Labelled & { path: string })[]): Promise<AccuracyResult & { ms: number[] }> {
  const verdicts: Verdicts[] = [];
  const ms: number[] = [];
  for (const l of labels) {
    const r = await validator.validate(readFileSync(l.path), { file: l.file });
    ms.push(r.ms);
    verdicts.push({ file: l.file, failed: r.error ? [...CHECK_IDS] : r.checks.filter((c) => !c.pass).map((c) => c.id) });
  }
  return { ...scoreAccuracy(labels, verdicts), ms };
}
