// Head-pose spread on level heads: runs the real models on every photo of a folder of portraits
// whose sitters face the camera with the head level (e.g. the London Set's neutral-front
// portraits, debruine/webmorphR.stim inst/neutral_front/*_03.jpg), and prints the distribution
// of |yaw|, |pitch| and |roll| as headPose (src/vision/geometry.ts) reads them. On level heads
// every degree read is the estimator's between-person error (face shape read as pose), so the
// tolerance the booth applies is the standard's real tilt plus a high percentile of it
// (docs/vision.md, "Head pose tolerance"; the derivation of LIMITS.pitchMaxDeg in limits.ts).
// Run: node --import tsx bench/vision-pose-spread.ts DIR [--json]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadFaceAnalyser } from '../src/vision/models/index.ts';
import { loadImage } from '../src/vision/image.ts';
import { headPose } from '../src/vision/geometry.ts';
import { LIMITS } from '../src/vision/limits.ts';
import { percentiles } from '../src/vision/photometry.ts';

const dir = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!dir) {
  console.error('usage: node --import tsx bench/vision-pose-spread.ts DIR [--json]');
  process.exit(2);
}
const files = readdirSync(dir)
  .filter((f) => /\.(jpe?g|png)$/i.test(f) && !f.startsWith('.'))
  .sort();
const analyser = await loadFaceAnalyser();
const rows: { file: string; yawDeg: number; pitchDeg: number; rollDeg: number }[] = [];
const skipped: string[] = [];
for (const file of files) {
  try {
    const image = await loadImage(readFileSync(path.join(dir, file)));
    const a = await analyser.analyse(image, { emotion: false, segmentation: false, irises: false, maxFaces: 1 });
    const face = a.faces[0];
    if (!face) {
      skipped.push(`${file}: no face`);
      continue;
    }
    rows.push({ file, ...headPose(face) });
  } catch (err) {
    skipped.push(`${file}: ${(err as Error).message}`);
  }
}
await analyser.close();
if (rows.length === 0) {
  console.error(`no face measured in ${dir}`);
  process.exit(1);
}

const QS = [0.5, 0.75, 0.9, 0.95] as const;
const round = (v: number) => Math.round(v * 10) / 10;
const axes = [
  ['yaw', 'yawDeg', LIMITS.yawMaxDeg.value],
  ['pitch', 'pitchDeg', LIMITS.pitchMaxDeg.value],
  ['roll', 'rollDeg', LIMITS.rollMaxDeg.value],
] as const;
// The standard's own tolerances of real tilt (ISO/IEC 19794-5 frontal pose): the booth adds the
// estimator's error to these, it does not change them.
const STANDARD = { yaw: 5, pitch: 5, roll: 8 } as const;
const summary = Object.fromEntries(
  axes.map(([name, key, limit]) => {
    const signed = Float64Array.from(rows, (r) => r[key]);
    const abs = Float64Array.from(rows, (r) => Math.abs(r[key]));
    const [p50, p75, p90, p95] = percentiles(abs, QS);
    const [s5, s25, s50, s75, s95] = percentiles(signed, [0.05, 0.25, 0.5, 0.75, 0.95]);
    const std = STANDARD[name];
    return [
      name,
      {
        signed: { p5: round(s5!), p25: round(s25!), median: round(s50!), p75: round(s75!), p95: round(s95!) },
        abs: { p50: round(p50!), p75: round(p75!), p90: round(p90!), p95: round(p95!), max: round(Math.max(...abs)) },
        beyondStandard: abs.filter((v) => v > std).length,
        standardDeg: std,
        // The standard's tilt + the 95th percentile of the error on level heads, rounded up to a whole degree.
        derivedLimitDeg: std + Math.ceil(p95!),
        currentLimitDeg: limit,
        beyondCurrentLimit: abs.filter((v) => v > limit).length,
      },
    ];
  }),
);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ dir, photos: rows.length, skipped, pose: summary, rows }, null, 2));
} else {
  console.log(`${rows.length} level portraits measured in ${dir}${skipped.length ? ` (${skipped.length} skipped: ${skipped.join('; ')})` : ''}`);
  console.log('axis   median(signed)  |x| p50  p75  p90  p95  max   >standard  derived limit (std + ceil p95)  current limit (beyond)');
  for (const [name, s] of Object.entries(summary)) {
    console.log(
      `${name.padEnd(6)} ${String(s.signed.median).padStart(14)}  ${[s.abs.p50, s.abs.p75, s.abs.p90, s.abs.p95, s.abs.max].map((v) => String(v).padStart(4)).join(' ')}   ${`${s.beyondStandard} (±${s.standardDeg}°)`.padEnd(10)} ±${s.derivedLimitDeg}°`.padEnd(105) + `±${s.currentLimitDeg}° (${s.beyondCurrentLimit})`,
    );
  }
}
