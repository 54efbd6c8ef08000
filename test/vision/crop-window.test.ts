// The levelled 35x45 window (crop.ts, levelledWindow): the pixels the e-photo is resampled from
// and the booth's verdict is read on. Where the window reaches past the capture (a sitter close
// to an edge, a levelled tilt), the capture's edge is repeated — never a black wedge of no
// picture — and the window says which pixels were photographed (`captured`), so the backdrop
// checks judge only those. Literal cases, no models.
import t from 'tap';
import { levelledWindow } from '../../src/vision/crop.ts';

/** A w x h capture whose pixel (x, y) is (x mod 256, y mod 256, 128). */
function gradient(w: number, h: number) {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x % 256, y % 256, 128], (y * w + x) * 3);
  return { data, width: w, height: h };
}

t.test('inside the capture and unrotated: the window is exactly the pixels it covers', async (t) => {
  const img = gradient(200, 100);
  const win = levelledWindow(img, { x: 30, y: 20, width: 35, height: 45, rotationDeg: 0 });
  t.equal(win.width, 35);
  t.equal(win.height, 45);
  t.same([...win.data.subarray(0, 3)], [30, 20, 128], 'top-left pixel = capture (30, 20)');
  const o = (44 * 35 + 34) * 3;
  t.same([...win.data.subarray(o, o + 3)], [64, 64, 128], 'bottom-right pixel = capture (64, 64)');
  t.same(win.captured, [[-30, -20], [170, -20], [170, 80], [-30, 80]], 'the capture outline in window pixels');
});

t.test('a window reaching past the capture repeats its edge: no black pixel, and the outline says where', async (t) => {
  const img = { data: Buffer.alloc(100 * 80 * 3, 200), width: 100, height: 80 };
  // Rotated by 10° and hanging 20 px past the bottom and the right.
  const win = levelledWindow(img, { x: 60, y: 40, width: 60, height: 60, rotationDeg: 10 });
  let black = 0;
  for (let i = 0; i < win.data.length; i++) if (win.data[i]! < 150) black++;
  t.equal(black, 0, 'every pixel repeats the (light) capture');
  const inside = (p: [number, number]) => {
    const q = win.captured;
    let sign = 0;
    for (let i = 0; i < 4; i++) {
      const a = q[i]!;
      const b = q[(i + 1) % 4]!;
      const s = Math.sign((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]));
      if (s && sign && s !== sign) return false;
      sign ||= s;
    }
    return true;
  };
  t.ok(inside([0, 0]), 'the window top-left was photographed');
  t.notOk(inside([59, 59]), 'its bottom-right corner lies beyond the capture');
});

t.test('rotation follows the levelling: a window rotated by 90° reads the capture turned a quarter', async (t) => {
  const img = gradient(40, 20);
  // sharp.rotate(90) of a 40x20 image is 20x40; its pixel (u, v) is the capture's (v, 19 − u).
  const win = levelledWindow(img, { x: 0, y: 0, width: 20, height: 40, rotationDeg: 90 });
  const at = (u: number, v: number) => [...win.data.subarray((v * 20 + u) * 3, (v * 20 + u) * 3 + 2)];
  t.same(at(0, 0), [0, 19]);
  t.same(at(19, 0), [0, 0]);
  t.same(at(5, 30), [30, 14]);
});
