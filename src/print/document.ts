// Turning a board PNG into what a given printer accepts: PNG when it lists image/png, else
// JPEG, else a one-page 6x4 in PDF (pdf-lib); plus the 4x6 in / 10x15 cm media keyword and
// print-scaling=none when the printer lists them, so the photos keep their exact size.
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import type { PrinterState } from '../hal/printer/index.ts';
import { BOARD_HEIGHT, BOARD_WIDTH, DPI } from './board.ts';

export interface PreparedDocument {
  data: Buffer;
  format: string;
  media?: string;
  scaling?: string;
}

const PREFERRED = ['image/png', 'image/jpeg', 'application/pdf'] as const;

/** Size in mm of a PWG 5101.1 self-describing media name (iso_a4_210x297mm, na_index-4x6_4x6in...). */
export function pwgMediaSize(keyword: string): { width: number; height: number } | undefined {
  const m = /_(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(mm|in)$/.exec(keyword);
  if (!m) return undefined;
  const k = m[3] === 'in' ? 25.4 : 1;
  return { width: Number(m[1]) * k, height: Number(m[2]) * k };
}

/** The printer's media keyword for the 10x15 cm / 4x6 in sheet (within 3 mm, either orientation). */
export function boardMedia(supported: readonly string[]): string | undefined {
  const long = (BOARD_WIDTH / DPI) * 25.4;
  const short = (BOARD_HEIGHT / DPI) * 25.4;
  return supported.find((keyword) => {
    const size = pwgMediaSize(keyword);
    if (!size) return false;
    const [a, b] = size.width < size.height ? [size.width, size.height] : [size.height, size.width];
    return Math.abs(a - short) <= 3 && Math.abs(b - long) <= 3;
  });
}

/** Picks the format from document-format-supported; an empty list (printer did not say) means PNG. */
export function chooseFormat(formats: readonly string[]): string {
  if (formats.length === 0) return 'image/png';
  const found = PREFERRED.find((f) => formats.includes(f));
  if (!found) throw new Error(`the printer accepts none of ${PREFERRED.join(', ')} (it lists ${formats.join(', ')})`);
  return found;
}

export async function prepareDocument(png: Buffer, state: PrinterState | undefined): Promise<PreparedDocument> {
  const format = chooseFormat(state?.formats ?? []);
  const media = boardMedia(state?.media.supported ?? []);
  const scaling = state?.scaling.includes('none') ? 'none' : undefined;
  const extra = { ...(media ? { media } : {}), ...(scaling ? { scaling } : {}) };
  if (format === 'image/png') return { data: png, format, ...extra };
  if (format === 'image/jpeg') {
    return { data: await sharp(png).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).withDensity(DPI).toBuffer(), format, ...extra };
  }
  const pdf = await PDFDocument.create();
  pdf.setTitle('Cabine board');
  pdf.setProducer('cabine');
  const image = await pdf.embedPng(png);
  const w = (BOARD_WIDTH / DPI) * 72;
  const h = (BOARD_HEIGHT / DPI) * 72;
  pdf.addPage([w, h]).drawImage(image, { x: 0, y: 0, width: w, height: h });
  return { data: Buffer.from(await pdf.save()), format, ...extra };
}
