// `cabine validate IMAGE... [--json] [--lang fr|en|es|de|ar] [--models DIR]`: checks photos against the
// ANTS rules. With --json, one report object per line per image (JSON Lines; DESIGN.md's
// object, unchanged). Exit code 1 when any image is non-compliant or unreadable.
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { silentLogger } from '../log.ts';
import type { CheckResult } from './checks.ts';
import { hintLanguages, type HintLanguage } from './hints.ts';
import type { ValidationReport } from './validator.ts';

function formatValue(v: CheckResult['value'] | CheckResult['limit']): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return `${v[0]}-${v[1]}`;
  if (typeof v === 'object') return Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ');
  return String(v);
}

function human(report: ValidationReport, lang: HintLanguage): string {
  const head = `${report.file ?? '(image)'}: ${report.error ? `UNREADABLE (${report.error})` : report.compliant ? 'COMPLIANT' : 'NOT COMPLIANT'} (${report.ms} ms)`;
  const lines = report.checks.map((c) => {
    const mark = c.pass ? 'ok  ' : 'FAIL';
    const hint = !c.pass && c.hint ? `  → ${c.hint[lang]}` : '';
    return `  ${mark} ${c.id.padEnd(21)} ${formatValue(c.value)} (limit ${formatValue(c.limit)})${hint}`;
  });
  return [head, ...lines].join('\n');
}

export function registerVisionCommands(program: Command): void {
  program
    .command('validate')
    .description('Check photos against the ANTS rules (exit 1 if any is not compliant or unreadable)')
    .argument('<image...>', 'photo files (JPEG, PNG, WebP, TIFF)')
    .option('--json', 'one JSON report per line per image')
    .option('--capture', 'treat each image as a booth capture: crop to 35x45 as the booth does, validate that photo, count faces on the whole capture')
    .option('--lang <lang>', `language of the hints in the text output (${hintLanguages.join(', ')})`, 'fr')
    .option('--models <dir>', 'folder of the ONNX models (default: models/)')
    .action(async (images: string[], opts: { json?: boolean; capture?: boolean; lang: string; models?: string }) => {
      const lang = hintLanguages.find((l) => l === opts.lang);
      if (!lang) throw new Error(`--lang must be one of ${hintLanguages.join(', ')}, not "${opts.lang}"`);
      // Imported here: the models' runtime and sharp load only for this command.
      const { createValidator } = await import('./validator.ts');
      const validator = await createValidator({ logger: silentLogger(), ...(opts.models ? { modelsDir: opts.models } : {}) });
      let failed = false;
      try {
        for (const image of images) {
          const file = resolve(image);
          let report: ValidationReport;
          try {
            report = opts.capture ? await validator.validateCapture(await readFile(file), { file }) : await validator.validate(await readFile(file), { file });
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'EACCES') throw err;
            report = { file, compliant: false, checks: [], ms: 0, error: `cannot read file (${code})` };
          }
          if (!report.compliant) failed = true;
          process.stdout.write((opts.json ? JSON.stringify(report) : human(report, lang)) + '\n');
        }
      } finally {
        await validator.close();
      }
      if (failed) process.exitCode = 1;
    });
}
