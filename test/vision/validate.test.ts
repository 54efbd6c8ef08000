// The ANTS checks on real photographs (test/fixtures/faces, SOURCES.md) through the real ONNX
// models: compliant booth-framed photos pass every check, and real transformations of them
// (blur, exposure, grayscale, rotation, small framing, two people, a real smile) fail the
// check they break. Bad input gives a clear error, never a crash.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sharp, { type Sharp } from 'sharp';
import { silentLogger } from '../../src/log.ts';
import { createValidator, type Validator, type ValidationReport } from '../../src/vision/validator.ts';
import { ImageError, loadImage } from '../../src/vision/image.ts';
import { CHECK_IDS } from '../../src/vision/checks.ts';

const dir = fileURLToPath(new URL('../fixtures/faces/', import.meta.url));
const photo = (name: string) => readFileSync(dir + name);
const COMPLIANT = ['london-004.jpg', 'london-006.jpg', 'london-042.jpg'];

let validator: Validator;
t.before(async () => {
  validator = await createValidator({ logger: silentLogger() });
});
t.teardown(() => validator?.close());

const check = (r: ValidationReport, id: string) => {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
};
const failed = (r: ValidationReport) => r.checks.filter((c) => !c.pass).map((c) => c.id);

t.test('compliant booth photos pass every check', async (t) => {
  for (const name of COMPLIANT) {
    const r = await validator.validate(photo(name), { file: name });
    t.same(failed(r), [], `${name}: no failed check`);
    t.equal(r.compliant, true, name);
    t.same(r.checks.map((c) => c.id), [...CHECK_IDS], `all ${CHECK_IDS.length} checks reported`);
    t.equal(r.file, name);
    t.type(r.ms, 'number');
  }
});

async function variant(name: string, edit: (s: Sharp) => Sharp): Promise<Buffer> {
  return edit(sharp(photo(name))).jpeg({ quality: 92 }).toBuffer();
}

/** Light multiplied by 2^ev in linear space (what an exposure change does), sRGB out. */
async function exposed(name: string, ev: number): Promise<Buffer> {
  const { data, info } = await sharp(photo(name)).raw().toBuffer({ resolveWithObject: true });
  const lut = Uint8Array.from({ length: 256 }, (_, v) => {
    const c = v / 255;
    const lin = Math.min(1, (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4) * 2 ** ev);
    return Math.round(255 * (lin <= 0.0031308 ? 12.92 * lin : 1.055 * lin ** (1 / 2.4) - 0.055));
  });
  for (let i = 0; i < data.length; i++) data[i] = lut[data[i]!]!;
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
}

t.test('each transformation fails the check it breaks', async (t) => {
  const base = 'london-004.jpg';
  const cases: [string, Promise<Buffer>, string][] = [
    ['gaussian blur σ 6', variant(base, (s) => s.blur(6)), 'sharpness'],
    ['grayscale', variant(base, (s) => s.grayscale()), 'colour'],
    ['over-exposed +2.5 EV', exposed(base, 2.5), 'exposure'],
    ['under-exposed −4 EV', exposed(base, -4), 'exposure'],
    ['rolled 20°', variant(base, (s) => s.rotate(20, { background: '#c8c8c8' })), 'head.pose'],
    ['framed too wide (customer too far)', variant(base, (s) => s.extend({ top: 300, bottom: 300, left: 233, right: 233, extendWith: 'copy' })), 'face.height'],
  ];
  for (const [what, bytes, id] of cases) {
    const r = await validator.validate(await bytes);
    const c = check(r, id);
    t.equal(c.pass, false, `${what}: ${id} fails (value ${JSON.stringify(c.value)})`);
    t.ok(c.hint?.fr && c.hint.en, `${what}: hint in French and English`);
    t.equal(r.compliant, false);
  }
});

t.test('a real smile fails mouth.closed and expression.neutral', async (t) => {
  const r = await validator.validate(photo('variants/london-010-smiling.jpg'));
  t.equal(check(r, 'mouth.closed').pass, false, 'teeth show');
  t.equal(check(r, 'expression.neutral').pass, false, 'smile');
  t.equal(check(r, 'mouth.closed').hint?.key, 'mouth.close');
});

t.test('two people fail face.count', async (t) => {
  const a = await sharp(photo('london-004.jpg')).resize({ height: 700 }).toBuffer();
  const b = await sharp(photo('london-042.jpg')).resize({ height: 700 }).toBuffer();
  const ma = await sharp(a).metadata();
  const two = await sharp({ create: { width: 2 * (ma.width ?? 0), height: 700, channels: 3, background: '#c8c8c8' } })
    .composite([{ input: a, left: 0, top: 0 }, { input: b, left: ma.width ?? 0, top: 0 }])
    .jpeg()
    .toBuffer();
  const r = await validator.validate(two);
  t.equal(check(r, 'face.count').value, 2);
  t.equal(check(r, 'face.count').pass, false);
});

t.test('no face: face.count 0 and every face check fails with a hint', async (t) => {
  const r = await validator.validate(photo('no-face-coffee.png'));
  t.equal(check(r, 'face.count').value, 0);
  t.equal(r.compliant, false);
  t.same(r.checks.filter((c) => c.pass).map((c) => c.id), [], 'nothing passes without a face');
  t.equal(check(r, 'face.height').hint?.key, 'face.none');
});

