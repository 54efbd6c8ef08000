#!/usr/bin/env node
// Install step: builds the optional libcamera addon (native/libcamera) when libcamera's
// development files are present. It never fails the install: without libcamera the booth
// falls back to rpicam-still/rpicam-vid or to the simulated camera (docs/deploy.md).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const addonDir = join(here, 'libcamera');

if (process.env.CABINE_SKIP_NATIVE === '1') {
  console.log('cabine: CABINE_SKIP_NATIVE=1, libcamera addon not built');
  process.exit(0);
}
const probe = spawnSync('pkg-config', ['--exists', 'libcamera']);
if (probe.error || probe.status !== 0) {
  console.log('cabine: libcamera development files not found (pkg-config libcamera); camera addon not built');
  process.exit(0);
}
// node-gyp is a pinned dependency (package.json, exact version, in the lock file): the build
// never downloads an unpinned tool at install time (no `npx --yes node-gyp`).
let gypBin;
try {
  gypBin = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  console.log('cabine: node-gyp (a dependency) is not installed; camera addon not built');
  process.exit(0);
}
const result = spawnSync(process.execPath, [gypBin, 'rebuild', '--directory', addonDir], { stdio: 'inherit' });
if (result.status !== 0) {
  console.log('cabine: the libcamera addon failed to build; the booth will use rpicam-apps or the simulator');
}
process.exit(0);
