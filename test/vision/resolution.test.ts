// The working resolution (src/vision/image.ts, docs/vision.md "Working resolution"): an image is
// decoded shrunk by the power of two that keeps its 35x45 frame at least 750 px tall, and the
// verdicts do not depend on it: every labelled fixture, re-framed as the booth's 2028x1520
// capture (analysed at 1014x760), gets the verdict it gets as the 827x1063 photo itself.
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { silentLogger } from '../../src/log.ts';
import { createValidator, type Validator, type ValidationReport } from '../../src/vision/validator.ts';
import { ANALYSIS_MIN_FRAME_PX, analysisShrink, loadImage } from '../../src/vision/image.ts';

const dir = fileURLToPath(new URL('../fixtures/faces/', import.meta.url));
const failed = (r: ValidationReport) => r.checks.filter((c) => !c.pass).map((c) => c.id);

/** The photo as the booth's camera frames it: 2028x1520, the photo at full height, the backdrop continued on both sides. */
async function boothCapture(photo: Buffer): Promise<Buffer> {
  const body = await sharp(photo).resize({ height: 1520 }).toBuffer({ resolveWithObject: true });
  const side = 2028 - body.info.width;
  return sharp(body.data).extend({ left: side >> 1, right: side - (side >> 1), extendWith: 'copy' }).jpeg({ quality: 92 }).toBuffer();
}

let validator: Validator;
t.before(async () => {
  validator = await createValidator({ logger: silentLogger() });
});
t.teardown(() => validator?.close());

t.test('the shrink keeps the photo frame at 750 px or more, and halves no further', async (t) => {
  t.equal(ANALYSIS_MIN_FRAME_PX, 750, '2 pixels per 0.12 mm sharpness limit on the 45 mm side');
  t.equal(analysisShrink(2028, 1520), 2, 'booth capture: frame 1520 → 760');
  t.equal(analysisShrink(4056, 3040), 4, 'HQ camera capture: frame 3040 → 760');
  t.equal(analysisShrink(827, 1063), 1, '600 dpi e-photo: as it is');
  t.equal(analysisShrink(640, 480), 1, 'preview frame: as it is');
  t.equal(analysisShrink(6200, 8000), 8, '50 MP: 1/8 at most');
  for (let h = 64; h <= 12000; h += 37) {
    for (const w of [Math.round(h * 0.7), Math.round((h * 35) / 45), Math.round((h * 4) / 3), 2 * h]) {
      const s = analysisShrink(w, h);
      const frame = Math.min(h, (w * 45) / 35);
      const finished = Math.abs(w / h / (35 / 45) - 1) <= 0.03;
      const f = finished ? h : frame;
      if (s > 1 && f / s < ANALYSIS_MIN_FRAME_PX) t.fail(`${w}x${h}: frame ${f} / ${s} under the minimum`);
      if (s < 8 && f / (2 * s) >= ANALYSIS_MIN_FRAME_PX) t.fail(`${w}x${h}: could shrink further than ${s}`);
    }
  }
});

t.test('a 2028x1520 capture is decoded at 1014x760 (JPEG shrink-on-load)', async (t) => {
  const capture = await boothCapture(readFileSync(dir + 'london-004.jpg'));
  const loaded = await loadImage(capture);
  t.same([loaded.width, loaded.height, loaded.originalWidth, loaded.originalHeight, loaded.scale], [1014, 760, 2028, 1520, 0.5]);
  const fixture = await loadImage(readFileSync(dir + 'london-004.jpg'));
  t.same([fixture.width, fixture.height, fixture.scale], [827, 1063, 1], 'a 600 dpi photo is analysed as it is');
});

t.test('verdicts do not depend on the resolution: each fixture as a booth capture', async (t) => {
  const files = [
    ...['london-004.jpg', 'london-006.jpg', 'london-042.jpg'],
    // Off-centre variants are left out: the booth's frame follows the face, so re-framed as a
    // capture they are centred (and show the repeated edge as backdrop). So is the two-people
    // picture, which is not a 35x45 photo.
    ...readdirSync(dir + 'variants').filter((f) => f.endsWith('.jpg') && !f.includes('offcentre') && f !== 'v-two-people.jpg').map((f) => `variants/${f}`),
  ];
  t.ok(files.length >= 30, `${files.length} photos`);
  // The checks a variant may legitimately disturb (manifest `mayFail`, e.g. background.plain
  // beside a cast shadow: a second tone on the backdrop, near its limit) may flip with the
  // resolution; every other verdict must not.
  const manifest = JSON.parse(readFileSync(dir + 'variants/manifest.json', 'utf8')) as { variants: { file: string; mayFail?: string[] }[] };
  const mayFail = new Map(manifest.variants.map((v) => [`variants/${v.file}`, new Set(v.mayFail ?? [])]));
  // Two variants are made at their check's limit on purpose, the weakest case each check must
  // still catch (docs/vision.md): a fringe ending at the lashes (hair.face reads 0.05 against
  // 0) and a thin silver frame on pale skin (its bridge ΔE 7.4 against 7.3, so the tint is
  // judged only just). A reading within its noise of the limit flips with the resolution.
  const atLimit = new Map([
    ['variants/v-london-042-fringe-eyes.jpg', 'hair.face'],
    ['variants/v-london-068-tinted.jpg', 'glasses.tint'],
  ]);
  for (const file of files) {
    const photo = readFileSync(dir + file);
    const scored = (ids: string[]) => ids.filter((id) => !mayFail.get(file)?.has(id) && atLimit.get(file) !== id);
    const own = scored(failed(await validator.validate(photo)));
    const captured = scored(failed(await validator.validate(await boothCapture(photo))));
    t.same(captured, own, `${file}: ${own.join(', ') || 'compliant'}`);
  }
});

t.test('crop of a capture: the face found at 1014x760, the e-photo cut from the full 2028x1520', async (t) => {
  const capture = await boothCapture(readFileSync(dir + 'london-042.jpg'));
  const out = await validator.crop(capture);
  const e = await sharp(out.ephoto).metadata();
  t.same([e.width, e.height, e.density], [827, 1063, 600]);
  t.ok(out.window.height >= 1063, `window ${out.window.height} px tall: cut from the full-resolution capture`);
  const r = await validator.validate(out.ephoto);
  const h = r.checks.find((c) => c.id === 'face.height');
  t.ok(Math.abs((h?.value as number) - 34) <= 1, `face height ${String(h?.value)} mm ≈ 34`);
  t.same(failed(r), [], 'the e-photo of a compliant capture is compliant');
});
