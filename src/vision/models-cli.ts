// `cabine models check|install`: the booth's face models, as a production install handles
// them (no dev dependencies: `npm run models` builds them on a machine that has them).
import type { Command } from 'commander';

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('the face models (ONNX) this release runs: check them, install them from a build');
  models
    .command('check')
    .description('check that every model of the manifest is present with its recorded sha256 (exit 1 if not)')
    .option('--dir <dir>', 'models folder (default: <app>/models)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dir?: string; json?: boolean }) => {
      const { checkModelFiles } = await import('./models/manifest.ts');
      const checks = checkModelFiles(opts.dir);
      if (opts.json) process.stdout.write(`${JSON.stringify(checks)}\n`);
      else for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(10)} ${c.path}${c.problem ? `: ${c.problem}` : ''}\n`);
      if (checks.some((c) => !c.ok)) {
        if (!opts.json) process.stderr.write('models: build them with "npm run models" (dev dependencies), or install a release\'s with "cabine models install DIR"\n');
        process.exitCode = 1;
      }
    });
  models
    .command('install')
    .description('copy .onnx files (or every .onnx of folders) into the models folder, each checked against the manifest')
    .argument('<source...>', '.onnx files or folders holding them')
    .option('--dir <dir>', 'models folder (default: <app>/models)')
    .action(async (sources: string[], opts: { dir?: string }) => {
      const { installModels } = await import('./models/install.ts');
      for (const m of installModels(sources, opts.dir)) process.stdout.write(`installed ${m.name.padEnd(10)} ${m.path}\n`);
    });
}
