// The 35x45 frame of an image, on literal cases: a finished photo (35:45 within 3 %), a 4:3
// booth capture framed on the face (clamped to the image), a tall image placed with the crown
// 3 mm under the top edge (PHOTO.crownMarginMm), and the same without a face (centred).
import t, { type Test } from 'tap';
import { photoFrame, type PhotoFrame } from '../../src/vision/frame.ts';

const close = (t: Test, got: PhotoFrame, want: PhotoFrame, what: string) => {
  const keys = ['x', 'y', 'width', 'height', 'mmPerPx'] as const;
  const off = keys.filter((k) => Math.abs(got[k] - want[k]) > 1e-6);
  t.same(off, [], `${what}: ${JSON.stringify(got)}`);
  t.equal(got.finished, want.finished, `${what}: finished`);
};
const head = (cx: number, crownY: number, chinY: number) => ({ crown: [cx, crownY] as [number, number], chin: [cx, chinY] as [number, number], centre: [cx, (crownY + chinY) / 2] as [number, number] });

t.test('a finished photo is the whole image; 35:45 within 3 %', async (t) => {
  close(t, photoFrame(700, 900), { x: 0, y: 0, width: 700, height: 900, mmPerPx: 0.05, finished: true }, '700x900');
  close(t, photoFrame(720, 900, head(100, 10, 500)), { x: 0, y: 0, width: 720, height: 900, mmPerPx: 0.05, finished: true }, '720x900 (2.86 % wide)');
  close(t, photoFrame(680, 900), { x: 0, y: 0, width: 680, height: 900, mmPerPx: 0.05, finished: true }, '680x900 (2.86 % narrow)');
  t.equal(photoFrame(725, 900).finished, false, '725x900 (3.6 % wide) is not a finished photo');
  t.equal(photoFrame(675, 900).finished, false, '675x900 (3.6 % narrow) is not a finished photo');
});

t.test('a 4:3 capture: the tallest 35:45 window, centred on the face, clamped to the image', async (t) => {
  const w = 3000 * (35 / 45);
  close(t, photoFrame(4000, 3000, head(1500, 500, 2000)), { x: 1500 - w / 2, y: 0, width: w, height: 3000, mmPerPx: 45 / 3000, finished: false }, 'face at 1500');
  close(t, photoFrame(4000, 3000, head(100, 500, 2000)), { x: 0, y: 0, width: w, height: 3000, mmPerPx: 45 / 3000, finished: false }, 'face at the left edge');
  close(t, photoFrame(4000, 3000, head(3900, 500, 2000)), { x: 4000 - w, y: 0, width: w, height: 3000, mmPerPx: 45 / 3000, finished: false }, 'face at the right edge');
  close(t, photoFrame(4000, 3000), { x: 2000 - w / 2, y: 0, width: w, height: 3000, mmPerPx: 45 / 3000, finished: false }, 'no face: centred');
});

t.test('a tall image: the crown 3 mm under the top edge, clamped; centred without a face', async (t) => {
  const h = 1000 / (35 / 45);
  const margin = (3 * h) / 45;
  close(t, photoFrame(1000, 2000, head(500, 400, 900)), { x: 0, y: 400 - margin, width: 1000, height: h, mmPerPx: 45 / h, finished: false }, 'crown at 400');
  close(t, photoFrame(1000, 2000, head(500, 900, 400)), { x: 0, y: 400 - margin, width: 1000, height: h, mmPerPx: 45 / h, finished: false }, 'upside down: the higher point is the crown');
  close(t, photoFrame(1000, 2000, head(500, 20, 600)), { x: 0, y: 0, width: 1000, height: h, mmPerPx: 45 / h, finished: false }, 'crown near the top: clamped at 0');
  close(t, photoFrame(1000, 2000, head(500, 1950, 1990)), { x: 0, y: 2000 - h, width: 1000, height: h, mmPerPx: 45 / h, finished: false }, 'crown near the bottom: clamped');
  close(t, photoFrame(1000, 2000), { x: 0, y: (2000 - h) / 2, width: 1000, height: h, mmPerPx: 45 / h, finished: false }, 'no face: centred');
});
