// `cabine demo`: one complete simulated session, end to end, with a scripted customer,
// against the real modules on simulated devices; no broker (records wait in the outbox).
import type { Command } from 'commander';
import type { DemoOptions } from './run.ts';

export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description('run one complete simulated session with a scripted customer; prints the code and files')
    .option('--json', 'machine-readable result')
    .option('-c, --config <file>', 'config file (devices are simulated whatever it says)')
    .option('--photo <name>', 'photo the customer poses with (from the simulated camera folder)')
    .option('--verbose', 'log the booth to stderr')
    .action(async (opts: DemoOptions) => {
      const { runDemo } = await import('./run.ts');
      await runDemo(opts);
    });
}
