// Per-check precision and recall of `validate` on the labelled face fixtures: the compliant
// photos (every check must pass) and the variants of test/fixtures/faces/variants/manifest.json
// (made by tools/make-face-fixtures.ts). Prints a table, or JSON with --json.
// Run: node --import tsx bench/vision-accuracy.ts [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { silentLogger } from '../src/log.ts';
import { scoreAccuracy, type Labelled, type Verdicts } from '../src/vision/accuracy.ts';
import { CHECK_IDS } from '../src/vision/checks.ts';
import { createValidator } from '../src/vision/validator.ts';

const FACES = fileURLToPath(new URL('../test/fixtures/faces/', import.meta.url));
const checkId = z.enum(CHECK_IDS);
const Manifest = z.object({
  variants: z.array(z.object({ file: z.string(), source: z.string(), transform: z.string(), fail: z.array(checkId), mayFail: z.array(checkId) })),
});
const manifest = Manifest.parse(JSON.parse(readFileSync(join(FACES, 'variants', 'manifest.json'), 'utf8')));
const labels: (Labelled & { path: string })[] = [
  ...['london-004.jpg', 'london-006.jpg', 'london-042.jpg'].map((file) => ({ file, path: join(FACES, file), fail: [] })),
  ...manifest.variants.map((v) => ({ ...v, path: join(FACES, 'variants', v.file) })),
];

const validator = await createValidator({ logger: silentLogger() });
const verdicts: Verdicts[] = [];
const ms: number[] = [];
for (const l of labels) {
  const r = await validator.validate(readFileSync(l.path), { file: l.file });
  ms.push(r.ms);
  verdicts.push({ file: l.file, failed: r.error ? [...CHECK_IDS] : r.checks.filter((c) => !c.pass).map((c) => c.id) });
}
await validator.close();
const result = scoreAccuracy(labels, verdicts);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ photos: labels.length, ...result }, null, 2));
} else {
  const pct = (v: number | null) => (v === null ? '   -' : `${Math.round(v * 100)}%`.padStart(4));
  console.log(`${labels.length} photos (${manifest.variants.length} variants), overall verdict right on ${Math.round(result.verdictAccuracy * 100)}%`);
  console.log('check                  prec  rec   tp fp fn  tn');
  for (const s of result.checks) console.log(`${s.id.padEnd(22)} ${pct(s.precision)} ${pct(s.recall)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(2)} ${String(s.fn).padStart(2)} ${String(s.tn).padStart(3)}`);
  for (const e of result.errors) console.log(`  ${e.file}: ${e.falseFailures.length ? `failed ${e.falseFailures.join(', ')} ` : ''}${e.missed.length ? `missed ${e.missed.join(', ')}` : ''}`);
  ms.sort((a, b) => a - b);
  console.log(`validate median ${ms[Math.floor(ms.length / 2)]} ms per photo`);
}
