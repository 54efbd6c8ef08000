// The face-model runtime API on real photographs and on real transformations of them
// (rotation, mirroring, two faces side by side), and its errors on bad input.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { buildModels } from '../../src/vision/models/build.ts';
import { loadFaceModels, faceAnalyser, decodeImage, FACE_LANDMARKS as L, type RgbImage, type FaceModels, type Point } from '../../src/vision/models/index.ts';

const fixtures = new URL('../fixtures/faces/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'cabine-models-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
buildModels({ outDir: dir });
const models: FaceModels = await loadFaceModels(dir);
t.teardown(() => models.close());
const astronaut = await decodeImage(join(fixtures, 'astronaut.png'));
const coffee = await decodeImage(join(fixtures, 'no-face-coffee.png'));

async function fromSharp(s: Sharp): Promise<RgbImage> {
  return decodeImage(await s.png().toBuffer());
}

const deg = (r: number): number => (r * 180) / Math.PI;
const dist = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);

t.test('a portrait: one face, landmarks where a face has them', async (t) => {
  const faces = await models.findFaces(astronaut);
  t.equal(faces.length, 1, 'exactly one face');
  const { detection: d, landmarks: lm } = faces[0]!;
  t.ok(d.score > 0.7 && lm.score > 0.9, `confident (detector ${d.score.toFixed(2)}, mesh ${lm.score.toFixed(2)})`);
  t.equal(lm.points.length, 468);
  t.ok(d.keypoints.rightEye.x < d.keypoints.leftEye.x, "the subject's right eye is on the image's left");
  const p = (i: number) => lm.points[i]!;
  t.ok(p(L.foreheadTop).y < p(L.betweenEyes).y && p(L.betweenEyes).y < p(L.noseTip).y && p(L.noseTip).y < p(L.upperLipInner).y && p(L.upperLipInner).y < p(L.chin).y, 'forehead, eyes, nose, mouth, chin from top to bottom');
  t.ok(p(L.rightEyeOuter).x < p(L.rightEyeInner).x && p(L.rightEyeInner).x < p(L.leftEyeInner).x && p(L.leftEyeInner).x < p(L.leftEyeOuter).x, 'eye corners from image left to right');
  t.ok(p(L.noseTip).z < p(L.rightCheek).z, 'the nose tip is nearer the camera than the cheeks (z negative towards the camera)');
  t.ok(Math.abs(deg(lm.roll)) < 5, `head level (roll ${deg(lm.roll).toFixed(1)} deg)`);
  // the detector box and the mesh agree on where the face is
  const c = { x: lm.box.x + lm.box.width / 2, y: lm.box.y + lm.box.height / 2 };
  t.ok(c.x > d.box.x && c.x < d.box.x + d.box.width && c.y > d.box.y && c.y < d.box.y + d.box.height, 'mesh centre inside the detection box');

  const tracked = await models.landmarks(astronaut, lm);
  const drift = Math.max(...lm.points.map((q, i) => dist(q, tracked.points[i]!)));
  t.ok(drift < 0.05 * lm.box.height, `tracking from the previous landmarks stays on the face (max drift ${drift.toFixed(1)} px)`);

  const iris = await models.iris(astronaut, lm);
  for (const [side, outer, inner] of [['right', L.rightEyeOuter, L.rightEyeInner], ['left', L.leftEyeOuter, L.leftEyeInner]] as const) {
    const e = iris[side];
    const o = p(outer);
    const i = p(inner);
    const width = dist(o, i);
    t.ok(e.centre.x > Math.min(o.x, i.x) && e.centre.x < Math.max(o.x, i.x), `${side} iris centre between the eye corners`);
    t.ok(e.radius > 0.12 * width && e.radius < 0.35 * width, `${side} iris radius ${e.radius.toFixed(1)} px plausible for an eye ${width.toFixed(1)} px wide`);
    t.ok(dist(e.boundary[0]!, i) < dist(e.boundary[2]!, i), `${side} iris boundary starts on the inner side`);
    t.ok(e.boundary[1]!.y < e.centre.y && e.boundary[3]!.y > e.centre.y, `${side} iris boundary: top then bottom`);
    t.ok(dist(e.eye[0]!, o) < 0.2 * width, `${side} eye contour starts at the outer corner`);
  }

  const expr = await models.expression(astronaut, lm);
  const sum = Object.values(expr).reduce((a, b) => a + b, 0);
  t.ok(Math.abs(sum - 1) < 1e-3, 'expression scores are probabilities');
  t.ok(expr.happy > 0.5, `the smiling astronaut reads as happy (${expr.happy.toFixed(2)})`);

  const mask = await models.segment(astronaut);
  t.same([mask.width, mask.height, mask.data.length], [512, 512, 512 * 512]);
  const at = (q: Point) => mask.data[Math.floor(q.y) * mask.width + Math.floor(q.x)]!;
  t.ok(at(p(L.noseTip)) > 200, 'the face is person');
  t.ok(at({ x: 5, y: 5 }) < 50 && at({ x: 506, y: 5 }) < 50, 'the top corners are background');
  const small = await models.segment(astronaut, { width: 64, height: 48 });
  t.same([small.width, small.height, small.data.length], [64, 48, 64 * 48], 'a mask at a requested size');
});

