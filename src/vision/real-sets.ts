// Real portrait sets for the accuracy bench (bench/vision-real.ts): a labels file names each
// photo, what it is (compliant, or the fault it shows and the checks that name that fault), the
// group it belongs to (e.g. self-reported ethnicity, for per-group acceptance) and its split
// ("derive": limits may be derived from it; "report": figures are reported on it). The photos
// themselves stay out of the repository (licensed public sets fetched to a data folder).
//
// CSV, one row per (photo, fault), header `file,fault,checks,group,split`:
//   neutral_front/001_03.jpg,compliant,,white,report
//   smiling_front/001_08.jpg,smile,expression.neutral|mouth.closed,white,report
// `file` is relative to the labels file's folder; `checks` lists the check ids any of which,
// failing, catches the fault, or is `-` for a rule of the sheet no check covers yet (the photo
// is not compliant, and the fault is counted, never caught: the gap shows in the figures);
// a photo with several faults has several rows.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { CHECK_IDS, type CheckId } from './checks.ts';

export const SPLITS = ['derive', 'report'] as const;
export type Split = (typeof SPLITS)[number];

const Row = z.object({
  file: z.string().min(1),
  fault: z.string().regex(/^[a-z][a-z0-9.-]*$/, 'fault: lower-case words joined by - or .'),
  checks: z.array(z.enum(CHECK_IDS)),
  group: z.string(),
  split: z.enum(SPLITS),
});

export interface LabelledPhoto {
  /** As written in the labels file, and its absolute path. */
  file: string;
  path: string;
  /** Empty: compliant. Otherwise each fault with the checks that name it. */
  faults: { fault: string; checks: CheckId[] }[];
  group: string;
  split: Split;
}

export function parseLabels(text: string, root: string): LabelledPhoto[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
  const header = lines.shift();
  if (header?.trim() !== 'file,fault,checks,group,split') throw new Error('labels: the header must be "file,fault,checks,group,split"');
  const byFile = new Map<string, LabelledPhoto>();
  lines.forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== 5) throw new Error(`labels line ${i + 2}: 5 comma-separated cells expected, got ${cells.length}`);
    const [file, fault, checks, group, split] = cells.map((c) => c.trim()) as [string, string, string, string, string];
    const parsed = Row.safeParse({ file, fault, checks: checks && checks !== '-' ? checks.split('|') : [], group, split });
    if (!parsed.success) throw new Error(`labels line ${i + 2}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    const row = parsed.data;
    if (row.fault !== 'compliant' && row.checks.length === 0 && checks !== '-') throw new Error(`labels line ${i + 2}: fault "${row.fault}" names no check (write - for a rule no check covers yet)`);
    if (checks === '-' && row.fault === 'compliant') throw new Error(`labels line ${i + 2}: "-" is for a fault no check covers, not for a compliant photo`);
    const photo = byFile.get(row.file) ?? { file: row.file, path: resolve(root, row.file), faults: [], group: row.group, split: row.split };
    if (row.fault !== 'compliant') photo.faults.push({ fault: row.fault, checks: row.checks });
    byFile.set(row.file, photo);
  });
  return [...byFile.values()];
}

export function readLabels(file: string): LabelledPhoto[] {
  return parseLabels(readFileSync(file, 'utf8'), dirname(resolve(file)));
}

export interface RealSetScore {
  compliant: { total: number; accepted: number; byGroup: Record<string, { total: number; accepted: number }> };
  /** Per check: the compliant photos it rejected. */
  falseRejections: Partial<Record<CheckId, string[]>>;
  /** Per fault: how many photos show it, how many were caught on a check naming it, the misses. */
  faults: Record<string, { total: number; caught: number; missed: { file: string; failed: CheckId[] }[] }>;
}

/** Scores verdicts (the failed check ids of each photo) against the labels. */
export function scoreRealSet(photos: readonly LabelledPhoto[], failedByFile: ReadonlyMap<string, readonly CheckId[]>): RealSetScore {
  const score: RealSetScore = { compliant: { total: 0, accepted: 0, byGroup: {} }, falseRejections: {}, faults: {} };
  for (const p of photos) {
    const failed = failedByFile.get(p.file);
    if (!failed) throw new Error(`no verdict for ${p.file}`);
    if (p.faults.length === 0) {
      const g = (score.compliant.byGroup[p.group || '-'] ??= { total: 0, accepted: 0 });
      score.compliant.total++;
      g.total++;
      if (failed.length === 0) {
        score.compliant.accepted++;
        g.accepted++;
      }
      for (const id of failed) (score.falseRejections[id] ??= []).push(p.file);
      continue;
    }
    for (const f of p.faults) {
      const s = (score.faults[f.fault] ??= { total: 0, caught: 0, missed: [] });
      s.total++;
      if (f.checks.some((id) => failed.includes(id))) s.caught++;
      else s.missed.push({ file: p.file, failed: [...failed] });
    }
  }
  return score;
}
