// The libcamera addon (compiled at install where libcamera's headers exist) and the frame
// conversion from camera pixel formats to RGB.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { frameToRgb, type RawFrame } from '../../src/hal/camera/frame-format.ts';
import { loadLibcameraAddon } from '../../src/hal/camera/libcamera-addon.ts';

const hasLibcamera = spawnSync('pkg-config', ['--exists', 'libcamera']).status === 0;

t.test('the addon compiles, loads and reports the cameras (none on this machine)', { skip: hasLibcamera ? false : 'libcamera-dev not installed' }, async (t) => {
  const load = loadLibcameraAddon();
  if (!load.addon) return t.fail(`addon not built although libcamera is installed: ${load.reason}`);
  const { addon } = load;
  t.match(addon.version(), /^v?\d+\.\d+\.\d+/);
  const cameras = addon.listCameras();
  t.same(cameras, [], 'no camera attached here');
  t.throws(() => new addon.CameraSession('/base/soc/i2c0mux/i2c@1/imx708@1a'), /no camera with id/);
});

t.test('the camera manager is stopped when unused and started again when needed', { skip: hasLibcamera ? false : 'libcamera-dev not installed' }, async (t) => {
  const load = loadLibcameraAddon();
  if (!load.addon) return t.fail(load.reason);
  const { addon } = load;
  // Each listing and each failed open starts the manager and stops it again (one manager per
  // process at a time in libcamera: a leaked one would make the next start fail).
  for (let i = 0; i < 3; i++) {
    t.same(addon.listCameras(), []);
    t.throws(() => new addon.CameraSession('/base/sim'), /no camera with id \/base\/sim/);
  }
  t.throws(() => new (addon.CameraSession as unknown as new () => unknown)(), /CameraSession\(id: string\)/, 'a clear error for a missing id');
});

t.test('a process that used the addon exits cleanly (the manager is stopped at exit)', { skip: hasLibcamera ? false : 'libcamera-dev not installed' }, async (t) => {
  const addonPath = new URL('../../native/libcamera/build/Release/cabine_libcamera.node', import.meta.url).pathname;
  const script = `const a = require(${JSON.stringify(addonPath)}); a.listCameras(); try { new a.CameraSession('x'); } catch {} a.listCameras(); console.log('listed');`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LIBCAMERA_LOG_LEVELS: '*:ERROR' } });
  t.equal(run.signal, null, `no crash at exit ${run.stderr}`);
  t.equal(run.status, 0);
  t.match(run.stdout, /listed/);
});

// Forward BT.601 transforms, to make frames as a camera would deliver them.
function rgbToYcc(r: number, g: number, b: number, limited: boolean): [number, number, number] {
  const y = 0.299 * r + 0.587 * g + 0.114 * b;
  const cb = (b - y) / 1.772;
  const cr = (r - y) / 1.402;
  if (!limited) return [Math.round(y), Math.round(cb + 128), Math.round(cr + 128)];
  return [Math.round(16 + (y * 219) / 255), Math.round(128 + (cb * 224) / 255), Math.round(128 + (cr * 224) / 255)];
}

// An 8x4 picture made of 2x2 blocks of one colour each (so chroma subsampling loses nothing).
const blockColours: [number, number, number][] = [
  [255, 255, 255], [0, 0, 0], [200, 30, 40], [20, 180, 60],
  [30, 60, 220], [128, 128, 128], [250, 220, 180], [90, 140, 200],
];
const width = 8;
const height = 4;
const colourAt = (x: number, y: number) => blockColours[(y >> 1) * 4 + (x >> 1)]!;

function makeYuv(format: 'YUV420' | 'NV12', limited: boolean, stride: number): RawFrame {
  const ySize = stride * height;
  const data = Buffer.alloc(format === 'YUV420' ? ySize + 2 * (stride / 2) * (height / 2) : ySize + stride * (height / 2), 0xee);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [Y, U, V] = rgbToYcc(...colourAt(x, y), limited);
      data[y * stride + x] = Y;
      if (x % 2 === 0 && y % 2 === 0) {
        if (format === 'YUV420') {
          const c = (y >> 1) * (stride / 2) + (x >> 1);
          data[ySize + c] = U;
          data[ySize + (stride / 2) * (height / 2) + c] = V;
        } else {
          data[ySize + (y >> 1) * stride + x] = U;
          data[ySize + (y >> 1) * stride + x + 1] = V;
        }
      }
    }
  }
  return { data, width, height, stride, format, colorSpace: limited ? 'SMPTE170M' : 'sYCC' };
}

function assertClose(t: Test, rgb: Buffer, tolerance: number, label: string) {
  let worst = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const expected = colourAt(x, y);
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(rgb[(y * width + x) * 3 + c]! - expected[c]!));
    }
  }
  t.ok(worst <= tolerance, `${label}: worst channel error ${worst} <= ${tolerance}`);
}

t.test('YUV420 and NV12, full and limited range, with padded strides', async (t) => {
  for (const format of ['YUV420', 'NV12'] as const) {
    for (const limited of [false, true]) {
      const rgb = frameToRgb(makeYuv(format, limited, 16));
      t.equal(rgb.length, width * height * 3);
      assertClose(t, rgb, limited ? 3 : 2, `${format} ${limited ? 'limited' : 'full'}`);
    }
  }
});

t.test('the colour space matters: limited-range data read as full range is wrong', async (t) => {
  const frame = makeYuv('YUV420', true, 8);
  const wrong = frameToRgb({ ...frame, colorSpace: 'sYCC' });
  t.ok(wrong[0]! < 245, 'white decoded as grey when the range is ignored');
});

t.test('packed RGB formats in libcamera byte order', async (t) => {
  const stride = width * 4 + 8;
  const xrgb = Buffer.alloc(stride * height);
  const xbgr = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colourAt(x, y);
      xrgb.set([b, g, r, 0], y * stride + x * 4);
      xbgr.set([r, g, b, 0], y * stride + x * 4);
    }
  }
  assertClose(t, frameToRgb({ data: xrgb, width, height, stride, format: 'XRGB8888' }), 0, 'XRGB8888');
  assertClose(t, frameToRgb({ data: xbgr, width, height, stride, format: 'XBGR8888' }), 0, 'XBGR8888');
});

t.test('truncated frames and unknown formats are clear errors', async (t) => {
  const frame = makeYuv('YUV420', false, 8);
  t.throws(() => frameToRgb({ ...frame, data: frame.data.subarray(0, 20) }), /truncated YUV420 frame/);
  t.throws(() => frameToRgb({ ...frame, format: 'SRGGB10_CSI2P' }), /unsupported camera pixel format SRGGB10_CSI2P/);
  t.throws(() => frameToRgb({ ...frame, width: 0 }), /bad frame size/);
});
