// The `cabine` command. Each area of the product registers its own subcommands
// (`register*Commands(program)`) so this file stays a table of contents.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerBoothCommands } from './booth/cli.ts';
import { registerConfigCommands } from './config/cli.ts';
import { registerDemoCommands } from './demo/cli.ts';
import { registerCodeCommands } from './codes/cli.ts';
import { registerPrintCommands } from './print/cli.ts';
import { registerVisionCommands } from './vision/cli.ts';
import { registerModelCommands } from './vision/models-cli.ts';
import { registerUpdateCommands } from './update/cli.ts';
import { registerPaymentCommands } from './payment/cli.ts';
import { registerConsoleCommands } from './console/cli.ts';
import { registerFleetCommands } from './fleet/cli.ts';
import { registerCollectorCommands } from './collector/cli.ts';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('cabine')
    .description('Cabine: firmware of an e-photo ID booth (photo + signature + ANTS code)')
    .version(version(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  registerBoothCommands(program);
  registerConfigCommands(program);
  registerDemoCommands(program);
  registerCodeCommands(program);
  registerPrintCommands(program);
  registerVisionCommands(program);
  registerModelCommands(program);
  registerUpdateCommands(program);
  registerPaymentCommands(program);
  registerConsoleCommands(program);
  registerFleetCommands(program);
  registerCollectorCommands(program);
  return program;
}

/** Runs the CLI; errors end the process with a message, never a stack trace for bad input. */
export async function main(argv: readonly string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with exit code 0.
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`cabine: ${(err as Error).message}\n`);
    process.exitCode = typeof (err as { exitCode?: unknown }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
  }
}
