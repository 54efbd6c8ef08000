// The 10x15 cm board a customer takes home: four copies of the photo at exact print size
// (35x45 mm = 413x531 px at 300 dpi) with cut marks, and for an e-photo the "ePhoto"
// mention, the code in large monospaced groups of four, its QR code, the expiry date, the
// booth id and how to use the code (FR/EN). Composed with sharp (libvips; text by Pango from
// the DejaVu TTF files shipped in the npm package dejavu-fonts-ttf, so the board looks the
// same on every booth whatever fonts the system has).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import QRCode from 'qrcode';
import sharp, { type Metadata, type OverlayOptions } from 'sharp';

export const DPI = 300;
/** 6x4 in = 152.4 x 101.6 mm, the "10x15" photo sheet of dye-sublimation printers. */
export const BOARD_WIDTH = 1800;
export const BOARD_HEIGHT = 1200;

/** px at 300 dpi for a length in millimetres. */
export function mmToPx(mm: number): number {
  return Math.round((mm / 25.4) * DPI);
}

export const PHOTO_WIDTH = mmToPx(35); // 413
export const PHOTO_HEIGHT = mmToPx(45); // 531

/** A photo smaller than half the print resolution (150 dpi) would print visibly blurred. */
const MIN_PHOTO_WIDTH = Math.ceil(PHOTO_WIDTH / 2);
const MIN_PHOTO_HEIGHT = Math.ceil(PHOTO_HEIGHT / 2);

/** Code alphabet (DESIGN.md): digits and capitals without O, I, L, S. */
const CODE_RE = /^[0-9ABCDEFGHJKMNPQRTUVWXYZ]{22}$/;

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface BoardInput {
  /** The accepted photo (JPEG, PNG...), scaled and centre-cropped to exactly 35x45 mm. */
  photo: Buffer;
  /** The e-photo code (22 characters; spaces/dashes ignored); absent for a plain photo board. */
  code?: string;
  /** Expiry of the code (required with a code). */
  expires?: Date;
  boothId: string;
  /** When the board is issued (default now). */
  issuedAt?: Date;
  /** Replaces the subtitle, e.g. for a printer test page whose code is not a real one. */
  banner?: string;
  /** The operator's public status page (config printer.statusUrl): printed as `<url>/<code>`. */
  statusUrl?: string;
}

/** The status link printed for a code: the base URL (one trailing slash) followed by the code. */
export function statusLink(base: string, code: string): string {
  return `${base.replace(/\/+$/, '')}/${code}`;
}

export interface Board {
  png: Buffer;
  width: number;
  height: number;
  dpi: number;
  /** Where each photo copy is, in board pixels. */
  photos: Rect[];
  qr?: Rect;
}

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONTS = {
  sans: join(FONT_DIR, 'DejaVuSans.ttf'),
  sansBold: join(FONT_DIR, 'DejaVuSans-Bold.ttf'),
  mono: join(FONT_DIR, 'DejaVuSansMono-Bold.ttf'),
};

let fontsLoaded: Promise<void> | undefined;
/** Registers the font files with fontconfig once per process, so markup can use regular and bold. */
function loadFonts(): Promise<void> {
  fontsLoaded ??= (async () => {
    for (const [fontfile, font] of [
      [FONTS.sansBold, 'DejaVu Sans Bold 8'],
      [FONTS.sans, 'DejaVu Sans 8'],
      [FONTS.mono, 'DejaVu Sans Mono Bold 8'],
    ] as const) {
      await sharp({ text: { text: 'x', font, fontfile, dpi: DPI } }).raw().toBuffer();
    }
  })();
  return fontsLoaded;
}

interface Piece {
  input: Buffer;
  raw: { width: number; height: number; channels: 4 };
}

function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Pango markup → RGBA pixels (black text on transparent), wrapped at `width` if given. */
async function text(markup: string, font: string, options: { width?: number; align?: 'left' | 'centre'; spacing?: number } = {}): Promise<Piece> {
  const { data, info } = await sharp({
    text: {
      text: markup,
      font,
      dpi: DPI,
      rgba: true,
      ...(options.width ? { width: options.width, wrap: 'word' as const } : {}),
      ...(options.align ? { align: options.align } : {}),
      ...(options.spacing ? { spacing: options.spacing } : {}),
    },
  })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { input: data, raw: { width: info.width, height: info.height, channels: 4 } };
}

/** The QR code drawn module by module at an integer scale: sharp edges at any printer resolution. */
function qrPiece(code: string, maxSize: number): Piece {
  const qr = QRCode.create(code, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const scale = Math.max(1, Math.floor(maxSize / (n + 2 * quiet)));
  const size = (n + 2 * quiet) * scale;
  const px = Buffer.alloc(size * size * 4, 255);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (!qr.modules.get(y, x)) continue;
      for (let dy = 0; dy < scale; dy++) {
        const row = ((quiet + y) * scale + dy) * size;
        for (let dx = 0; dx < scale; dx++) {
          const i = (row + (quiet + x) * scale + dx) * 4;
          px[i] = px[i + 1] = px[i + 2] = 0;
        }
      }
    }
  }
  return { input: px, raw: { width: size, height: size, channels: 4 } };
}

