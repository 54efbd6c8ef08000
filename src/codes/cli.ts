// `cabine code check CODE` and `cabine code generate`: what an operator or a support agent
// runs to check a code a customer typed, or to make codes for tests.
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { openStore } from '../store/db.ts';
import { checkCode, formatCode } from './code.ts';
import { createCodeRegistry } from './registry.ts';

export function registerCodeCommands(program: Command): void {
  const code = program.command('code').description('check a typed e-photo code, generate test codes');

  code
    .command('check')
    .argument('<code...>', 'the code as typed (spaces, dashes, lower case and O/I/L/S look-alikes are accepted)')
    .option('--json', 'print {"input","normalised","valid","reason","suggestion"}')
    .description('say whether a code is well-formed and suggest the correction of one mistyped character (exit 1 if not valid)')
    .action((parts: string[], opts: { json?: boolean }) => {
      // Unquoted groups ("9CAB G8TN ...") arrive as several arguments: they are one code.
      const result = checkCode(parts.join(' '));
      if (opts.json) {
        process.stdout.write(JSON.stringify(result) + '\n');
      } else if (result.valid) {
        process.stdout.write(`valid: ${formatCode(result.normalised)}\n`);
      } else {
        const hint = result.suggestion ? `; did you mean ${formatCode(result.suggestion)}?` : '';
        process.stdout.write(`not valid: ${result.reason}${hint}\n`);
      }
      if (!result.valid) process.exitCode = 1;
    });

  code
    .command('generate')
    .option('-n, --count <n>', 'how many codes', '1')
    .option('-c, --config <file>', 'config file (YAML or JSON): operator prefix and data dir')
    .option('--json', 'print a JSON array of {"code","expires"}')
    .description('make test codes with the operator prefix, registered as not issued (never given to a customer)')
    .action((opts: { count: string; config?: string; json?: boolean }) => {
      const count = Number(opts.count);
      if (!/^\d+$/.test(opts.count) || count < 1 || count > 100000) {
        throw new Error(`--count must be a whole number from 1 to 100000, got "${opts.count}"`);
      }
      const config = loadConfig(opts.config ? { file: opts.config } : {});
      const store = openStore(config.data.dir);
      try {
        const registry = createCodeRegistry(store, { prefix: config.booth.operatorPrefix });
        const codes = registry.generateTest(count).map((c) => ({ code: c.code, expires: c.expires }));
        if (opts.json) process.stdout.write(JSON.stringify(codes, null, 2) + '\n');
        else for (const c of codes) process.stdout.write(`${formatCode(c.code)}  (test code, expires ${c.expires})\n`);
      } finally {
        store.close();
      }
    });
}
