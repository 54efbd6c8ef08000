// `cabine collector`: the operator's e-photo service on the fleet store (see docs/collector.md).
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { numberUpTo } from '../args.ts';
import { createLogger } from '../log.ts';
import { purgeSchedule, startScheduledPurger, withPurgeOptions, type PurgeOptionValues } from './purge-options.ts';
import { startPusher } from './push.ts';
import { buildCollectorServer } from './server.ts';
import { openCollectorStore } from './store-open.ts';

interface CollectorOptions extends PurgeOptionValues {
  data: string;
  db?: string;
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  insecureHttp?: boolean;
  pullPerMinute: string;
  statusPerMinute: string;
  requestTimeout: string;
  pushUrl?: string;
  pushEvery: string;
  seconds?: string;
}

/** HOST:PORT (IPv6 in brackets). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || port > 65535) throw new Error(`--listen must be HOST:PORT (e.g. 0.0.0.0:8443), got "${text}"`);
  return { host: (m[1] ?? m[2]) as string, port };
}

export function registerCollectorCommands(program: Command): void {
  const collector = program
    .command('collector')
    .description("the operator's e-photo service: pull API for the state's systems (client certificates), public code status, purge")
    .option('--data <dir>', 'directory of the SQLite fleet database (fleet.db), when no --db', 'fleet-data')
    .addOption(new Option('--db <url>', 'PostgreSQL fleet database (postgres://user@host:port/database)').env('CABINE_FLEET_DB'))
    .option('--listen <host:port>', 'where to listen', '127.0.0.1:8443')
    .option('--tls-cert <file>', 'server certificate (PEM)')
    .option('--tls-key <file>', 'server key (PEM)')
    .option('--client-ca <file>', 'CA whose client certificates may pull e-photos (PEM)')
    .option('--insecure-http', 'plain HTTP, clients named by address: local tests only')
    .option('--pull-per-minute <n>', 'pull calls allowed per client per minute', '600')
    .option('--status-per-minute <n>', 'status look-ups allowed per address per minute', '60');
  withPurgeOptions(collector)
    .option('--request-timeout <seconds>', 'longest a request may take to arrive whole (slow clients are cut off)', '10')
    .option('--push-url <url>', 'also push every new code to this collector (POST, Idempotency-Key = the code)')
    .option('--push-every <seconds>', 'how often the push queue runs', '5')
    .option('--seconds <n>', 'stop after this long (default: until SIGINT/SIGTERM)')
    .action(async (opts: CollectorOptions) => {
      const logger = createLogger().child({ module: 'cli' });
      const { host, port } = parseListen(opts.listen);
      const tlsFiles = [opts.tlsCert, opts.tlsKey, opts.clientCa];
      if (!opts.insecureHttp && tlsFiles.some((f) => !f)) throw new Error('give --tls-cert, --tls-key and --client-ca (or --insecure-http for a local test)');
      if (opts.insecureHttp && tlsFiles.some(Boolean)) throw new Error('--insecure-http and TLS files exclude each other');
      const tls = opts.insecureHttp
        ? undefined
        : { cert: readFileSync(opts.tlsCert as string), key: readFileSync(opts.tlsKey as string), clientCa: readFileSync(opts.clientCa as string) };
      if (opts.pushUrl && !/^https?:\/\//.test(opts.pushUrl)) throw new Error(`--push-url must be http:// or https://, got "${opts.pushUrl}"`);
      const schedule = purgeSchedule(opts);
      const store = await openCollectorStore({ db: opts.db, dataDir: opts.data, logger });
      try {
        const app = await buildCollectorServer({
          store,
          logger,
          ...(tls ? { tls } : { insecureHttp: true }),
          pullPerMinute: numberUpTo(opts.pullPerMinute, '--pull-per-minute', 1e9),
          statusPerMinute: numberUpTo(opts.statusPerMinute, '--status-per-minute', 1e9),
          requestTimeoutMs: Math.max(0.1, numberUpTo(opts.requestTimeout, '--request-timeout', 600)) * 1000,
        });
        const url = await app.listen({ host, port });
        const purger = startScheduledPurger(store, schedule, logger);
        const pusher = opts.pushUrl
          ? startPusher(store, { target: { url: opts.pushUrl }, everyMs: Math.max(0.1, numberUpTo(opts.pushEvery, '--push-every', 86400)) * 1000, logger })
          : undefined;
        process.stdout.write(JSON.stringify({ listening: url, store: store.kind, tls: Boolean(tls) }) + '\n');
        logger.info({ url, store: store.kind }, 'collector running');
        await new Promise<void>((done) => {
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
          if (opts.seconds) setTimeout(done, numberUpTo(opts.seconds, '--seconds', 86400 * 365) * 1000).unref();
        });
        await pusher?.stop();
        await purger?.stop();
        await app.close();
      } finally {
        await store.close();
      }
    });
}