t.test('a photo with no face: the detector may fire, FaceMesh rejects it', async (t) => {
  t.equal((await models.findFaces(coffee)).length, 0, 'no face in a cup of coffee');
  const mask = await models.segment(coffee);
  const person = mask.data.filter((v) => v > 127).length / mask.data.length;
  t.ok(person < 0.5, `mostly background (${(person * 100).toFixed(0)} % person)`);
});

t.test('real transformations move the landmarks with the face', async (t) => {
  const base = (await models.findFaces(astronaut))[0]!.landmarks;
  // rotated 15 degrees clockwise: the eye line tilts by +15 degrees
  const rotated = await fromSharp(sharp(astronaut.data, { raw: { width: 512, height: 512, channels: 3 } }).rotate(15, { background: '#808080' }));
  const r = await models.findFaces(rotated);
  t.equal(r.length, 1);
  t.ok(Math.abs(deg(r[0]!.landmarks.roll - base.roll) - 15) < 3, `roll follows the rotation (${deg(r[0]!.landmarks.roll).toFixed(1)} deg)`);
  // mirrored: still one face, the eyes swap image sides but stay subject-right on the left
  const mirrored = await fromSharp(sharp(astronaut.data, { raw: { width: 512, height: 512, channels: 3 } }).flop());
  const m = (await models.findFaces(mirrored))[0]!.landmarks;
  t.ok(Math.abs(m.points[L.noseTip]!.x - (512 - base.points[L.noseTip]!.x)) < 4, 'the nose tip mirrors');
  t.ok(m.points[L.rightEyeOuter]!.x < m.points[L.leftEyeOuter]!.x, 'right eye still on the image left');
  // two people side by side
  const two = await fromSharp(sharp({ create: { width: 1024, height: 512, channels: 3, background: '#808080' } })
    .composite([
      { input: astronaut.data as Buffer, raw: { width: 512, height: 512, channels: 3 }, left: 0, top: 0 },
      { input: astronaut.data as Buffer, raw: { width: 512, height: 512, channels: 3 }, left: 512, top: 0 },
    ]));
  const pair = await models.findFaces(two);
  t.equal(pair.length, 2, 'two faces');
  const xs = pair.map((f) => f.landmarks.points[L.noseTip]!.x).sort((a, b) => a - b);
  t.ok(Math.abs(xs[1]! - xs[0]! - 512) < 6, 'one face per half');
  // a bigger image of the same scene: same landmarks in scaled coordinates
  const big = await fromSharp(sharp(astronaut.data, { raw: { width: 512, height: 512, channels: 3 } }).resize(1536, 1536));
  const b = (await models.findFaces(big))[0]!.landmarks;
  const err = Math.max(...[L.chin, L.noseTip, L.foreheadTop, L.rightEyeOuter, L.leftEyeOuter].map((i) => dist({ x: b.points[i]!.x / 3, y: b.points[i]!.y / 3 }, base.points[i]!)));
  t.ok(err < 3, `coordinates are image pixels at any resolution (max error ${err.toFixed(1)} px at 512)`);
});

t.test('the FaceAnalyser adapter gives vision/ its analysis contract', async (t) => {
  const analyser = faceAnalyser(models);
  const a = await analyser.analyse({ width: astronaut.width, height: astronaut.height, data: Buffer.from(astronaut.data) });
  t.equal(a.faces.length, 1);
  const f = a.faces[0]!;
  t.equal(f.landmarks.length, 468);
  t.ok(f.irises && f.irises.right.centre[0] < f.irises.left.centre[0], 'irises: subject right on the image left');
  t.ok((f.emotion?.happy ?? 0) > 0.5);
  t.same([a.segmentation?.width, a.segmentation?.height], [512, 512]);
  const bare = await analyser.analyse({ width: coffee.width, height: coffee.height, data: Buffer.from(coffee.data) }, { segmentation: false });
  t.same(bare.faces, []);
  t.equal(bare.segmentation, undefined);
});

t.test('bad input: clear errors', async (t) => {
  await t.rejects(models.detectFaces({ width: 10, height: 10, data: new Uint8Array(5) }), /image data holds 5 bytes/);
  await t.rejects(decodeImage(Buffer.from('not an image at all')), /cannot decode image/);
  const png = readFileSync(join(fixtures, 'astronaut.png'));
  await t.rejects(decodeImage(png.subarray(0, png.length / 2)), /cannot decode image/, 'truncated PNG');
  await t.rejects(decodeImage(png, { maxPixels: 1000 }), /larger than 1000 pixels/);
  const grey = await decodeImage(await sharp(png).greyscale().jpeg().toBuffer());
  t.same([grey.width, grey.height, grey.data.length], [512, 512, 512 * 512 * 3], 'grayscale decodes to RGB');
  const cmyk = await decodeImage(await sharp(png).toColourspace('cmyk').jpeg().toBuffer());
  t.equal(cmyk.data.length, 512 * 512 * 3, 'CMYK decodes to RGB');
  const rotated = await decodeImage(await sharp(png).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  t.equal((await models.findFaces(rotated)).length, 1, 'EXIF orientation applied: the face is found upright');

  const empty = mkdtempSync(join(tmpdir(), 'cabine-nomodels-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  await t.rejects(loadFaceModels(empty), /blazeface\.onnx is missing: run "npm run models"/);
  buildModels({ outDir: empty });
  writeFileSync(join(empty, 'iris.onnx'), Buffer.alloc(100));
  await t.rejects(loadFaceModels(empty), /iris\.onnx does not match/);
});
