// `cabine fleet ...`: the operator's tools over MQTT (status, cmd, config, ingest, export),
// fleet PKI (ca, enrol) and the booth-side key material (keygen), plus the payload schemas.
import { Option, type Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { configKeys, loadConfig, parseKeyValue, readConfigFile, setPath } from '../config/load.ts';
import { createLogger, silentLogger } from '../log.ts';
import { mosquittoAcl, mosquittoConfig, OPERATOR_CN } from './operator/broker.ts';
import { connectOperator, fleetSnapshot, pushConfig, requestCommand, type OperatorLink } from './operator/client.ts';
import { openFleetStore } from './operator/store-open.ts';
import { withStoreViews, type StatusView } from './operator/store-status.ts';
import type { FleetStore } from './operator/store-types.ts';
import { exportCodes, writeExportFile } from './operator/export.ts';
import { terminalSafe } from './operator/terminal-text.ts';
import { Ingest } from './operator/ingest.ts';
import { defaultVerifyWorkers } from './operator/verify-pool.ts';
import { createCa, createCsr, issueCertificate, signCsr } from './operator/pki.ts';
import { payloadSchemas } from './schemas.ts';
import { BOOTH_ID_RE } from './topics.ts';
import { registerSupportCommands } from '../collector/support-cli.ts';
import { purgeSchedule, startScheduledPurger, withPurgeOptions, type PurgeOptionValues } from '../collector/purge-options.ts';
import { openCollectorStore } from '../collector/store-open.ts';
import { loadOrCreateSigningKey } from './signing.ts';

interface LinkOptions {
  config?: string;
  url?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

function withLink(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file whose fleet.url / caFile / certFile / keyFile are the operator\'s link')
    .option('--url <url>', 'broker URL (mqtt:// or mqtts://); default fleet.url')
    .option('--ca <file>', 'CA certificate of the broker (PEM)')
    .option('--cert <file>', 'operator client certificate (PEM)')
    .option('--key <file>', 'operator client key (PEM)');
}

function linkFrom(opts: LinkOptions): OperatorLink {
  const config = loadConfig(opts.config ? { file: opts.config } : {});
  const url = opts.url ?? config.fleet.url;
  if (!url) throw new Error('no broker: give --url or set fleet.url (config file or CABINE_FLEET_URL)');
  if (!/^mqtts?:\/\//.test(url)) throw new Error(`--url must be mqtt:// or mqtts://, got "${url}"`);
  return { url, caFile: opts.ca ?? config.fleet.caFile, certFile: opts.cert ?? config.fleet.certFile, keyFile: opts.key ?? config.fleet.keyFile };
}

const seconds = (text: string, what: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 86400) throw new Error(`${what} must be a number of seconds, got "${text}"`);
  return n;
};

const dbOption = () =>
  new Option('--db <url>', 'PostgreSQL fleet database (postgres://user@host:port/database); default: the SQLite file fleet.db under --data').env('CABINE_FLEET_DB');
const dataDirOption = (cmd: Command) => cmd.option('--data <dir>', 'directory of the SQLite fleet database (fleet.db), when no --db', 'fleet-data').addOption(dbOption());

interface StoreOptions {
  data: string;
  db?: string;
}

/** Opens the store the options name, runs `fn`, closes it. */
async function withStore<T>(opts: StoreOptions, fn: (store: FleetStore) => Promise<T>, logger = silentLogger()): Promise<T> {
  const store = await openFleetStore({ db: opts.db, dataDir: opts.data, logger });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function registerFleetCommands(program: Command): void {
  const fleet = program.command('fleet').description('operator tooling over MQTT: presence, commands, config, ingest of records, export, enrolment');

  withLink(fleet.command('status'))
    .option('--wait <seconds>', 'how long to gather retained status and telemetry', '1.5')
    .option('--json', 'print a JSON array of {booth, status, telemetry[, store]}')
    .option('--data <dir>', 'also show what the SQLite fleet database there holds of each booth (enrolled, records, codes)')
    .addOption(dbOption())
    .description("show every booth's presence and last telemetry (and, with --data or --db, what the fleet database holds of it)")
    .action(async (opts: LinkOptions & { wait: string; json?: boolean; data?: string; db?: string }) => {
      const link = linkFrom(opts);
      const store = opts.db || opts.data ? await openFleetStore({ db: opts.db, dataDir: opts.data ?? '.' }) : undefined;
      try {
        const conn = await connectOperator(link, silentLogger(), 'status');
        let views: StatusView[];
        try {
          views = await fleetSnapshot(conn, seconds(opts.wait, '--wait') * 1000);
        } finally {
          await conn.stop();
        }
        if (store) views = await withStoreViews(views, store);
        if (opts.json) {
          process.stdout.write(JSON.stringify(views, null, 2) + '\n');
          return;
        }
        if (views.length === 0) process.stdout.write('no booth has reported yet\n');
        for (const v of views) {
          const s = v.status;
          const tel = v.telemetry;
          const sales = s?.status?.sales ? (s.status.sales.enabled ? 'selling' : `not selling (${s.status.sales.reason ?? 'no reason'})`) : '';
          const figures = tel
            ? `sessions ${tel.counters.sessions.completed}, revenue ${(tel.counters.revenueCents / 100).toFixed(2)} EUR${tel.counters.refundsOwed?.count ? `, OWED ${(tel.counters.refundsOwed.cents / 100).toFixed(2)} EUR in ${tel.counters.refundsOwed.count} refund claims` : ''}, outbox ${tel.outbox.depth}, media ${tel.counters.printer.mediaLeft ?? '?'}, disk ${tel.host.diskFreeMb ?? '?'} MB free, CPU ${tel.host.cpuTempC ?? '?'} C, at ${tel.at}`
            : 'no telemetry';
          // every value here comes from a booth: printed with its control characters escaped
          process.stdout.write(`${terminalSafe(`${v.booth}  ${s?.state ?? 'unknown'}${s?.version ? ` v${s.version}` : ''}  ${sales}`)}\n    ${terminalSafe(figures)}\n`);
          const st = v.store;
          if (st) {
            const held = `${st.records} records, ${st.codes} codes${st.lastRecordAt ? `, last record ${st.lastRecordAt}` : ''}`;
            process.stdout.write(`    ${terminalSafe(`${st.enrolled ? `enrolled (key ${st.keyId ?? '?'})` : 'NOT ENROLLED'}, ${held}`)}\n`);
          }
        }
      } finally {
        await store?.close();
      }
    });

  withLink(fleet.command('cmd'))
    .argument('<booth>', 'booth id')
    .argument('<name>', 'ping, status, telemetry, set-price, sales, print-test, outbox-flush, reboot, update')
    .argument('[args]', 'arguments as JSON, e.g. \'{"cents":900}\'')
    .option('--timeout <seconds>', 'how long to wait for the answer', '10')
    .description('send a command to a booth and print its answer (exit 1 on an error answer)')
    .action(async (booth: string, name: string, args: string | undefined, opts: LinkOptions & { timeout: string }) => {
      const conn = await connectOperator(linkFrom(opts), silentLogger(), 'cmd');
      try {
        const response = await requestCommand(conn, booth, name, args ?? '', seconds(opts.timeout, '--timeout') * 1000);
        process.stdout.write(JSON.stringify(response, null, 2) + '\n');
        if (!response.ok) process.exitCode = 1;
      } finally {
        await conn.stop();
      }
    });

  withLink(fleet.command('rollout'))
    .requiredOption('--bundle-url <url>', 'where the booths download the signed bundle (http:// or https://)')
    .requiredOption('--release <version>', 'the release the bundle carries')
    .option('--sha256 <hex>', 'SHA-256 of the bundle file')
    .option('--bundle <file>', 'the bundle file itself: its SHA-256 is computed (instead of --sha256)')
    .option('--fraction <f>', 'share of the online booths on another release to update (0 < f <= 1)', '0.1')
    .option('--prefix <text>', 'only booths whose id starts with this')
    .option('--max-failures <n>', 'stop asking further booths after this many failures', '1')
    .option('--parallel <n>', 'booths updating at the same time', '1')
    .option('--timeout <seconds>', 'per booth: from the command to the new release healthy', '900')
    .option('--json', 'print the result as JSON')
    .description('roll a signed release out to a fraction of the fleet, stopping after a number of failures (exit 1 on any failure)')
    .action(async (opts: LinkOptions & { bundleUrl: string; release: string; sha256?: string; bundle?: string; fraction: string; prefix?: string; maxFailures: string; parallel: string; timeout: string; json?: boolean }) => {
      const { rollout } = await import('./operator/rollout.ts');
      const { commandArgs } = await import('./schemas.ts');
      let sha256 = opts.sha256;
      if (opts.bundle) {
        const { createHash } = await import('node:crypto');
        const { createReadStream } = await import('node:fs');
        const hash = createHash('sha256');
        for await (const chunk of createReadStream(opts.bundle)) hash.update(chunk as Buffer);
        sha256 = hash.digest('hex');
      }
      if (!sha256) throw new Error('give --sha256 or --bundle');
      const release = commandArgs.update.safeParse({ url: opts.bundleUrl, sha256, version: opts.release });
      if (!release.success) throw new Error(`invalid release: ${release.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const count = (text: string, what: string) => {
        const n = Number(text);
        if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`${what} must be an integer from 1 to 1000, got "${text}"`);
        return n;
      };
      const conn = await connectOperator(linkFrom(opts), silentLogger(), 'rollout');
      try {
        const result = await rollout(conn, {
          release: release.data,
          fraction: Number(opts.fraction),
          ...(opts.prefix ? { prefix: opts.prefix } : {}),
          maxFailures: count(opts.maxFailures, '--max-failures'),
          parallel: count(opts.parallel, '--parallel'),
          timeoutMs: seconds(opts.timeout, '--timeout') * 1000,
          log: (line) => process.stderr.write(`${terminalSafe(line)}\n`),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        else {
          process.stdout.write(
            [
              `release ${result.version}: ${result.updated.length} updated, ${result.failed.length} failed, ${result.busy.length} busy, ${result.notAsked.length} not asked${result.stopped ? ' (stopped)' : ''}, ${result.left.length} left for later`,
              ...result.failed.map((f) => terminalSafe(`  FAILED ${f.booth}: ${f.reason}`)),
            ].join('\n') + '\n',
          );
        }
        if (result.failed.length > 0) process.exitCode = 1;
      } finally {
        await conn.stop();
      }
    });

  withLink(fleet.command('config'))
    .argument('<booth>', 'booth id')
    .argument('[settings...]', 'key=value pairs (payment.priceCents=900)')
    .option('--file <file>', 'partial config (YAML or JSON) to merge with the key=value pairs')
    .option('--rev <rev>', 'revision label (default: now)')
    .option('--timeout <seconds>', 'how long to wait for the booth\'s report', '10')
    .description('publish a desired config (retained) and print what the booth applied or refused (exit 1 unless all applied)')
    .action(async (booth: string, settings: string[], opts: LinkOptions & { file?: string; rev?: string; timeout: string }) => {
      const partial: Record<string, unknown> = opts.file ? readConfigFile(opts.file) : {};
      const keys = new Map(configKeys().map((k) => [k.path, k]));
      for (const setting of settings) {
        const eq = setting.indexOf('=');
        if (eq <= 0) throw new Error(`"${setting}" is not key=value`);
        const path = setting.slice(0, eq);
        const key = keys.get(path);
        if (!key) throw new Error(`unknown config key "${path}" (see \`cabine config keys\`)`);
        setPath(partial, path, parseKeyValue(key, setting.slice(eq + 1)));
      }
      if (Object.keys(partial).length === 0) throw new Error('nothing to set: give key=value pairs or --file');
      const conn = await connectOperator(linkFrom(opts), silentLogger(), 'config');
      try {
        const report = await pushConfig(conn, booth, partial, seconds(opts.timeout, '--timeout') * 1000, opts.rev ?? new Date().toISOString());
        if (!report) {
          process.stdout.write(`booth ${booth} has not reported yet; the desired config is retained and applies when it connects\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        if (!report.ok) process.exitCode = 1;
      } finally {
        await conn.stop();
      }
    });

  withPurgeOptions(
    dataDirOption(withLink(fleet.command('ingest')))
      .option('--group <name>', 'shared-subscription group (several ingests split the load)', 'ingest')
      .option('--seconds <n>', 'stop after this long (default: until SIGINT/SIGTERM)')
      .option('--workers <n>', 'threads verifying signatures (0: on the main thread); default one per core'),
  )
    .description('receive every booth\'s records, verify their signatures, store them once by id, acknowledge them; purge photos and signatures past their time')
    .action(async (opts: LinkOptions & StoreOptions & PurgeOptionValues & { group: string; seconds?: string; workers?: string }) => {
      const workers = opts.workers === undefined ? defaultVerifyWorkers() : Number(opts.workers);
      if (!Number.isInteger(workers) || workers < 0 || workers > 256) throw new Error(`--workers must be 0 to 256, got "${opts.workers}"`);
      const schedule = purgeSchedule(opts);
      const logger = createLogger().child({ module: 'cli' });
      const link = linkFrom(opts);
      // The collector's view of the same database: the ingest purges too, so an operator who
      // only ingests (and exports) still keeps photos and signatures no longer than they must.
      const store = await openCollectorStore({ db: opts.db, dataDir: opts.data, logger });
      try {
        const db = store.fleet;
        const conn = await connectOperator(link, logger, 'ingest');
        const ingest = new Ingest(db, conn, logger, { group: opts.group, workers });
        ingest.start();
        const purger = startScheduledPurger(store, schedule, logger);
        logger.info({ db: db.location, booths: (await db.booths()).length, workers, purgeEverySeconds: (schedule.everyMs ?? 0) / 1000 }, 'ingest running');
        await new Promise<void>((done) => {
          const stop = () => done();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          if (opts.seconds) setTimeout(stop, seconds(opts.seconds, '--seconds') * 1000);
        });
        await purger?.stop();
        await ingest.stop();
        await conn.stop();
        process.stdout.write(JSON.stringify({ ...ingest.getStats(), ...(await db.counts()) }) + '\n');
      } finally {
        await store.close();
      }
    });

  dataDirOption(fleet.command('export'))
    .option('--format <format>', 'csv or json', 'csv')
    .option('--since <iso>', 'codes issued from this time')
    .option('--booth <id>', 'one booth only')
    .option('--files <dir>', 'also write each code\'s photo and signature there')
    .option('--out <file>', 'write to this file instead of stdout')
    .description('write the issued codes for the back-office (CSV or JSON)')
    .action(async (opts: StoreOptions & { format: string; since?: string; booth?: string; files?: string; out?: string }) => {
      const format = z.enum(['csv', 'json']).safeParse(opts.format);
      if (!format.success) throw new Error(`--format must be csv or json, got "${opts.format}"`);
      const store = await openCollectorStore({ db: opts.db, dataDir: opts.data });
      let text: string;
      try {
        text = await exportCodes(store.fleet, {
          format: format.data,
          refunds: await store.refunds(),
          ...(opts.since ? { since: opts.since } : {}),
          ...(opts.booth ? { booth: opts.booth } : {}),
          ...(opts.files ? { filesDir: resolve(opts.files) } : {}),
        });
      } finally {
        await store.close();
      }
      if (opts.out) writeExportFile(opts.out, text);
      else process.stdout.write(text);
    });

  dataDirOption(fleet.command('enrol'))
    .requiredOption('--booth <id>', 'booth id (must be the CN of the CSR)')
    .requiredOption('--csr <file>', 'the booth\'s certificate signing request (PEM)')
    .requiredOption('--signing-key <file>', 'the booth\'s Ed25519 record-signing public key (PEM)')
    .requiredOption('--ca-dir <dir>', 'fleet CA directory (ca.crt, ca.key), as made by `cabine fleet ca`')
    .option('--out <file>', 'where to write the booth certificate', '<booth>.crt')
    .option('--days <n>', 'certificate validity', '825')
    .option('--json', 'print {"booth","certificate","serial","keyId"}')
    .description('sign a booth\'s CSR with the fleet CA and register its record-signing key')
    .action(async (opts: StoreOptions & { booth: string; csr: string; signingKey: string; caDir: string; out: string; days: string; json?: boolean }) => {
      // The id first: a booth id has no dot, so no booth can be enrolled as an operator identity.
      if (!BOOTH_ID_RE.test(opts.booth)) throw new Error(`--booth "${opts.booth}" is not a booth id (letters, digits, - and _, at most 64, no dot)`);
      const out = resolve(opts.out === '<booth>.crt' ? `${opts.booth}.crt` : opts.out);
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error(`--days must be 1 to 3650, got "${opts.days}"`);
      const pem = readFileSync(opts.signingKey, 'utf8');
      await withStore(opts, async (db) => {
        const ca = { certFile: join(opts.caDir, 'ca.crt'), keyFile: join(opts.caDir, 'ca.key') };
        // Signed in memory; the certificate reaches the disk only once the booth is enrolled.
        const { serial, certPem } = signCsr({ ca, csrFile: opts.csr, usage: 'client', expectCn: opts.booth, days });
        const { keyId } = await db.enrol(opts.booth, pem, serial);
        writeFileSync(out, certPem, { mode: 0o644 });
        const result = { booth: opts.booth, certificate: out, serial, keyId };
        process.stdout.write(opts.json ? JSON.stringify(result) + '\n' : `enrolled ${opts.booth}: certificate ${out} (serial ${serial}), signing key ${keyId}\n`);
      });
    });

  fleet
    .command('ca')
    .requiredOption('--dir <dir>', 'where to create the CA, the broker and operator certificates and the Mosquitto files')
    .option('--broker-host <names...>', 'DNS names / IPs of the broker', ['localhost', '127.0.0.1'])
    .option('--port <port>', 'broker TLS port', '8883')
    .option('--bind <address>', 'address the broker listens on', '0.0.0.0')
    .description('create the fleet CA, the broker certificate, an operator certificate, mosquitto.conf and the ACL')
    .action((opts: { dir: string; brokerHost: string[]; port: string; bind: string }) => {
      const dir = resolve(opts.dir);
      const ca = createCa(join(dir, 'ca'));
      const broker = issueCertificate(ca, join(dir, 'broker'), 'broker', opts.brokerHost[0] ?? 'localhost', 'server', opts.brokerHost);
      const operator = issueCertificate(ca, join(dir, 'operator'), 'operator', OPERATOR_CN, 'client');
      const aclFile = join(dir, 'mosquitto.acl');
      writeFileSync(aclFile, mosquittoAcl());
      writeFileSync(join(dir, 'mosquitto.conf'), mosquittoConfig({ port: Number(opts.port), host: opts.bind, aclFile, tls: { caFile: ca.certFile, certFile: broker.certFile, keyFile: broker.keyFile } }));
      process.stdout.write(JSON.stringify({ ca: ca.certFile, caKey: ca.keyFile, broker, operator, mosquittoConf: join(dir, 'mosquitto.conf'), acl: aclFile }, null, 2) + '\n');
    });

  fleet
    .command('keygen')
    .option('-c, --config <file>', 'the booth\'s config file (booth.id, data.dir, fleet.*)')
    .option('--json', 'print the paths and the public key as JSON')
    .description('booth side: make the record-signing key (if absent) and a TLS key + CSR named after booth.id, for `cabine fleet enrol`')
    .action((opts: { config?: string; json?: boolean }) => {
      const config = loadConfig(opts.config ? { file: opts.config } : {});
      const signingKeyFile = config.fleet.signingKeyFile ?? join(config.data.dir, 'fleet-signing-key.pem');
      const key = loadOrCreateSigningKey(signingKeyFile);
      const publicKeyFile = join(config.data.dir, 'fleet-signing-key.pub.pem');
      writeFileSync(publicKeyFile, key.publicKeyPem);
      const tlsKey = config.fleet.keyFile ?? join(config.data.dir, 'fleet-client.key');
      const csr = join(config.data.dir, `${config.booth.id}.csr`);
      createCsr(tlsKey, csr, config.booth.id);
      const result = { booth: config.booth.id, signingKey: signingKeyFile, signingPublicKey: publicKeyFile, keyId: key.keyId, tlsKey, csr };
      process.stdout.write(opts.json ? JSON.stringify(result) + '\n' : `${JSON.stringify(result, null, 2)}\n`);
    });

  registerSupportCommands(fleet);

  fleet
    .command('schema')
    .description('print the JSON Schema of every fleet payload (docs/mqtt.md)')
    .action(() => {
      const out: Record<string, unknown> = {};
      for (const [topic, schema] of Object.entries(payloadSchemas)) out[topic] = z.toJSONSchema(schema, { unrepresentable: 'any' });
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    });
}
