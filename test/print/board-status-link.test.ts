// The board's status link (config printer.statusUrl): printed below the instructions for an
// e-photo board, inside the panel (the layout check throws on overflow), with the QR code still
// reading back as the code; absent without the key. The key accepts only an https:// URL.
import t from 'tap';
import sharp from 'sharp';
import { validateConfig } from '../../src/config/load.ts';
import { renderBoard, statusLink } from '../../src/print/board.ts';
import { generateCode } from '../../src/codes/code.ts';
import { analyseBoard, markerPhoto } from './analyse.ts';

const code = generateCode('9PMT');
const expires = new Date('2027-06-01T00:00:00Z');
// The board prints its issue time to the minute: boards compared pixel for pixel share one.
const issuedAt = new Date('2026-12-01T10:00:00Z');

t.test('the link is the base URL and the code', async (t) => {
  t.equal(statusLink('https://ephoto.example.fr/status/', code), `https://ephoto.example.fr/status/${code}`);
  t.equal(statusLink('https://ephoto.example.fr/status', code), `https://ephoto.example.fr/status/${code}`);
});

t.test('a board with the status link: fits the panel, the QR code still reads, ink where the link is', async (t) => {
  const photo = await markerPhoto();
  const plain = await renderBoard({ photo, code, expires, boothId: 'PARIS-03', issuedAt });
  const linked = await renderBoard({ photo, code, expires, boothId: 'PARIS-03', issuedAt, statusUrl: 'https://ephoto.example.fr/status/' });
  t.equal((await analyseBoard(linked.png)).qr, code, 'QR code intact');
  const [a, b] = await Promise.all([sharp(plain.png).raw().toBuffer(), sharp(linked.png).raw().toBuffer()]);
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  t.ok(differing > 500, `the link adds ink (${differing} bytes differ)`);
  const noCode = await renderBoard({ photo, boothId: 'PARIS-03', issuedAt, statusUrl: 'https://ephoto.example.fr/status/' });
  const plainNoCode = await renderBoard({ photo, boothId: 'PARIS-03', issuedAt });
  t.ok((await sharp(noCode.png).raw().toBuffer()).equals(await sharp(plainNoCode.png).raw().toBuffer()), 'no code, no link');
});

t.test('printer.statusUrl accepts https only', async (t) => {
  t.equal(validateConfig({ printer: { statusUrl: 'https://ephoto.example.fr/status' } }).printer.statusUrl, 'https://ephoto.example.fr/status');
  for (const bad of ['http://ephoto.example.fr/status', 'javascript:alert(1)', 'https://a b', 'https://x"<y>']) t.throws(() => validateConfig({ printer: { statusUrl: bad } }), bad);
});
