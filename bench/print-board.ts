// Compose + spool of one board (goal <= 300 ms): renderBoard from a 35x45 photo, then the
// document handed to the printer — the simulated printer (fsync'd file) and, when installed,
// ippeveprinter over IPP (until Print-Job is answered). Prints one line per figure.
// Run: node --import tsx bench/print-board.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IppPrinter, SimulatedPrinter, isTerminal, type PrinterDevice } from '../src/hal/printer/index.ts';
import { silentLogger } from '../src/log.ts';
import { renderBoard } from '../src/print/board.ts';
import { prepareDocument } from '../src/print/document.ts';
import { syntheticPortrait } from '../test/print/portrait.ts';
import { startEvePrinter } from '../test/print/ippeveprinter.ts';

const RUNS = Number(process.env.RUNS ?? 10);
const photo = await syntheticPortrait();
const code = '9CABG8TN2345679ABCDEFG';
const expires = new Date(Date.now() + 183 * 86400_000);

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
}

async function bench(label: string, printer: PrinterDevice) {
  await printer.start();
  const compose: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const board = await renderBoard({ photo, code, expires, boothId: 'BENCH-1' });
    const t1 = performance.now();
    const doc = await prepareDocument(board.png, printer.lastState());
    const job = await printer.submit({ ...doc, name: `bench-${i}` });
    const t2 = performance.now();
    compose.push(t1 - t0);
    total.push(t2 - t0);
    // not timed: let the printer finish before the next run (ippeveprinter prints one job at a time)
    while (!isTerminal((await printer.job(job.id))?.state ?? 'completed')) await new Promise((r) => setTimeout(r, 200));
  }
  await printer.stop();
  console.log(`${label}: compose ${stats(compose)}; compose+spool ${stats(total)} (goal <= 300 ms, ${RUNS} runs)`);
}

const coldStart = performance.now();
await renderBoard({ photo, code, expires, boothId: 'BENCH-1' });
console.log(`first board in a fresh process (fonts loaded): ${(performance.now() - coldStart).toFixed(1)} ms`);

const dir = mkdtempSync(join(tmpdir(), 'cabine-bench-'));
try {
  await bench('simulated printer (file, fsync)', new SimulatedPrinter({ dir }, silentLogger()));
  if (spawnSync('which', ['ippeveprinter']).status === 0) {
    const eve = await startEvePrinter();
    try {
      await bench('ippeveprinter over IPP (Print-Job answered)', new IppPrinter({ uri: eve.uri, pollMs: 0, requestTimeoutMs: 10_000, retries: 0 }, silentLogger()));
    } finally {
      await eve.stop();
    }
  } else {
    console.log('ippeveprinter not installed: IPP figure skipped');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
