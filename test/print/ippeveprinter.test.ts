// The real IPP path: our IPP client and print queue against CUPS' ippeveprinter, reading
// back the job file it keeps, and its paper going out (media-empty) and the printer going away.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IppPrinter } from '../../src/hal/printer/index.ts';
import type { DeviceFault } from '../../src/hal/device.ts';
import { silentLogger } from '../../src/log.ts';
import { PrintQueue, PrinterNotReadyError } from '../../src/print/queue.ts';
import { openStore } from '../../src/store/db.ts';
import { analyseBoard, markerPhoto } from './analyse.ts';
import { startEvePrinter } from './ippeveprinter.ts';

const CODE = '9CABG8TN2345679ABCDEFG';

t.test('prints a board on ippeveprinter, follows the job, and gates on the real printer state', async (t) => {
  const eve = await startEvePrinter();
  t.teardown(() => eve.stop());
  const dir = mkdtempSync(join(tmpdir(), 'cabine-print-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = openStore(dir);
  t.teardown(() => store.close());

  const printer = new IppPrinter({ uri: eve.uri, pollMs: 0, requestTimeoutMs: 3000, retries: 1 }, silentLogger());
  const faults: DeviceFault[] = [];
  let recovered = 0;
  printer.on('fault', (f: DeviceFault) => faults.push(f));
  printer.on('recovered', () => recovered++);
  await printer.start();
  t.teardown(() => printer.stop());
  t.match(printer.status(), { health: 'ok', readings: { state: 'idle', uri: eve.uri } });
  t.ok(printer.lastState()?.formats.includes('image/png'));

  const photoFile = join(dir, 'photo.png');
  writeFileSync(photoFile, await markerPhoto(900, 1157));
  const queue = new PrintQueue({ store, printer, boardsDir: join(dir, 'boards'), boothId: 'EVE-1', jobTimeoutMs: 60_000, jobPollMs: 250, logger: silentLogger() });
  const order = { sessionId: 'session-1', product: 'ephoto', delivers: 'ephoto' as const, photoFile, code: CODE, expires: '2027-05-23T10:00:00.000Z' };
  const result = await queue.ensurePrinted(order);
  t.same(queue.attempts('session-1').map((a) => a.state), ['completed']);
  t.same(await queue.ensurePrinted(order), result, 'idempotent');

  const files = eve.jobFiles();
  t.same(files, [`${result.jobId}-cabine-session-1-1.png`], 'one job, kept by ippeveprinter under its job-name');
  const printed = await analyseBoard(readFileSync(join(eve.dir, files[0]!)));
  t.equal(printed.width, 1800);
  t.equal(printed.height, 1200);
  t.equal(printed.density, 300);
  t.equal(printed.qr, CODE, 'the QR on the printed job decodes to the code');
  t.equal(printed.regions.length, 4);
  for (const r of printed.regions) t.same([r.width, r.height, r.pixels], [413, 531, 413 * 531], 'photo area 35x45 mm at 300 dpi');

  // Out of paper: the printer says media-empty; the device faults, the queue refuses.
  await eve.setPaper(0);
  const state = await printer.refresh();
  t.ok(state.reasons.some((r) => r.startsWith('media-empty')), `reasons: ${state.reasons.join(',')}`);
  t.match(printer.status(), { health: 'fault', detail: /media-empty/ });
  t.match(faults.at(-1), { device: 'printer', fatal: true, message: /media-empty/ });
  t.match(printer.readiness(), { ok: false });
  await t.rejects(queue.ensurePrinted({ ...order, sessionId: 'session-2' }), PrinterNotReadyError);
  t.same(queue.attempts('session-2'), []);

  await eve.setPaper(250);
  await printer.refresh();
  t.match(printer.status(), { health: 'ok' });
  t.equal(recovered, 1, 'recovered once');

  // The printer goes away: unreachable is a fault with the reason.
  await eve.stop();
  await printer.refresh();
  t.match(printer.status(), { health: 'fault', detail: /printer unreachable: .*(ECONNREFUSED|no answer)/ });
});
