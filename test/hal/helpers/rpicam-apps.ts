// Stand-in rpicam-apps on PATH that behave like the real ones where it matters: one process at
// a time holds the camera (a second one fails "busy"), the preview process lets go of it a moment
// after SIGTERM, rpicam-vid writes video-range YUV420 (top half black, bottom half white),
// rpicam-still writes a STILL_SIZE JPEG. Files in `dir` script them: `vid-crashes` (the first N
// previews crash after 3 frames), `still-failures` (the first N stills fail); `log` records runs.
import type { Test } from 'tap';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PREVIEW_HEIGHT, PREVIEW_WIDTH } from '../../../src/hal/camera/interface.ts';

/** The size of the JPEG rpicam-still writes. */
export const STILL_SIZE = { width: 64, height: 48 } as const;

/** Puts the stand-in apps on PATH (restored, and the folder removed, at `t`'s teardown). */
export async function installRpicamApps(t: Test) {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-rpicam-'));
  const jpegFile = join(dir, 'still.jpg');
  writeFileSync(jpegFile, await sharp({ create: { width: STILL_SIZE.width, height: STILL_SIZE.height, channels: 3, background: '#808080' } }).jpeg().toBuffer());

  const common = `#!${process.execPath}
const fs = require('fs'), path = require('path');
const dir = ${JSON.stringify(dir)};
const lock = path.join(dir, 'camera.lock');
const log = (line) => fs.appendFileSync(path.join(dir, 'log'), Date.now() + ' ' + line + '\\n');
const count = (name) => { const f = path.join(dir, name); const n = (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0) + 1; fs.writeFileSync(f, String(n)); return n; };
const setting = (name) => { const f = path.join(dir, name); return fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0; };
`;
  writeFileSync(join(dir, 'rpicam-vid'), `${common}
if (fs.existsSync(lock)) { process.stderr.write('ERROR: failed to acquire camera: busy\\n'); process.exit(1); }
fs.writeFileSync(lock, String(process.pid));
const launch = count('vid-launches');
log('vid-start ' + launch);
const crashAfter = launch <= setting('vid-crashes') ? 3 : Infinity;
const w = ${PREVIEW_WIDTH}, h = ${PREVIEW_HEIGHT};
// Video range: top half black (Y 16), bottom half white (Y 235), neutral chroma; one red row block.
const frame = Buffer.alloc(w * h * 1.5, 128);
frame.fill(16, 0, w * h / 2); frame.fill(235, w * h / 2, w * h);
let sent = 0;
const timer = setInterval(() => {
  if (sent++ >= crashAfter) { clearInterval(timer); fs.rmSync(lock); log('vid-crash'); process.exit(1); }
  process.stdout.write(frame);
}, 40);
process.on('SIGTERM', () => { clearInterval(timer); setTimeout(() => { fs.rmSync(lock, { force: true }); log('vid-exit'); process.exit(0); }, 300); });
`);
  writeFileSync(join(dir, 'rpicam-still'), `${common}
const args = process.argv.slice(2);
if (args.includes('--list-cameras')) { process.stdout.write('Available cameras\\n-----------------\\n0 : imx708 [4608x2592 10-bit RGGB] (/base/soc/i2c0mux/i2c@1/imx708@1a)\\n'); process.exit(0); }
if (fs.existsSync(lock)) { log('still-busy'); process.stderr.write('ERROR: *** failed to acquire camera /base/soc/i2c0mux/i2c@1/imx708@1a ***\\n'); process.exit(255); }
log('still-start ' + args.join(' '));
if (count('still-runs') <= setting('still-failures')) { process.stderr.write('ERROR: *** failed to start camera ***\\n'); process.exit(255); }
process.stdout.write(fs.readFileSync(${JSON.stringify(jpegFile)}), () => process.exit(0));
`);
  chmodSync(join(dir, 'rpicam-vid'), 0o755);
  chmodSync(join(dir, 'rpicam-still'), 0o755);
  const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` };
  const savedPath = process.env.PATH;
  process.env.PATH = env.PATH;
  t.teardown(() => {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  });

  const logLines = () => (existsSync(join(dir, 'log')) ? readFileSync(join(dir, 'log'), 'utf8').trim().split('\n') : []);
  /** Sets a script file (`vid-crashes`, `still-failures`). */
  const set = (name: string, value: number) => writeFileSync(join(dir, name), String(value));
  /** Forgets the runs so far; then sets these script files. */
  const reset = (settings: Record<string, number> = {}) => {
    for (const f of ['log', 'vid-launches', 'still-runs', 'vid-crashes', 'still-failures', 'camera.lock']) rmSync(join(dir, f), { force: true });
    for (const [k, v] of Object.entries(settings)) set(k, v);
  };
  return { dir, env, logLines, reset, set, apps: { still: 'rpicam-still', vid: 'rpicam-vid' } };
}
