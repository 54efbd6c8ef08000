// `cabine config check FILE` and `cabine config keys`: what an operator runs before
// shipping a config to a booth.
import type { Command } from 'commander';
import { configKeys, loadConfig } from './load.ts';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check a configuration file, list every key');

  config
    .command('check')
    .argument('<file>', 'YAML or JSON config file')
    .option('--json', 'print the effective configuration as JSON')
    .description('validate a config file (with CABINE_* environment overrides applied)')
    .action((file: string, opts: { json?: boolean }) => {
      const effective = loadConfig({ file });
      if (opts.json) process.stdout.write(JSON.stringify(effective, null, 2) + '\n');
      else process.stdout.write(`${file}: ok (booth ${effective.booth.id}, price ${effective.payment.priceCents} cents)\n`);
    });

  config
    .command('keys')
    .option('--json', 'machine-readable')
    .description('list every config key, its environment variable, default and meaning')
    .action((opts: { json?: boolean }) => {
      const keys = configKeys();
      if (opts.json) {
        process.stdout.write(JSON.stringify(keys, null, 2) + '\n');
        return;
      }
      for (const key of keys) {
        const def = key.defaultValue === undefined ? '(unset)' : JSON.stringify(key.defaultValue);
        process.stdout.write(`${key.path}  [${key.env}]  default ${def}\n    ${key.description}\n`);
      }
    });
}
