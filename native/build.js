#!/usr/bin/env node
// Install step: builds the optional libcamera addon (native/libcamera) when libcamera's
// development files are present. It never fails the install: without libcamera the booth
// falls back to rpicam-still/rpicam-vid or to the simulated camera (docs/deploy.md).
import { spawnSync } from 'node:child_process';
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
// npm puts its bundled node-gyp on PATH for lifecycle scripts; fall back to npx outside npm.
const gyp = spawnSync('node-gyp', ['rebuild', '--directory', addonDir], { stdio: 'inherit' });
const result = gyp.error ? spawnSync('npx', ['--yes', 'node-gyp', 'rebuild', '--directory', addonDir], { stdio: 'inherit' }) : gyp;
if (result.status !== 0) {
  console.log('cabine: the libcamera addon failed to build; the booth will use rpicam-apps or the simulator');
}
process.exit(0);