function solid(width: number, height: number, grey = 0): Piece {
  const px = Buffer.alloc(width * height * 4, grey);
  for (let i = 3; i < px.length; i += 4) px[i] = 255;
  return { input: px, raw: { width, height, channels: 4 } };
}

/** "9CABG8TN..." → ["9CAB", "G8TN", ...] */
export function groupsOfFour(code: string): string[] {
  return code.match(/.{1,4}/g) ?? [];
}

/** Upper-cases and strips separators; throws a clear error when it is not a 22-character code. */
export function boardCode(code: string): string {
  const c = code.toUpperCase().replace(/[\s-]/g, '');
  if (!CODE_RE.test(c)) throw new Error(`"${code}" is not an e-photo code (22 characters from 0-9 and A-Z without O, I, L, S)`);
  return c;
}

/** The photo as exactly PHOTO_WIDTH x PHOTO_HEIGHT sRGB pixels; clear errors for unusable input. */
export async function printPhoto(photo: Buffer): Promise<Piece> {
  let meta: Metadata;
  try {
    meta = await sharp(photo).metadata();
  } catch (err) {
    throw new Error(`photo is not a readable image: ${(err as Error).message}`, { cause: err });
  }
  const upright = (meta.orientation ?? 1) >= 5 ? { w: meta.height, h: meta.width } : { w: meta.width, h: meta.height };
  if (!upright.w || !upright.h || upright.w < MIN_PHOTO_WIDTH || upright.h < MIN_PHOTO_HEIGHT) {
    throw new Error(
      `photo is ${upright.w ?? '?'}x${upright.h ?? '?'} px, too small to print 35x45 mm (at least ${MIN_PHOTO_WIDTH}x${MIN_PHOTO_HEIGHT}, i.e. 150 dpi; ${PHOTO_WIDTH}x${PHOTO_HEIGHT} for 300 dpi)`,
    );
  }
  try {
    const { data, info } = await sharp(photo)
      .rotate()
      .resize(PHOTO_WIDTH, PHOTO_HEIGHT, { fit: 'cover', position: 'centre' })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.width !== PHOTO_WIDTH || info.height !== PHOTO_HEIGHT) throw new Error(`scaled to ${info.width}x${info.height}`);
    return { input: data, raw: { width: PHOTO_WIDTH, height: PHOTO_HEIGHT, channels: 4 } };
  } catch (err) {
    throw new Error(`photo cannot be decoded: ${(err as Error).message}`, { cause: err });
  }
}

function frDate(d: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric' }).format(d);
}
function enDate(d: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' }).format(d);
}
function stamp(d: Date): string {
  return new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' }).format(d);
}

const MARGIN = 51;
const GAP = 36; // 3 mm between copies: room for the cut marks
const MARK_LENGTH = 14;
const MARK_OFFSET = 3;
const MARK_WIDTH = 2;
const PANEL_LEFT = MARGIN + 2 * PHOTO_WIDTH + GAP + 45;
const PANEL_WIDTH = BOARD_WIDTH - PANEL_LEFT - 45;

/** Cut marks at the four corners of a photo, outside it, in line with its edges. */
function cutMarks(r: Rect): OverlayOptions[] {
  const h = solid(MARK_LENGTH, MARK_WIDTH, 40);
  const v = solid(MARK_WIDTH, MARK_LENGTH, 40);
  const right = r.left + r.width;
  const bottom = r.top + r.height;
  const marks: [Piece, number, number][] = [];
  for (const y of [r.top, bottom - MARK_WIDTH]) {
    marks.push([h, r.left - MARK_OFFSET - MARK_LENGTH, y], [h, right + MARK_OFFSET, y]);
  }
  for (const x of [r.left, right - MARK_WIDTH]) {
    marks.push([v, x, r.top - MARK_OFFSET - MARK_LENGTH], [v, x, bottom + MARK_OFFSET]);
  }
  return marks.map(([p, left, top]) => ({ input: p.input, raw: p.raw, left, top }));
}

