// The printer contract: what the booth relies on from any PrinterDevice, one suite run against
// the simulated printer and against the IPP driver talking to a real IPP printer
// (ippeveprinter), like MQTT.js's abstract store suite. The rig gives each side's way of doing
// what a technician or a fault does (paper out, printer gone, an answer lost on the wire).
import type { Test } from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { isTerminal, printsLeft, type JobStatus, type PrinterDevice } from '../../../src/hal/printer/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { PrintQueue } from '../../../src/print/queue.ts';
import { openStore } from '../../../src/store/db.ts';
import { markerPhoto } from '../../print/analyse.ts';

export interface PrinterRig {
  /** A new driver object on the same printer (a restarted booth makes a new one). */
  connect(): PrinterDevice;
  /** Loads this many sheets (0: out of paper). */
  setPaper(sheets: number): Promise<void>;
  /** Sets the ribbon / ink / toner the printer prints with to this percent of a full one. */
  setSupplyPercent(percent: number): Promise<void>;
  /** The job-names of the documents the printer has put on paper, one per sheet. */
  printedNames(): string[];
  /** The next document reaches the printer and is printed, but its answer never reaches the booth. */
  loseNextSubmitAnswer(): void;
  /** Answers lost so far (the positive control that the fault happened). */
  lostAnswers(): number;
  /** The printer stops answering. */
  goAway(): Promise<void>;
  close(): Promise<void>;
}

async function started(t: Test, rig: PrinterRig): Promise<PrinterDevice> {
  const printer = rig.connect();
  await printer.start();
  t.teardown(() => printer.stop());
  return printer;
}

