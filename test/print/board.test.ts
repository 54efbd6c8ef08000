import t from 'tap';
import sharp from 'sharp';
import { PDFDocument } from 'pdf-lib';
import { BOARD_HEIGHT, BOARD_WIDTH, PHOTO_HEIGHT, PHOTO_WIDTH, boardCode, groupsOfFour, renderBoard } from '../../src/print/board.ts';
import { prepareDocument } from '../../src/print/document.ts';
import { analyseBoard, markerPhoto } from './analyse.ts';
import { syntheticPortrait } from './portrait.ts';

const CODE = '9CABG8TN2345679ABCDEFG';
const expires = new Date('2027-05-23T10:00:00Z');

t.test('a board is 1800x1200 at 300 dpi, four photos of exactly 35x45 mm, a QR that reads the code', async (t) => {
  const board = await renderBoard({ photo: await markerPhoto(), code: CODE, expires, boothId: 'PARIS-03' });
  t.equal(PHOTO_WIDTH, 413);
  t.equal(PHOTO_HEIGHT, 531);
  const a = await analyseBoard(board.png);
  t.equal(a.width, BOARD_WIDTH);
  t.equal(a.height, BOARD_HEIGHT);
  t.equal(a.density, 300);
  t.equal(a.qr, CODE);
  t.equal(a.regions.length, 4, 'four copies');
  for (const r of a.regions) t.same({ w: r.width, h: r.height, full: r.pixels === r.width * r.height }, { w: 413, h: 531, full: true }, '35x45 mm at 300 dpi, uncut');
  t.same(a.regions.map(({ left, top, width, height }) => ({ left, top, width, height })), board.photos);
});

t.test('any photo size or orientation is scaled and centre-cropped to exactly 35x45 mm', async (t) => {
  for (const [w, h] of [[2592, 1944], [480, 600], [1063, 827]] as const) {
    const board = await renderBoard({ photo: await markerPhoto(w, h), code: CODE, expires, boothId: 'B1' });
    const a = await analyseBoard(board.png);
    t.same(a.regions.map((r) => [r.width, r.height]), [[413, 531], [413, 531], [413, 531], [413, 531]], `${w}x${h}`);
  }
});

t.test('bad input gives a clear error', async (t) => {
  const photo = await syntheticPortrait();
  await t.rejects(renderBoard({ photo: Buffer.from('not an image at all'), code: CODE, expires, boothId: 'B1' }), /photo is not a readable image/);
  const jpeg = await syntheticPortrait();
  await t.rejects(renderBoard({ photo: jpeg.subarray(0, 400), code: CODE, expires, boothId: 'B1' }), /photo (is not a readable image|cannot be decoded)/);
  await t.rejects(renderBoard({ photo: await markerPhoto(120, 150), code: CODE, expires, boothId: 'B1' }), /too small to print 35x45 mm/);
  await t.rejects(renderBoard({ photo, code: '9CAB-G8TN', expires, boothId: 'B1' }), /not an e-photo code/);
  await t.rejects(renderBoard({ photo, code: CODE.replace('G', 'O'), expires, boothId: 'B1' }), /not an e-photo code/);
  await t.rejects(renderBoard({ photo, code: CODE, boothId: 'B1' }), /expiry/);
  await t.rejects(renderBoard({ photo, code: CODE, expires, boothId: 'a b' }), /booth id/);
});

t.test('code normalisation and grouping', async (t) => {
  t.equal(boardCode('9cab-g8tn 2345 679a bcde fg'), CODE);
  t.same(groupsOfFour(CODE), ['9CAB', 'G8TN', '2345', '679A', 'BCDE', 'FG']);
});

t.test('a photo-only board has no QR', async (t) => {
  const board = await renderBoard({ photo: await markerPhoto(), boothId: 'B1' });
  const a = await analyseBoard(board.png);
  t.equal(a.qr, null);
  t.equal(a.regions.length, 4);
  t.equal(board.qr, undefined);
});

t.test('printer formats: JPEG and a 6x4 in PDF page when PNG is not accepted', async (t) => {
  const board = await renderBoard({ photo: await markerPhoto(), code: CODE, expires, boothId: 'B1' });
  const state = { state: 'idle' as const, reasons: [], acceptingJobs: true, media: { supported: ['na_index-4x6_4x6in'], ready: [] }, scaling: ['auto', 'none'], checkedAt: '' };
  const png = await prepareDocument(board.png, { ...state, formats: ['image/png', 'image/jpeg'] });
  t.match(png, { format: 'image/png', media: 'na_index-4x6_4x6in', scaling: 'none' });
  const jpeg = await prepareDocument(board.png, { ...state, formats: ['image/jpeg'] });
  const jm = await sharp(jpeg.data).metadata();
  t.same([jm.format, jm.width, jm.height, jm.density], ['jpeg', 1800, 1200, 300]);
  const pdf = await prepareDocument(board.png, { ...state, formats: ['application/pdf'] });
  t.equal(pdf.format, 'application/pdf');
  const doc = await PDFDocument.load(pdf.data);
  t.same([doc.getPageCount(), doc.getPage(0).getWidth(), doc.getPage(0).getHeight()], [1, 432, 288], 'one 6x4 in page');
});
