// Per-check precision and recall of `validate` on the labelled face fixtures: the compliant
// photos (every check must pass) and the variants of test/fixtures/faces/variants/manifest.json
// (made by tools/make-face-fixtures.ts). Prints a table, or JSON with --json.
// Run: node --import tsx bench/vision-accuracy.ts [--json]
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/log.ts';
import { COMPLIANT_FACES, labelledFaces, measureAccuracy } from '../src/vision/accuracy.ts';
import { createValidator } from '../src/vision/validator.ts';

const FACES = fileURLToPath(new URL('../test/fixtures/faces/', import.meta.url));
const labels = labelledFaces(FACES);
const variants = labels.length - COMPLIANT_FACES.length;

const validator = await createValidator({ logger: silentLogger() });
const { ms, ...result } = await measureAccuracy(validator, labels);
await validator.close();

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ photos: labels.length, ...result }, null, 2));
} else {
  const pct = (v: number | null) => (v === null ? '   -' : `${Math.round(v * 100)}%`.padStart(4));
  console.log(`${labels.length} photos (${variants} variants), overall verdict right on ${Math.round(result.verdictAccuracy * 100)}%`);
  console.log('check                  prec  rec   tp fp fn  tn');
  for (const s of result.checks) console.log(`${s.id.padEnd(22)} ${pct(s.precision)} ${pct(s.recall)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(2)} ${String(s.fn).padStart(2)} ${String(s.tn).padStart(3)}`);
  for (const e of result.errors) console.log(`  ${e.file}: ${e.falseFailures.length ? `failed ${e.falseFailures.join(', ')} ` : ''}${e.missed.length ? `missed ${e.missed.join(', ')}` : ''}`);
  ms.sort((a, b) => a - b);
  console.log(`validate median ${ms[Math.floor(ms.length / 2)]} ms per photo`);
}