/** Follows a job until the printer says it is over (positive control, no fixed sleep). */
async function finished(printer: PrinterDevice, job: JobStatus, name: string): Promise<JobStatus> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const now = await printer.job(job.id, name);
    if (!now) throw new Error(`job ${job.id} unknown`);
    if (isTerminal(now.state)) return now;
    if (Date.now() > deadline) throw new Error(`job ${job.id} still ${now.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function printerContract(t: Test, label: string, makeRig: () => Promise<PrinterRig>): void {
  const withRig = async (t: Test): Promise<PrinterRig> => {
    const rig = await makeRig();
    t.teardown(() => rig.close());
    return rig;
  };

  t.test(`${label}: ready, takes a document, follows it by id and by name`, async (t) => {
    const rig = await withRig(t);
    const printer = await started(t, rig);
    t.match(printer.status(), { health: 'ok' });
    t.match(printer.readiness(), { ok: true });
    t.ok(printer.lastState()?.formats.includes('image/png'), 'PNG is a supported format');
    const name = 'cabine-contract-1';
    const data = await sharp({ create: { width: 60, height: 40, channels: 3, background: '#abcdef' } }).png().toBuffer();
    const job = await printer.submit({ data, format: 'image/png', name });
    t.equal(job.name, name);
    t.match(job.id, /^\d+$/);
    t.equal((await finished(printer, job, name)).state, 'completed');
    t.equal(await printer.job(job.id, 'another-name'), null, 'the same id under another name is another job');
    t.match(await printer.findJob(name), { id: job.id, name, state: 'completed' });
    t.equal(await printer.findJob('cabine-never-sent'), null);
    t.same(rig.printedNames(), [name], 'one sheet');
  });

  t.test(`${label}: out of paper is a fault with the reason; paper back, recovered once`, async (t) => {
    const rig = await withRig(t);
    const printer = await started(t, rig);
    let recovered = 0;
    printer.on('recovered', () => recovered++);
    await rig.setPaper(0);
    const state = await printer.refresh();
    t.ok(state.reasons.some((r) => r.startsWith('media-empty')), `reasons: ${state.reasons.join(',')}`);
    t.match(printer.status(), { health: 'fault', detail: /media-empty/ });
    t.match(printer.readiness(), { ok: false, reason: /media-empty/ });
    await rig.setPaper(100);
    await printer.refresh();
    t.match(printer.status(), { health: 'ok' });
    t.equal(recovered, 1);
  });

  t.test(`${label}: paper and supplies are reported (prints left, an early warning), and follow a reload`, async (t) => {
    const rig = await withRig(t);
    const printer = await started(t, rig);
    await rig.setPaper(40);
    await rig.setSupplyPercent(80);
    let state = await printer.refresh();
    const media = (state.consumables ?? []).filter((c) => c.kind === 'media');
    const supplies = (state.consumables ?? []).filter((c) => c.kind === 'supply');
    t.ok(media.some((c) => c.sheets === 40), `a tray with the 40 sheets loaded: ${JSON.stringify(media)}`);
    t.ok(supplies.some((c) => c.percent === 80), `the supply at 80 %: ${JSON.stringify(supplies)}`);
    const left = printsLeft(state.consumables ?? [], 400);
    t.ok(left !== null && left >= 40 && left <= 40 + 25, `prints left from paper and supply: ${left}`);
    t.match(printer.readiness(), { ok: true }, 'enough of everything: ready');
    const lowAt80 = state.reasons.filter((r) => /-low(-warning|-report)?$/.test(r));

    await rig.setSupplyPercent(5);
    state = await printer.refresh();
    const supply = (state.consumables ?? []).find((c) => c.kind === 'supply' && c.percent === 5);
    t.ok(supply, 'the supply at 5 %');
    // Its prints left: counted by the printer (impressions), or 5 % of a 400-print supply.
    const expected = Math.min(40, supply?.sheets ?? Math.floor(0.05 * 400));
    t.equal(printsLeft(state.consumables ?? [], 400), expected, `prints left follow the supply (${expected})`);
    // A low reason the printer did not give with the supply at 80 % (paper may be low as well).
    const supplyLow = (reasons: string[]) => reasons.filter((r) => /-low(-warning|-report)?$/.test(r) && !lowAt80.includes(r));
    t.ok(supplyLow(state.reasons).length > 0, `the printer warns it is low: ${state.reasons.join(',')}`);
    t.match(printer.readiness(), { ok: true }, 'low is a warning, not a stop');

    await rig.setSupplyPercent(100);
    state = await printer.refresh();
    t.same(supplyLow(state.reasons), [], 'a new supply: the warning is gone');
  });

  t.test(`${label}: a printer gone is a fault with the reason, never an exception from refresh`, async (t) => {
    const rig = await withRig(t);
    const printer = await started(t, rig);
    await rig.goAway();
    const state = await printer.refresh();
    t.equal(state.state, 'unreachable');
    t.match(printer.status(), { health: 'fault', detail: /printer unreachable/ });
  });

  t.test(`${label}: the queue after a lost answer finds the job by its name after a restart, and prints once`, async (t) => {
    const rig = await withRig(t);
    const dir = mkdtempSync(join(tmpdir(), 'cabine-contract-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const photoFile = join(dir, 'photo.png');
    writeFileSync(photoFile, await markerPhoto());
    const order = { sessionId: 'session-1', product: 'photo', delivers: 'prints' as const, photoFile };
    const queueOn = (printer: PrinterDevice, store: ReturnType<typeof openStore>) =>
      new PrintQueue({ store, printer, boardsDir: join(dir, 'boards'), boothId: 'C-1', jobTimeoutMs: 30_000, jobPollMs: 100, logger: silentLogger() });

    // The booth sends the board; the printer takes it, the answer is lost, the booth dies.
    const store1 = openStore(dir);
    const before = await started(t, rig);
    rig.loseNextSubmitAnswer();
    await t.rejects(queueOn(before, store1).ensurePrinted(order), 'the submission has no answer');
    t.equal(rig.lostAnswers(), 1, 'the answer was lost after the printer took the job');
    await before.stop();
    store1.close();

    // Restarted: new store handle, new driver object. The attempt was journaled "submitting";
    // the queue asks the printer for the job by its name instead of sending it again.
    const store2 = openStore(dir);
    t.teardown(() => store2.close());
    const after = await started(t, rig);
    const queue = queueOn(after, store2);
    const result = await queue.ensurePrinted(order);
    const attempts = queue.attempts('session-1');
    t.same(attempts.map((a) => a.state), ['completed'], 'one attempt, found again');
    t.equal(result.jobId, attempts[0]!.printerJobId);
    const deadline = Date.now() + 30_000;
    while (rig.printedNames().length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    t.same(rig.printedNames(), [attempts[0]!.jobName], 'one sheet, under the journaled job-name');
  });
}
