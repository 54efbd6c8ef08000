// `cabine print board|test|status`: render a board from a photo, print a test page, show
// what the printer says. The printer is --printer URI, else printer.uri from the config.
import type { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { IppPrinter, type PrinterDevice } from '../hal/printer/index.ts';
import { createLogger, type Logger } from '../log.ts';
import { addMonths } from '../codes/registry.ts';
// Composition (sharp, fonts) is imported when a command needs it, so `cabine` starts fast.

function configOf(file: string | undefined): Config {
  return loadConfig(file ? { file } : {});
}

function printerOf(config: Config, uri: string | undefined, logger: Logger): PrinterDevice {
  const target = uri ?? config.printer.uri;
  if (!target) throw new Error('no printer: give --printer ipp://host[:port]/path or set printer.uri (CABINE_PRINTER_URI)');
  if (!/^ipps?:\/\//.test(target)) throw new Error(`--printer "${target}" must be an ipp:// or ipps:// URI`);
  return new IppPrinter({ uri: target, pollMs: 0, requestTimeoutMs: config.printer.requestTimeoutSeconds * 1000, retries: config.printer.retries }, logger);
}

export function registerPrintCommands(program: Command): void {
  const print = program.command('print').description('render the 10x15 board, print a test page, show the printer state');

  print
    .command('board')
    .requiredOption('--photo <file>', 'the photo (JPEG, PNG...; scaled and centre-cropped to 35x45 mm)')
    .option('--code <code>', 'the e-photo code (22 characters; spaces and dashes allowed); without it, a photo-only board')
    .option('--expires <date>', 'expiry of the code (ISO 8601; default: 6 months from now)')
    .option('--booth <id>', 'booth id printed on the board (default: booth.id from the config)')
    .option('-o, --out <file>', 'where to write the PNG', 'board.png')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print {"file","width","height","dpi","photos","qr"}')
    .description('render a board (1800x1200 PNG at 300 dpi) from a photo and a code')
    .action(async (opts: { photo: string; code?: string; expires?: string; booth?: string; out: string; config?: string; json?: boolean }) => {
      const config = configOf(opts.config);
      let photo: Buffer;
      try {
        photo = await readFile(opts.photo);
      } catch (err) {
        throw new Error(`cannot read --photo ${opts.photo}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
      }
      const expires = opts.expires ? new Date(opts.expires) : addMonths(new Date(), 6);
      if (Number.isNaN(expires.getTime())) throw new Error(`--expires "${opts.expires}" is not a date (use ISO 8601, e.g. 2027-05-23)`);
      const { renderBoard } = await import('./board.ts');
      const board = await renderBoard({ photo, ...(opts.code ? { code: opts.code, expires } : {}), boothId: opts.booth ?? config.booth.id });
      const file = resolve(opts.out);
      await writeFile(file, board.png);
      if (opts.json) {
        process.stdout.write(JSON.stringify({ file, width: board.width, height: board.height, dpi: board.dpi, photos: board.photos, ...(board.qr ? { qr: board.qr } : {}) }) + '\n');
      } else {
        process.stdout.write(`${file}: ${board.width}x${board.height} px at ${board.dpi} dpi, ${board.photos.length} photos of 35x45 mm\n`);
      }
    });

  print
    .command('test')
    .option('--printer <uri>', 'IPP URI of the printer (default: printer.uri)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--no-wait', 'return once the printer accepted the job')
    .option('--json', 'print {"printer","jobId","state","reasons","format"}')
    .description('print a test board (test pattern, non-valid code) and follow the job to its end (exit 1 unless completed)')
    .action(async (opts: { printer?: string; config?: string; wait: boolean; json?: boolean }) => {
      const config = configOf(opts.config);
      const logger = createLogger({ level: config.log.level });
      const printer = printerOf(config, opts.printer, logger);
      const { printTestPage } = await import('./test-page.ts');
      const { job, format } = await printTestPage(printer, {
        boothId: config.booth.id,
        operatorPrefix: config.booth.operatorPrefix,
        jobTimeoutMs: opts.wait ? config.printer.jobTimeoutSeconds * 1000 : 0,
      });
      const out = { printer: printer.uri, jobId: job.id, state: job.state, reasons: job.reasons, format };
      if (opts.json) process.stdout.write(JSON.stringify(out) + '\n');
      else process.stdout.write(`job ${job.id} on ${printer.uri}: ${job.state}${job.reasons.length ? ` (${job.reasons.join(', ')})` : ''} [${format}]\n`);
      if (opts.wait && job.state !== 'completed') process.exitCode = 1;
    });

  print
    .command('status')
    .option('--printer <uri>', 'IPP URI of the printer (default: printer.uri)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'print {"printer","ready","reason","warnings","state"}')
    .description('show the printer state and whether a board can be printed now (exit 1 if not)')
    .action(async (opts: { printer?: string; config?: string; json?: boolean }) => {
      const config = configOf(opts.config);
      const printer = printerOf(config, opts.printer, createLogger({ level: 'silent' }));
      const state = await printer.refresh();
      const ready = printer.readiness();
      if (opts.json) {
        process.stdout.write(
          JSON.stringify({ printer: printer.uri, ready: ready.ok, ...(ready.ok ? { warnings: ready.warnings } : { reason: ready.reason }), state }) + '\n',
        );
      } else {
        const lines = [
          `printer   ${printer.uri}${state.makeAndModel ? ` (${state.makeAndModel})` : ''}`,
          `state     ${state.state}${state.message ? ` — ${state.message}` : ''}`,
          `reasons   ${state.reasons.join(', ') || 'none'}`,
          `ready     ${ready.ok ? `yes${ready.warnings.length ? ` (warnings: ${ready.warnings.join(', ')})` : ''}` : `no — ${ready.reason}`}`,
        ];
        if (state.formats.length) lines.push(`formats   ${state.formats.join(', ')}`);
        if (state.media.ready.length) lines.push(`media     ${state.media.ready.join(', ')}`);
        process.stdout.write(lines.join('\n') + '\n');
      }
      if (!ready.ok) process.exitCode = 1;
    });
}
