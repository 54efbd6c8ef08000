// The geometric limits from both sides on real photographs (test/fixtures/faces, SOURCES.md)
// through the real ONNX models: a real compliant photo is transformed just inside and well
// outside each limit, with literal targets tied to the standard (docs/vision.md):
// - face 32-36 mm chin to crown (official sheet): rescaled about the eyes to 35 mm (passes) and
//   38 mm (fails, "move back");
// - eye line 50-70 % of the height (ISO/IEC 19794-5): moved to 65 % (passes) and 75 % (fails,
//   "sit lower");
// - yaw (ISO/IEC 19794-5 ±5° ⊕ the measured spread, limits.ts): the head re-rendered turned by 3° (passes) and by 11° either way
//   (fails, told which way to turn). No stored photo shows a slightly turned head, so the turn
//   is made from the real mesh (test/vision/turn-head.ts).
// The photo's own measurement is read first, and each transformation is computed from it, so
// the targets are the literals above whatever the fixture measures.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { CheckResult } from '../../src/vision/checks.ts';
import { HINTS } from '../../src/vision/hints.ts';
import type { ValidationReport } from '../../src/vision/validator.ts';
import { turnHead } from './turn-head.ts';
import { realModels } from './real-models.ts';

const dir = fileURLToPath(new URL('../fixtures/faces/', import.meta.url));
const photo = (name: string) => readFileSync(dir + name);

const models = realModels(t);

const check = (r: ValidationReport, id: string): CheckResult => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c as CheckResult;
};
const jpeg = (data: Buffer, width: number, height: number) => sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();

interface Measured {
  width: number;
  height: number;
  faceMm: number;
  eyeLinePct: number;
  offsetPct: number;
}
async function measure(buf: Buffer): Promise<Measured> {
  const meta = await sharp(buf).metadata();
  const r = await models.validator.validate(buf);
  const centre = check(r, 'face.centre').value as { offsetPct: number; eyeLinePct: number };
  return { width: meta.width!, height: meta.height!, faceMm: check(r, 'face.height').value as number, ...centre };
}

/** The photo enlarged by `scale` about the eyes (they stay in place), cropped to its size. */
async function rescaled(buf: Buffer, m: Measured, scale: number): Promise<Buffer> {
  const ex = m.width * (0.5 + m.offsetPct / 100);
  const ey = m.height * (1 - m.eyeLinePct / 100);
  const [w, h] = [Math.round(m.width * scale), Math.round(m.height * scale)];
  return sharp(buf)
    .resize(w, h, { fit: 'fill' })
    .extract({ left: Math.round(ex * scale - ex), top: Math.round(ey * scale - ey), width: m.width, height: m.height })
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** The photo moved up so the eye line sits at `pct` % from the bottom; the bottom row repeated. */
async function eyeLineAt(buf: Buffer, m: Measured, pct: number): Promise<Buffer> {
  const shift = Math.round(((pct - m.eyeLinePct) / 100) * m.height);
  if (shift <= 0) throw new Error('only upward moves');
  return sharp(buf)
    .extract({ left: 0, top: shift, width: m.width, height: m.height - shift })
    .extend({ bottom: shift, extendWith: 'copy' })
    .jpeg({ quality: 92 })
    .toBuffer();
}

t.test('face height (sheet: 32-36 mm): a real photo at 35 mm passes, at 38 mm fails', async (t) => {
  const buf = photo('london-004.jpg');
  const m = await measure(buf);
  t.ok(m.faceMm >= 32 && m.faceMm <= 36, `the fixture is compliant (${m.faceMm} mm)`);
  const inside = await models.validator.validate(await rescaled(buf, m, 35 / m.faceMm));
  const h35 = check(inside, 'face.height');
  t.ok(Math.abs((h35.value as number) - 35) < 0.5, `rescaled to 35 mm reads ${String(h35.value)} mm`);
  t.equal(h35.pass, true, '35 mm passes');
  const outside = await models.validator.validate(await rescaled(buf, m, 38 / m.faceMm));
  const h38 = check(outside, 'face.height');
  t.ok(Math.abs((h38.value as number) - 38) < 0.5, `rescaled to 38 mm reads ${String(h38.value)} mm`);
  t.equal(h38.pass, false, '38 mm fails');
  t.same(h38.hint, HINTS.back);
  t.equal(check(outside, 'face.centre').pass, true, 'and only the size is wrong: the eyes stayed in place');
});

t.test('eye line (ISO/IEC 19794-5: 50-70 % from the bottom): a real photo at 65 % passes, at 75 % fails', async (t) => {
  const buf = photo('london-004.jpg');
  const m = await measure(buf);
  const inside = check(await models.validator.validate(await eyeLineAt(buf, m, 65)), 'face.centre');
  const at65 = (inside.value as { eyeLinePct: number }).eyeLinePct;
  t.ok(Math.abs(at65 - 65) < 1, `moved to 65 % reads ${at65} %`);
  t.equal(inside.pass, true, '65 % passes');
  const outside = check(await models.validator.validate(await eyeLineAt(buf, m, 75)), 'face.centre');
  const at75 = (outside.value as { eyeLinePct: number }).eyeLinePct;
  t.ok(Math.abs(at75 - 75) < 1, `moved to 75 % reads ${at75} %`);
  t.equal(outside.pass, false, '75 % fails');
  t.same(outside.hint, HINTS.seatDown);
});

t.test('yaw (ISO/IEC 19794-5 ±5° ⊕ measured spread): a real head turned by 3° passes, by 11° either way fails', async (t) => {
  // london-006 reads nearest to frontal of the fixtures (under 1°).
  const buf = photo('london-006.jpg');
  const { data, info } = await sharp(buf).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = { data, width: info.width, height: info.height };
  const face = (await models.analyser.analyse(image)).faces[0];
  if (!face) throw new Error('no face in the fixture');
  const yawOf = (r: ValidationReport) => (check(r, 'head.pose').value as { yawDeg: number }).yawDeg;
  const original = yawOf(await models.validator.validate(buf));
  t.ok(Math.abs(original) < 2, `the fixture faces the camera (${original}°)`);
  const turned = async (deg: number) => {
    const out = turnHead(image, face, deg).image;
    return models.validator.validate(await jpeg(out.data, out.width, out.height));
  };
  const small = await turned(3);
  t.equal(check(small, 'head.pose').pass, true, `turned 3° reads ${yawOf(small)}°: passes`);
  for (const [deg, hint] of [
    [11, HINTS.turnRight],
    [-11, HINTS.turnLeft],
  ] as const) {
    const r = await turned(deg);
    const read = yawOf(r) - original;
    // The re-render turns the face, not the outer hair and ears (held by the anchors), so the
    // model reads about three quarters of the commanded turn.
    t.ok(Math.sign(read) === Math.sign(deg) && Math.abs(read) >= 7 && Math.abs(read) <= 14, `turned ${deg}°: the model reads ${read.toFixed(2)}° of turn`);
    t.equal(check(r, 'head.pose').pass, false, `turned ${deg}° fails`);
    t.same(check(r, 'head.pose').hint, hint);
  }
});
