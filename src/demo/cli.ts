// `cabine demo`: one complete simulated session, end to end, with a scripted customer,
// against the real modules on simulated devices; with no broker unless fleet.url is set (then
// its records go there and the demo waits until the fleet acknowledges them).
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
    .option('--fleet-wait <seconds>', 'with fleet.url: how long to wait for the fleet to acknowledge the records', '60')
    .action(async (opts: DemoOptions) => {
      const { runDemo } = await import('./run.ts');
      await runDemo(opts);
    });
}
