// Accuracy on real, licensed portrait sets (src/vision/real-sets.ts for the labels format; the
// sets stay out of the repository, docs/vision.md says where to get them and how to label them).
// Each photo is treated as a booth capture (`validateCapture`: cropped to 35x45 as the booth
// does, that photo validated, faces counted on the whole capture), or validated as it is with
// --plain. Prints the acceptance of compliant portraits (overall and per group), the false
// rejections per check with file names, the catches per fault with the misses, and timings.
// Run: node --import tsx bench/vision-real.ts --labels DIR/labels.csv [--split report|derive|all]
//        [--plain] [--filter REGEX] [--values OUT.jsonl] [--json]
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { silentLogger } from '../src/log.ts';
import sharp from 'sharp';
import { CHECK_IDS, PREVIEW_CHECKS, type CheckId } from '../src/vision/checks.ts';
import { readLabels, scoreRealSet } from '../src/vision/real-sets.ts';
import { createValidator, type ValidationReport } from '../src/vision/validator.ts';

const { values: args } = parseArgs({
  options: {
    labels: { type: 'string' },
    split: { type: 'string', default: 'report' },
    plain: { type: 'boolean', default: false },
    values: { type: 'string' },
    json: { type: 'boolean', default: false },
    /** Only the photos whose file matches this regular expression. */
    filter: { type: 'string' },
  },
});
if (!args.labels) throw new Error('--labels FILE is required (docs/vision.md, "Accuracy on real portraits")');
if (!['report', 'derive', 'all'].includes(args.split!)) throw new Error('--split must be report, derive or all');
const photos = readLabels(args.labels).filter((p) => (args.split === 'all' || p.split === args.split) && (!args.filter || new RegExp(args.filter).test(p.file)));

const validator = await createValidator({ logger: silentLogger() });
// Agreement of live guidance with the verdict: each photo shown once as a 640x480 preview frame
// (letterboxed), a fresh guidance with the detector on that frame; "hold still" there while the
// verdict fails one of the preview checks is a disagreement (the customer told to hold a pose
// the verdict then rejects).
const agreement = { holdStill: 0, holdStillButRejected: [] as string[], previewMs: [] as number[] };
const failed = new Map<string, CheckId[]>();
const reports: ValidationReport[] = [];
const ms: number[] = [];
for (const p of photos) {
  const bytes = await readFile(p.path);
  const r = args.plain ? await validator.validate(bytes, { file: p.file }) : await validator.validateCapture(bytes, { file: p.file });
  ms.push(r.ms);
  reports.push(r);
  const frame = await sharp(bytes).resize({ width: 640, height: 480, fit: 'contain', background: { r: 0, g: 0, b: 0 } }).removeAlpha().raw().toBuffer();
  const t0 = performance.now();
  const live = await validator.guidance({ stableFrames: 1, detectEvery: 1 }).analyseFrame(frame, 640, 480);
  agreement.previewMs.push(performance.now() - t0);
  if (live.failing === null) {
    agreement.holdStill++;
    const rejected = r.checks.filter((c) => !c.pass && PREVIEW_CHECKS.includes(c.id)).map((c) => c.id);
    if (rejected.length) agreement.holdStillButRejected.push(`${p.file} (${rejected.join(', ')})`);
  }
  failed.set(p.file, r.error ? [...CHECK_IDS] : r.checks.filter((c) => !c.pass).map((c) => c.id));
}
await validator.close();
if (args.values) await writeFile(args.values, reports.map((r, i) => JSON.stringify({ file: r.file, group: photos[i]!.group, faults: photos[i]!.faults.map((f) => f.fault), checks: Object.fromEntries(r.checks.map((c) => [c.id, { pass: c.pass, value: c.value }])) })).join('\n') + '\n');

const score = scoreRealSet(photos, failed);
ms.sort((a, b) => a - b);
const median = ms.length ? ms[Math.floor(ms.length / 2)]! : NaN;
if (args.json) {
  console.log(JSON.stringify({ labels: args.labels, split: args.split, mode: args.plain ? 'plain' : 'capture', photos: photos.length, medianMs: median, agreement, ...score }, null, 2));
} else {
  const pct = (a: number, n: number) => (n ? `${((100 * a) / n).toFixed(1)} %` : '-');
  const c = score.compliant;
  console.log(`${args.labels} (split ${args.split}, ${args.plain ? 'plain validation' : 'as booth captures'}): ${photos.length} photos`);
  console.log(`compliant accepted: ${c.accepted}/${c.total} (${pct(c.accepted, c.total)})`);
  for (const [g, s] of Object.entries(c.byGroup).sort()) console.log(`  group ${g.padEnd(18)} ${String(s.accepted).padStart(4)}/${String(s.total).padEnd(4)} ${pct(s.accepted, s.total)}`);
  console.log('false rejections per check (of the compliant photos):');
  for (const id of CHECK_IDS) {
    const files = score.falseRejections[id];
    if (files?.length) console.log(`  ${id.padEnd(22)} ${String(files.length).padStart(3)} (${pct(files.length, c.total)}): ${files.join(' ')}`);
  }
  console.log('faults caught on a check that names them:');
  for (const [fault, s] of Object.entries(score.faults).sort()) {
    console.log(`  ${fault.padEnd(22)} ${s.caught}/${s.total} (${pct(s.caught, s.total)})`);
    for (const m of s.missed) console.log(`      missed ${m.file} (failed: ${m.failed.join(', ') || 'nothing'})`);
  }
  agreement.previewMs.sort((a, b) => a - b);
  console.log(`live guidance said "hold still" on ${agreement.holdStill} photos; the verdict then rejected a preview check on ${agreement.holdStillButRejected.length}${agreement.holdStillButRejected.length ? `: ${agreement.holdStillButRejected.join(' ')}` : ''}`);
  console.log(`preview frame (640x480, detector) median ${Math.round(agreement.previewMs[Math.floor(agreement.previewMs.length / 2)] ?? NaN)} ms`);
  console.log(`${args.plain ? 'validate' : 'validateCapture'} median ${median} ms per photo (load: ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`);
}
