import t, { type Test } from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedPrinter, type JobStatus, type PrintDocument } from '../../src/hal/printer/index.ts';
import { silentLogger } from '../../src/log.ts';
import { PrintQueue, PrinterNotReadyError, type BoardOrder } from '../../src/print/queue.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { analyseBoard, markerPhoto } from './analyse.ts';

const CODE = '9CABG8TN2345679ABCDEFG';

async function setup(t: Test, opts: { printer?: SimulatedPrinter; render?: (o: BoardOrder) => Promise<Buffer>; jobTimeoutMs?: number; dir?: string; store?: Store } = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'cabine-queue-'));
  if (!opts.dir) t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = opts.store ?? openStore(dir);
  if (!opts.store) t.teardown(() => store.close());
  const printer = opts.printer ?? new SimulatedPrinter({ dir: join(dir, 'printer') }, silentLogger());
  await printer.start();
  t.teardown(() => printer.stop());
  const photoFile = join(dir, 'photo.png');
  writeFileSync(photoFile, await markerPhoto());
  const queue = new PrintQueue({ store, printer, boardsDir: join(dir, 'boards'), boothId: 'T-1', jobTimeoutMs: opts.jobTimeoutMs ?? 2000, jobPollMs: 20, logger: silentLogger(), ...(opts.render ? { render: opts.render } : {}) });
  const order: BoardOrder = { sessionId: 'session-1', product: 'ephoto', delivers: 'ephoto', photoFile, code: CODE, expires: '2027-05-23T10:00:00.000Z' };
  const printed = () => readdirSync(join(dir, 'printer')).filter((f) => f.startsWith('job-') && !f.endsWith('.tmp'));
  return { dir, store, printer, queue, order, printed };
}

t.test('prints the board once; later calls return the same job', async (t) => {
  const { queue, order, printed, dir } = await setup(t);
  const first = await queue.ensurePrinted(order);
  const [again, concurrent] = await Promise.all([queue.ensurePrinted(order), queue.ensurePrinted(order)]);
  t.same(again, first);
  t.same(concurrent, first);
  t.equal(printed().length, 1, 'one sheet');
  t.equal(first.boardFile, join(dir, 'boards', 'session-1.png'));
  const a = await analyseBoard((await import('node:fs')).readFileSync(join(dir, 'printer', printed()[0]!)));
  t.equal(a.qr, CODE);
  t.same(queue.attempts('session-1').map((x) => x.state), ['completed']);
});

t.test('a printer that cannot print refuses before anything is journaled, then prints once ready', async (t) => {
  const { queue, order, printer, printed } = await setup(t);
  const faults: string[] = [];
  printer.on('fault', (f) => faults.push(f.message));
  await printer.simulate({ reasons: ['media-empty-report'] });
  t.match(printer.status(), { health: 'fault' });
  t.same(faults, ['printer not ready: media-empty-report']);
  await t.rejects(queue.ensurePrinted(order), PrinterNotReadyError);
  t.same(queue.attempts('session-1'), []);
  let recovered = 0;
  printer.on('recovered', () => recovered++);
  await printer.simulate({ reasons: [] });
  t.equal(recovered, 1);
  await queue.ensurePrinted(order);
  t.equal(printed().length, 1);
});

t.test('a job held by the printer (paper out after submission) is waited for, never resubmitted', async (t) => {
  const ref: { printer?: SimulatedPrinter } = {};
  const { queue, order, printer, printed } = await setup(t, {
    jobTimeoutMs: 150,
    render: async () => {
      await ref.printer!.simulate({ reasons: ['media-needed-error'] });
      return (await import('sharp')).default({ create: { width: 1800, height: 1200, channels: 3, background: '#fff' } }).png().toBuffer();
    },
  });
  ref.printer = printer;
  await t.rejects(queue.ensurePrinted(order), /still pending after/);
  await t.rejects(queue.ensurePrinted(order), /still pending after/);
  t.equal(queue.attempts('session-1').length, 1);
  await printer.simulate({ reasons: [] });
  const done = await queue.ensurePrinted(order);
  t.equal(done.jobId, queue.attempts('session-1')[0]!.printerJobId);
  t.equal(printed().length, 1);
});

