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