/** Renders the board as a 1800x1200 PNG at 300 dpi. */
export async function renderBoard(input: BoardInput): Promise<Board> {
  const code = input.code !== undefined ? boardCode(input.code) : undefined;
  if (code && !(input.expires instanceof Date && !Number.isNaN(input.expires.getTime()))) throw new Error('a board with a code needs its expiry date');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(input.boothId)) throw new Error(`booth id "${input.boothId}" is not valid`);
  const issuedAt = input.issuedAt ?? new Date();
  await loadFonts();

  const sans = (pt: number) => `DejaVu Sans ${pt}`;
  const [photo, header, sub, label, codeText, expiry, booth, howFr, howEn, statusLine, cut] = await Promise.all([
    printPhoto(input.photo),
    text(code ? '<b>ePhoto</b>' : "<b>Photo d'identité</b>", sans(20)),
    text(input.banner ? `<b>${escapeMarkup(input.banner)}</b>` : code ? "Photo d'identité numérique · Digital ID photo" : 'ID photo · 35 × 45 mm', sans(8)),
    code ? text('Numéro ePhoto · <i>ePhoto number</i>', sans(8)) : undefined,
    code
      ? text(
          `${escapeMarkup(groupsOfFour(code).slice(0, 3).join(' '))}\n${escapeMarkup(groupsOfFour(code).slice(3).join(' '))}`,
          'DejaVu Sans Mono Bold 20',
          { spacing: 12 },
        )
      : undefined,
    code && input.expires
      ? text(`Valable jusqu'au <b>${frDate(input.expires)}</b>\n<i>Valid until ${enDate(input.expires)}</i>`, sans(8), { width: PANEL_WIDTH - 330 })
      : undefined,
    text(`Cabine · <i>Booth</i> <b>${escapeMarkup(input.boothId)}</b>\n${stamp(issuedAt)}`, sans(7), { width: PANEL_WIDTH - 330 }),
    code
      ? text(
          "Saisissez ce numéro ePhoto lors de votre démarche sur le site de l'<b>ANTS</b> (ants.gouv.fr) ou de l'<b>ANEF</b> (administration-etrangers-en-france.interieur.gouv.fr). Il ne sert <b>qu'une seule fois</b> et reste valable <b>6 mois</b>.",
          sans(7),
          { width: PANEL_WIDTH },
        )
      : undefined,
    code
      ? text(
          '<i>Type this ePhoto number when you apply on the <b>ANTS</b> or <b>ANEF</b> website. It can be used <b>only once</b> and is valid for <b>6 months</b>.</i>',
          sans(7),
          { width: PANEL_WIDTH },
        )
      : undefined,
    code && input.statusUrl
      ? text(`Votre code fonctionne-t-il ? · <i>Does your code work?</i>\n<tt>${escapeMarkup(statusLink(input.statusUrl, code))}</tt>`, sans(6), { width: PANEL_WIDTH })
      : undefined,
    text('✂ Découpez le long des repères · <i>Cut along the marks</i>', sans(6), { width: PANEL_WIDTH }),
  ]);

  const layers: OverlayOptions[] = [];
  const photos: Rect[] = [];
  const gridTop = Math.round((BOARD_HEIGHT - (2 * PHOTO_HEIGHT + GAP)) / 2);
  for (let row = 0; row < 2; row++) {
    for (let col = 0; col < 2; col++) {
      const r = { left: MARGIN + col * (PHOTO_WIDTH + GAP), top: gridTop + row * (PHOTO_HEIGHT + GAP), width: PHOTO_WIDTH, height: PHOTO_HEIGHT };
      photos.push(r);
      layers.push({ input: photo.input, raw: photo.raw, left: r.left, top: r.top }, ...cutMarks(r));
    }
  }

  let y = gridTop - 12;
  const put = (p: Piece | undefined, x: number, gapAfter: number) => {
    if (!p) return;
    layers.push({ input: p.input, raw: p.raw, left: x, top: y });
    y += p.raw.height + gapAfter;
  };
  put(header, PANEL_LEFT, 8);
  put(sub, PANEL_LEFT, 28);
  put(label, PANEL_LEFT, 6);
  put(codeText, PANEL_LEFT, 24);
  let qr: Rect | undefined;
  if (code) {
    const q = qrPiece(code, 300);
    qr = { left: PANEL_LEFT, top: y, width: q.raw.width, height: q.raw.height };
    layers.push({ input: q.input, raw: q.raw, left: qr.left, top: qr.top });
    const x = PANEL_LEFT + q.raw.width + 24;
    let ty = y + 24;
    for (const p of [expiry, booth]) {
      if (!p) continue;
      layers.push({ input: p.input, raw: p.raw, left: x, top: ty });
      ty += p.raw.height + 28;
    }
    y += q.raw.height + 18;
    put(howFr, PANEL_LEFT, 14);
    put(howEn, PANEL_LEFT, statusLine ? 14 : 0);
    put(statusLine, PANEL_LEFT, 0);
  } else {
    put(booth, PANEL_LEFT, 0);
  }
  layers.push({ input: cut.input, raw: cut.raw, left: PANEL_LEFT, top: gridTop + 2 * PHOTO_HEIGHT + GAP - cut.raw.height });
  if (y > gridTop + 2 * PHOTO_HEIGHT + GAP - cut.raw.height) throw new Error(`board layout overflow: panel text ends at y=${y}`);

  const png = await sharp({ create: { width: BOARD_WIDTH, height: BOARD_HEIGHT, channels: 3, background: '#ffffff' } })
    .composite(layers)
    .withDensity(DPI)
    .png({ compressionLevel: 6 })
    .toBuffer();
  return { png, width: BOARD_WIDTH, height: BOARD_HEIGHT, dpi: DPI, photos, ...(qr ? { qr } : {}) };
}