class LossyPrinter extends SimulatedPrinter {
  mode: 'lose-answer' | 'never-sent' | 'abort-first' | 'forget' | 'ok' = 'ok';
  override async submit(document: PrintDocument, signal?: AbortSignal): Promise<JobStatus> {
    if (this.mode === 'never-sent') {
      this.mode = 'ok';
      throw new Error('Print-Job: ECONNRESET');
    }
    const job = await super.submit(document, signal);
    if (this.mode === 'lose-answer') {
      this.mode = 'ok';
      throw new Error('Print-Job: no answer within 10000 ms');
    }
    return job;
  }
  override async job(id: string, expectedName?: string): Promise<JobStatus | null> {
    if (this.mode === 'forget') return null;
    const s = await super.job(id, expectedName);
    if (this.mode === 'abort-first' && s && id === '1') return { ...s, state: 'aborted', reasons: ['job-aborted-by-system'] };
    return s;
  }
}

t.test('crash recovery: a job whose answer was lost is found by name, not printed again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-queue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const printer = new LossyPrinter({ dir: join(dir, 'printer') }, silentLogger());
  const { queue, order, printed } = await setup(t, { printer, dir });
  printer.mode = 'lose-answer';
  await t.rejects(queue.ensurePrinted(order), /no answer/);
  t.same(queue.attempts('session-1').map((a) => a.state), ['submitting'], 'journaled before the effect');
  await queue.ensurePrinted(order);
  t.same(queue.attempts('session-1').map((a) => a.state), ['completed']);
  t.equal(printed().length, 1);
});

t.test('crash recovery: a submission that never reached the printer is printed again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-queue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const printer = new LossyPrinter({ dir: join(dir, 'printer') }, silentLogger());
  const { queue, order, printed } = await setup(t, { printer, dir });
  printer.mode = 'never-sent';
  await t.rejects(queue.ensurePrinted(order), /ECONNRESET/);
  await queue.ensurePrinted(order);
  t.same(queue.attempts('session-1').map((a) => a.state), ['failed', 'completed']);
  t.equal(printed().length, 1);
});

t.test('an aborted job is reprinted on the next call; the board is the same file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-queue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const printer = new LossyPrinter({ dir: join(dir, 'printer') }, silentLogger());
  const { queue, order } = await setup(t, { printer, dir });
  printer.mode = 'abort-first';
  await t.rejects(queue.ensurePrinted(order), /print job 1 aborted: job-aborted-by-system/);
  const second = await queue.ensurePrinted(order);
  t.equal(second.jobId, '2');
  const attempts = queue.attempts('session-1');
  t.same(attempts.map((a) => a.state), ['failed', 'completed']);
  t.equal(attempts[0]!.boardFile, attempts[1]!.boardFile);
});

t.test('a job the printer forgot is not reprinted on a guess (unverified)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-queue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const printer = new LossyPrinter({ dir: join(dir, 'printer') }, silentLogger());
  const { queue, order, printed } = await setup(t, { printer, dir });
  printer.mode = 'forget';
  const r = await queue.ensurePrinted(order);
  t.equal(r.jobId, '1');
  t.same(queue.attempts('session-1').map((a) => a.state), ['unverified']);
  await queue.ensurePrinted(order);
  t.equal(printed().length, 1);
});

t.test('after a restart (new store handle, new printer object) a printed session stays printed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-queue-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store1 = openStore(dir);
  const first = await setup(t, { dir, store: store1 });
  const r1 = await first.queue.ensurePrinted(first.order);
  await first.printer.stop();
  store1.close();
  const store2 = openStore(dir);
  t.teardown(() => store2.close());
  const second = await setup(t, { dir, store: store2 });
  t.same(await second.queue.ensurePrinted(second.order), r1);
  t.equal(second.printed().length, 1);
  t.equal(await second.printer.job(r1.jobId, 'cabine-session-1-1').then((j) => j?.state), 'completed');
});

t.test('a corrupt photo is a clear error and nothing is journaled', async (t) => {
  const { queue, order, dir } = await setup(t);
  writeFileSync(order.photoFile, 'garbage');
  await t.rejects(queue.ensurePrinted(order), /photo is not a readable image/);
  t.same(queue.attempts('session-1'), []);
  t.same(readdirSync(join(dir, 'boards')), []);
});
