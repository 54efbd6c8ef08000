// One complete simulated session with a scripted customer (the body of `cabine demo`),
// kept apart from the command's declaration so `cabine` loads the booth only when asked.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBooth } from '../booth/compose.ts';
import { loadConfig } from '../config/load.ts';
import { openJournal } from '../flows/journal.ts';
import { createLogger } from '../log.ts';
import { playCustomer } from './customer.ts';

export interface DemoOptions {
  json?: boolean;
  config?: string;
  photo?: string;
  verbose?: boolean;
  /** With fleet.url: seconds to wait for the fleet's acknowledgement of the records. */
  fleetWait?: string;
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const dataDir = process.env.CABINE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'cabine-demo-'));
  const config = loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'coinAcceptor.port': undefined, 'printer.uri': undefined },
  });
  const logger = createLogger({ level: opts.verbose ? 'info' : 'warn' });
  const booth = await buildBooth(config, logger, { ui: false, control: false, keepSessionFiles: true });
  try {
    await booth.start();
    const unavailable = booth.unavailable();
    if (unavailable) throw new Error(`the booth cannot sell: ${unavailable}`);
    const steps: string[] = [];
    const result = await playCustomer(booth.machine, booth.parts, config, {
      ...(opts.photo ? { photo: opts.photo } : {}),
      log: (step) => {
        steps.push(step);
        if (!opts.json) process.stderr.write(`  ${step}\n`);
      },
    });
    const s = result.snapshot;
    const entries = openFacts(booth, result.sessionId);
    const board = entries.board;
    const recordId = entries.recordId;
    if (!s.code || !s.photoFile || !s.signatureFile || !board || !recordId) throw new Error(`the session did not complete every step (${JSON.stringify({ code: s.code, photo: s.photoFile, signature: s.signatureFile, board, recordId })})`);
    // With a fleet (fleet.url), the records (session, payment) go to the broker: the demo ends
    // once the fleet has acknowledged them, so the chain booth → ingest → collector can be
    // followed on one machine. Without one they wait in the outbox, as on a booth offline.
    const delivery = config.fleet.url ? await waitForDelivery(booth, Number(opts.fleetWait ?? 60)) : 'queued';
    const output = { code: s.code, files: { board, photo: s.photoFile, signature: s.signatureFile }, paidCents: s.paidCents, recordId };
    if (opts.json) process.stdout.write(JSON.stringify(output) + '\n');
    else {
      process.stdout.write(
        [
          `code       ${s.code.replace(/(.{4})(?=.)/g, '$1 ')}  (expires ${s.expires})`,
          `board      ${board}`,
          `photo      ${s.photoFile}`,
          `signature  ${s.signatureFile}`,
          `paid       ${(s.paidCents / 100).toFixed(2)} EUR (${result.coins.join(' ')})`,
          delivery === 'queued' ? `record     ${recordId} (queued for upload in ${join(dataDir, 'booth.db')})` : `record     ${recordId} (acknowledged by the fleet at ${config.fleet.url ?? ''})`,
        ].join('\n') + '\n',
      );
    }
    booth.machine.send({ type: 'FINISH' });
  } finally {
    await booth.stop();
  }
}

/** Waits until the outbox is empty (every record acknowledged); throws after `seconds`. */
async function waitForDelivery(booth: Awaited<ReturnType<typeof buildBooth>>, seconds: number): Promise<'delivered'> {
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--fleet-wait must be a number of seconds, got "${seconds}"`);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the fleet did not acknowledge the records within ${seconds} s (broker down, or booth not enrolled?); they stay in the outbox of this demo's data dir`)), seconds * 1000);
  });
  try {
    await Promise.race([booth.fleet.drained(), timeout]);
    // The payment record is queued by a reporter that runs every second: let it run once
    // more, then wait for that record too.
    await Promise.race([new Promise((r) => setTimeout(r, 1200)), timeout]);
    await Promise.race([booth.fleet.drained(), timeout]);
    return 'delivered';
  } finally {
    clearTimeout(timer);
  }
}

function openFacts(booth: Awaited<ReturnType<typeof buildBooth>>, sessionId: string): { board?: string; recordId?: string } {
  const out: { board?: string; recordId?: string } = {};
  for (const { fact } of openJournal(booth.store).entries(sessionId)) {
    if (fact.type === 'PRINT_FINISHED' && fact.boardFile) out.board = fact.boardFile;
    if (fact.type === 'RECORD_QUEUED') out.recordId = fact.recordId;
  }
  return out;
}
