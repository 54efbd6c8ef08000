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
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const dataDir = process.env.CABINE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'cabine-demo-'));
  const config = loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'coinAcceptor.port': undefined, 'printer.uri': undefined, 'fleet.url': undefined },
  });
  const logger = createLogger({ level: opts.verbose ? 'info' : 'warn' });
  const booth = await buildBooth(config, logger, { ui: false, control: false });
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
          `record     ${recordId} (queued for upload in ${join(dataDir, 'booth.db')})`,
        ].join('\n') + '\n',
      );
    }
    booth.machine.send({ type: 'FINISH' });
  } finally {
    await booth.stop();
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
