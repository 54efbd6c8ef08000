// The printer test page (`cabine print test`, the console's `print test`, the fleet's
// `print-test`): a real board with a test pattern in place of the photos and a code that is
// marked as not valid, prepared for what the printer accepts and followed to its end.
import sharp from 'sharp';
import { isTerminal, type JobStatus, type PrinterDevice } from '../hal/printer/index.ts';
import { renderBoard } from './board.ts';
import { prepareDocument } from './document.ts';

/** A neutral test pattern in place of a customer photo: colour bars and grey steps. */
export async function testPattern(): Promise<Buffer> {
  const bars = ['#ffffff', '#ffff00', '#00ffff', '#00ff00', '#ff00ff', '#ff0000', '#0000ff', '#000000']
    .map((c, i) => `<rect x="${i * 52}" y="0" width="52" height="300" fill="${c}"/>`)
    .join('');
  const steps = Array.from({ length: 8 }, (_, i) => `<rect x="${i * 52}" y="300" width="52" height="231" fill="rgb(${i * 36},${i * 36},${i * 36})"/>`).join('');
  return sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="413" height="531">${bars}${steps}</svg>`)).png().toBuffer();
}

export interface TestPageOptions {
  boothId: string;
  operatorPrefix: string;
  /** Follow the job until it ends, at most this long (0: return once the printer accepted it). */
  jobTimeoutMs: number;
  pollMs?: number;
}

export interface TestPageResult {
  job: JobStatus;
  format: string;
  bytes: number;
}

/** Prints the test board on `printer`; rejects when the printer is not ready (with its reason). */
export async function printTestPage(printer: PrinterDevice, options: TestPageOptions): Promise<TestPageResult> {
  const state = await printer.refresh();
  const ready = printer.readiness();
  if (!ready.ok) throw new Error(ready.reason);
  const board = await renderBoard({
    photo: await testPattern(),
    code: `${options.operatorPrefix}000000000000000000`,
    expires: new Date(),
    boothId: options.boothId,
    banner: 'PAGE DE TEST · TEST PAGE — numéro non valable · not a valid number',
  });
  const doc = await prepareDocument(board.png, state);
  let job = await printer.submit({ ...doc, name: `cabine-test-${Date.now()}` });
  const deadline = Date.now() + options.jobTimeoutMs;
  while (!isTerminal(job.state) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, options.pollMs ?? 500));
    job = (await printer.job(job.id)) ?? { ...job, state: 'aborted', reasons: ['job-unknown-to-printer'] };
  }
  return { job, format: doc.format, bytes: doc.data.length };
}
