// The booth's verdict (`validateCapture`, what the session and `cabine validate --capture` run):
// the capture is cropped to 35x45 as the booth does and that photo is validated, the faces being
// counted on the whole capture. Through the real ONNX models on the face fixtures.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { boothCapture, CAPTURE } from '../../bench/vision-capture.ts';
import { silentLogger } from '../../src/log.ts';
import { CHECK_IDS } from '../../src/vision/checks.ts';
import { createValidator, type Validator } from '../../src/vision/validator.ts';

const dir = fileURLToPath(new URL('../fixtures/faces/', import.meta.url));

let validator: Validator;
t.before(async () => {
  validator = await createValidator({ logger: silentLogger() });
});
t.teardown(() => validator?.close());

t.test('a compliant sitter in a 2028x1520 capture: compliant, every check in the report, the crop at 34 mm', async (t) => {
  const capture = await boothCapture('london-006.jpg');
  const r = await validator.validateCapture(capture, { file: 'capture.jpg' });
  t.same(r.checks.map((c) => c.id), [...CHECK_IDS], 'same report shape as validate');
  t.equal(r.file, 'capture.jpg');
  t.equal(r.compliant, true, `failed: ${r.checks.filter((c) => !c.pass).map((c) => c.id).join(', ')}`);
  const height = r.checks.find((c) => c.id === 'face.height')!.value as number;
  // The crop puts the face at 34 mm by the capture's landmarks; FaceMesh re-run on the cropped
  // photo reads it within about a millimetre of that.
  t.ok(Math.abs(height - 34) < 1.5, `the photo is the booth's crop: face ${height} mm (34 mm)`);
});

t.test('a sitter too far for plain validation is cropped to 34 mm by the booth, so the verdict passes face.height', async (t) => {
  const small = readFileSync(dir + 'variants/v-london-004-small.jpg');
  const plain = await validator.validate(small);
  t.equal(plain.checks.find((c) => c.id === 'face.height')!.pass, false, 'plain validation: too small');
  const booth = await validator.validateCapture(small);
  t.equal(booth.checks.find((c) => c.id === 'face.height')!.pass, true, 'as a capture: cropped to the sitter');
});

t.test('a second person beside the sitter counts even when the crop leaves them out', async (t) => {
  // Two sitters side by side in one wide capture: the 35x45 crop around the larger holds one face.
  const [a, b] = await Promise.all(['london-004.jpg', 'london-042.jpg'].map((f) => sharp(readFileSync(dir + f)).resize({ height: CAPTURE.height }).toBuffer()));
  const wa = (await sharp(a!).metadata()).width!;
  const wb = (await sharp(b!).metadata()).width!;
  const wide = await sharp({ create: { width: wa + wb + 400, height: CAPTURE.height, channels: 3, background: { r: 200, g: 200, b: 200 } } })
    .composite([{ input: a!, left: 0, top: 0 }, { input: b!, left: wa + 400, top: 0 }])
    .jpeg({ quality: 92 })
    .toBuffer();
  const crop = await validator.crop(wide);
  const inCrop = await validator.validate(crop.ephoto);
  t.equal(inCrop.checks.find((c) => c.id === 'face.count')!.value, 1, 'the delivered photo shows one face');
  const r = await validator.validateCapture(wide);
  const count = r.checks.find((c) => c.id === 'face.count')!;
  t.equal(count.value, 2, 'two people in the capture');
  t.equal(count.pass, false);
  t.equal(count.hint?.key, 'face.several');
  t.equal(r.compliant, false);
});

t.test('an unreadable capture gives the same clear error as validate', async (t) => {
  const r = await validator.validateCapture(Buffer.from('not an image'), { file: 'x.jpg' });
  t.equal(r.compliant, false);
  t.same(r.checks, []);
  t.match(r.error, /./);
});

t.test('a tilted sitter framed tight: the delivered photo repeats the backdrop past the capture (no black corner) and its backdrop passes', async (t) => {
  // Tilted 4° (the crop levels it) and cut close: the 35x45 window reaches past the top and the sides.
  const tilted = await sharp(readFileSync(dir + 'london-004.jpg')).rotate(4, { background: { r: 200, g: 200, b: 200 } }).toBuffer({ resolveWithObject: true });
  const { width: w, height: h } = tilted.info;
  const tight = await sharp(tilted.data)
    .extract({ left: Math.round(w * 0.1), top: Math.round(h * 0.08), width: Math.round(w * 0.8), height: Math.round(h * 0.8) })
    .jpeg({ quality: 92 })
    .toBuffer();
  const crop = await validator.crop(tight);
  t.ok(crop.window.x < 0 && crop.window.y < 0, 'the window reaches past the capture');
  const { data, info } = await sharp(crop.print).raw().toBuffer({ resolveWithObject: true });
  for (const [x, y] of [[0, 0], [info.width - 5, 0], [0, info.height - 5], [info.width - 5, info.height - 5]] as const) {
    let sum = 0;
    for (let dy = 0; dy < 5; dy++) for (let dx = 0; dx < 5; dx++) for (let c = 0; c < 3; c++) sum += data[((y + dy) * info.width + x + dx) * 3 + c]!;
    t.ok(sum / 75 > 60, `corner (${x}, ${y}) is picture, mean ${Math.round(sum / 75)}`);
  }
  const r = await validator.validateCapture(tight);
  for (const id of ['background.plain', 'background.light', 'shadow.background'] as const) {
    const c = r.checks.find((k) => k.id === id)!;
    t.equal(c.pass, true, `${id} ${JSON.stringify(c.value)}`);
  }
});
