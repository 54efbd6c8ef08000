// `cabine fleet code` and `cabine fleet refund`: support's commands over the fleet database.
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { silentLogger } from '../log.ts';
import { openCollectorStore } from './store-open.ts';
import type { CollectorStore } from './store.ts';
import { codeReport, formatReport, recordRefund } from './support.ts';

interface StoreOptions {
  data: string;
  db?: string;
}

async function withStore<T>(opts: StoreOptions, fn: (store: CollectorStore) => Promise<T>): Promise<T> {
  const store = await openCollectorStore({ db: opts.db, dataDir: opts.data, logger: silentLogger() });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const storeOptions = (cmd: Command) =>
  cmd
    .option('--data <dir>', 'directory of the SQLite fleet database (fleet.db), when no --db', 'fleet-data')
    .addOption(new Option('--db <url>', 'PostgreSQL fleet database (postgres://user@host:port/database)').env('CABINE_FLEET_DB'));

export function registerSupportCommands(fleet: Command): void {
  storeOptions(fleet.command('code'))
    .argument('<code>', 'the code as the customer gives it')
    .option('--json', 'print the report as JSON')
    .description('support: everything known of one code (booth, issued, stored, transmitted, used, paid, payment record, refund, audit)')
    .action(async (code: string, opts: StoreOptions & { json?: boolean }) => {
      const report = await withStore(opts, (store) => codeReport(store, code));
      process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      if (report.status === 'invalid' || report.status === 'unknown') process.exitCode = 1;
    });

  storeOptions(fleet.command('refund'))
    .argument('<code>', 'the code to refund')
    .requiredOption('--reason <text>', 'why (kept in the audit and the exports)')
    .option('--by <name>', 'who refunds (default support:<login>)')
    .option('--force', 'refund a code that was used')
    .option('--json', 'print the refund as JSON')
    .description('support: record a refund of a code (once; audited; shown by `fleet code` and in exports)')
    .action(async (code: string, opts: StoreOptions & { reason: string; by?: string; force?: boolean; json?: boolean }) => {
      const refund = await withStore(opts, (store) => recordRefund(store, code, { reason: opts.reason, by: opts.by ?? `support:${userInfo().username}`, force: opts.force === true }));
      process.stdout.write(opts.json ? JSON.stringify(refund) + '\n' : `refund recorded ${refund.at} by ${refund.by}: ${refund.reason}\n`);
    });
}