t.test('bad input: a clear error or a verdict, never a crash', async (t) => {
  const good = photo('london-004.jpg');
  const unreadable: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['garbage', Buffer.from('this is not an image at all')],
    ['truncated JPEG', good.subarray(0, Math.floor(good.length / 3))],
  ];
  for (const [what, bytes] of unreadable) {
    const r = await validator.validate(bytes);
    t.equal(r.compliant, false, what);
    t.match(r.error, /empty|not an image|corrupt|truncated/, `${what}: ${r.error}`);
    t.same(r.checks, []);
  }
  await t.rejects(loadImage(Buffer.from('nope')), ImageError);

  // Formats that must give a verdict: gray, CMYK, alpha PNG, 16-bit PNG, EXIF-rotated.
  const gray = await sharp(good).grayscale().jpeg().toBuffer();
  t.equal(check(await validator.validate(gray), 'colour').pass, false, 'grayscale JPEG: colour fails');
  const cmyk = await sharp(good).toColourspace('cmyk').jpeg().toBuffer();
  t.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  t.equal((await validator.validate(cmyk)).checks.length, CHECK_IDS.length, 'CMYK JPEG analysed');
  const alpha = await sharp(good).ensureAlpha(0.5).png().toBuffer();
  t.equal(check(await validator.validate(alpha), 'face.count').value, 1, 'PNG with alpha analysed');
  const deep = await sharp(good).png().toColourspace('rgb16').toBuffer();
  t.equal(check(await validator.validate(deep), 'face.count').value, 1, '16-bit PNG analysed');
  // Stored sideways with EXIF orientation 6 (rotate 90° CW to display): must read upright.
  const sideways = await sharp(good).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  const loaded = await loadImage(sideways);
  const meta = await sharp(good).metadata();
  t.equal(loaded.originalWidth, meta.width, 'EXIF rotation applied');
  t.same(failed(await validator.validate(sideways)), [], 'EXIF-rotated compliant photo stays compliant');
});

t.test('a 50-megapixel photo is shrunk while decoding, memory bounded', async (t) => {
  const big = await sharp(photo('london-004.jpg')).resize({ width: 6200, height: 8000, fit: 'fill' }).jpeg({ quality: 80 }).toBuffer();
  const before = process.memoryUsage().rss;
  const loaded = await loadImage(big);
  t.same([loaded.width, loaded.height], [775, 1000], 'decoded at 1/8: the working resolution keeps ≥ 750 px on the 45 mm side');
  t.equal(loaded.scale, 775 / 6200);
  t.equal(loaded.originalWidth, 6200);
  const grown = (process.memoryUsage().rss - before) / 1e6;
  t.ok(grown < 400, `RSS grew ${grown.toFixed(0)} MB decoding 50 MP (a full decode would be 150 MB of RGB)`);
  const r = await validator.validate(big);
  t.same(failed(r), [], 'and it is still compliant');
  const huge = await sharp({ create: { width: 12000, height: 11000, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  await t.rejects(loadImage(huge), /too large/);
});

t.test('crop: 35x45 mm at 600 dpi and 300 dpi, face at 34 mm, levelled', async (t) => {
  const rolled = await variant('london-004.jpg', (s) => s.rotate(6, { background: '#c8c8c8' }).resize({ width: 1000 }));
  const out = await validator.crop(rolled);
  const e = await sharp(out.ephoto).metadata();
  const p = await sharp(out.print).metadata();
  t.same([e.width, e.height, e.density, e.format], [827, 1063, 600, 'jpeg']);
  t.same([p.width, p.height, p.density], [413, 531, 300]);
  t.ok(Math.abs(out.window.rotationDeg + 6) < 2.5, `rotation ${out.window.rotationDeg.toFixed(1)}° undoes the 6° roll`);
  const r = await validator.validate(out.ephoto);
  const h = check(r, 'face.height');
  t.ok(Math.abs((h.value as number) - 34) <= 1, `face height ${String(h.value)} mm ≈ 34`);
  t.ok(Math.abs((check(r, 'head.pose').value as { rollDeg: number }).rollDeg) < 2.5, 'eye line level');
  await t.rejects(validator.crop(photo('no-face-coffee.png')), /no face/);
});

t.test('guidance: one hint at a time, hold still then ready on a compliant pose', async (t) => {
  const frameOf = async (buf: Buffer) => {
    const { data, info } = await sharp(buf).resize({ width: 640, height: 480, fit: 'contain', background: '#c8c8c8' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { data, w: info.width, h: info.height };
  };
  const g = validator.guidance({ stableFrames: 3 });
  const ok = await frameOf(photo('london-004.jpg'));
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await g.analyseFrame(ok.data, ok.w, ok.h));
  t.same(results.map((r) => r.ready), [false, false, true], 'ready on the 3rd passing frame');
  t.equal(results[0]!.hint?.key, 'guidance.hold');
  const far = await frameOf(await variant('london-004.jpg', (s) => s.extend({ top: 500, bottom: 500, left: 400, right: 400, extendWith: 'copy' })));
  const r = await g.analyseFrame(far.data, far.w, far.h);
  t.equal(r.ready, false);
  t.equal(r.hint?.key, 'face.closer', 'the first failing check speaks');
  await t.rejects(g.analyseFrame(Buffer.alloc(10), 640, 480), /not 640x480/);
});
