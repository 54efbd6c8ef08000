// The printer contract (./printer.ts) run against the simulated printer and against the IPP
// driver on a real IPP printer (ippeveprinter), the lost answer cut on the wire by a proxy.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { IppClient } from '../../../src/hal/printer/ipp-client.ts';
import { IppPrinter, SimulatedPrinter, type JobStatus, type PrintDocument } from '../../../src/hal/printer/index.ts';
import { Operation } from '../../../src/hal/printer/ipp-codec.ts';
import { silentLogger } from '../../../src/log.ts';
import { startEvePrinter } from '../../print/ippeveprinter.ts';
import { startAnswerDropper } from './answer-dropper.ts';
import { printerContract } from './printer.ts';

printerContract(t, 'simulated printer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-simprinter-'));
  let loseNext = false;
  let lost = 0;
  let current: SimulatedPrinter | undefined;
  // The simulator has no wire: the answer is lost after the job was taken, as on a cut link.
  class Rigged extends SimulatedPrinter {
    override async submit(document: PrintDocument, signal?: AbortSignal): Promise<JobStatus> {
      const job = await super.submit(document, signal);
      if (loseNext) {
        loseNext = false;
        lost++;
        throw new Error('Print-Job to simulated printer: connection reset before the answer');
      }
      return job;
    }
  }
  return {
    connect: () => (current = new Rigged({ dir }, silentLogger())),
    setPaper: async (sheets) => void (await current?.refill({ paper: sheets })),
    setSupplyPercent: async (percent) => void (await current?.refill({ ribbon: Math.round((percent / 100) * (current?.capacity.ribbon ?? 0)) })),
    printedNames: () => readdirSync(dir).flatMap((f) => /^job-\d+-(.+)\.png$/.exec(f)?.[1] ?? []),
    loseNextSubmitAnswer: () => void (loseNext = true),
    lostAnswers: () => lost,
    goAway: async () => void (await current?.simulate({ unreachable: true })),
    close: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

printerContract(t, 'IPP driver on ippeveprinter', async () => {
  const eve = await startEvePrinter();
  const proxy = await startAnswerDropper(eve.uri);
  return {
    connect: () => new IppPrinter({ uri: proxy.uri, pollMs: 0, requestTimeoutMs: 5000, retries: 1 }, silentLogger()),
    setPaper: (sheets) => eve.setPaper(sheets),
    setSupplyPercent: (percent) => eve.setSupplies([25, percent]),
    printedNames: () => eve.jobFiles().flatMap((f) => /^\d+-(.+)\.png$/.exec(f)?.[1] ?? []),
    loseNextSubmitAnswer: () => proxy.dropNextAnswer(Operation.printJob),
    lostAnswers: () => proxy.dropped(),
    goAway: () => eve.stop(),
    close: async () => {
      await proxy.close();
      await eve.stop();
    },
  };
});

t.test('IPP driver: a job of another requesting user with the same name is not taken for ours', async (t) => {
  const eve = await startEvePrinter();
  t.teardown(() => eve.stop());
  const data = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123456' } }).png().toBuffer();
  const name = 'cabine-session-x-1';
  const other = new IppClient(eve.uri, { userName: 'someone-else', retries: 0 });
  await other.printJob(data, { format: 'image/png', jobName: name });
  const printer = new IppPrinter({ uri: eve.uri, pollMs: 0, requestTimeoutMs: 5000, retries: 1 }, silentLogger());
  t.equal(await printer.findJob(name), null, "someone else's job");
  const ours = await printer.submit({ data, format: 'image/png', name });
  t.match(await printer.findJob(name), { id: ours.id, name }, 'ours, found by its name');
});
