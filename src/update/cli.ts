// `cabine update build|apply|status|rollback|selftest|keygen`: signed releases installed
// without internet, switched behind a health gate, rolled back by themselves (docs/deploy.md).
import type { Command } from 'commander';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

interface UpdaterCliOptions {
  root: string;
  data?: string;
  config?: string;
  key: string;
  timeout: string;
  stopCmd: string;
  startCmd: string;
  crashedCmd: string;
  json?: boolean;
}

async function updaterOf(opts: UpdaterCliOptions, needKey = true) {
  const { Updater } = await import('./updater.ts');
  const { loadPublicKey } = await import('./bundle.ts');
  const { loadConfig } = await import('../config/load.ts');
  const seconds = Number(opts.timeout);
  if (!Number.isInteger(seconds) || seconds < 5 || seconds > 3600) throw new Error('--timeout must be 5 to 3600 seconds');
  const dataDir = opts.data ?? loadConfig(opts.config ? { file: opts.config } : {}).data.dir;
  return new Updater({
    root: resolve(opts.root), dataDir: resolve(dataDir), ...(needKey || existsSync(opts.key) ? { publicKey: loadPublicKey(opts.key) } : {}),
    stopCommand: opts.stopCmd, startCommand: opts.startCmd, crashedCommand: opts.crashedCmd, healthTimeoutMs: seconds * 1000,
    log: (line) => process.stderr.write(`update: ${line}\n`),
  });
}

function withUpdaterOptions(cmd: Command): Command {
  return cmd
    .option('--root <dir>', 'releases root (current and previous links, releases/)', process.env.CABINE_UPDATE_ROOT ?? '/opt/cabine-releases')
    .option('--data <dir>', 'data dir of the booth (default: data.dir of the config)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--key <file>', "the operator's release public key (Ed25519, PEM)", '/etc/cabine/release-signing.pub.pem')
    .option('--timeout <seconds>', 'health gate: time for the new release to be ready and pass its self-test', '180')
    .option('--stop-cmd <cmd>', 'command stopping the booth', 'systemctl stop cabine.service')
    .option('--start-cmd <cmd>', 'command starting the booth', 'systemctl start cabine.service')
    // systemd counts automatic restarts since the last explicit start: one means a crash.
    .option('--crashed-cmd <cmd>', 'command exiting 0 once the booth crashed since it was started', 'systemctl is-failed --quiet cabine.service || [ "$(systemctl show -p NRestarts --value cabine.service)" != 0 ]')
    .option('--json', 'machine-readable output');
}

export function registerUpdateCommands(program: Command): void {
  const update = program.command('update').description('signed release updates, health-gated, with rollback');

  update
    .command('keygen')
    .description("make the operator's release signing key pair (keep the private key off the booths)")
    .requiredOption('--out <prefix>', 'writes PREFIX.pem (private, 0600) and PREFIX.pub.pem')
    .action((opts: { out: string }) => {
      if (existsSync(`${opts.out}.pem`)) throw new Error(`${opts.out}.pem exists: not overwritten`);
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      writeFileSync(`${opts.out}.pem`, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      writeFileSync(`${opts.out}.pub.pem`, publicKey.export({ type: 'spki', format: 'pem' }));
      process.stdout.write(`${opts.out}.pem ${opts.out}.pub.pem\n`);
    });

  update
    .command('build')
    .description('pack an application tree (with node_modules built for the board, and models) into a signed bundle')
    .requiredOption('--from <dir>', 'application tree')
    .requiredOption('--release <version>', 'release version (letters, digits, . _ + -)')
    .requiredOption('--key <file>', "the operator's release private key (Ed25519, PEM)")
    .requiredOption('-o, --out <file>', 'bundle file')
    .action(async (opts: { from: string; release: string; key: string; out: string }) => {
      const { buildBundle } = await import('./bundle.ts');
      const header = buildBundle({ fromDir: resolve(opts.from), version: opts.release, keyFile: opts.key, out: resolve(opts.out) });
      process.stdout.write(`${opts.out}: release ${header.version}, payload ${header.payloadBytes} bytes, sha256 ${header.payloadSha256}\n`);
    });

  withUpdaterOptions(update.command('apply').argument('<bundle>', 'signed release bundle'))
    .description('verify, install and switch to a release; rolls back by itself if it fails the health gate (exit 1)')
    .action(async (bundle: string, opts: UpdaterCliOptions) => {
      const state = await (await updaterOf(opts)).apply(resolve(bundle));
      process.stdout.write(opts.json ? `${JSON.stringify(state)}\n` : `${state.phase}: ${state.from ?? '(none)'} -> ${state.to}${state.reason ? ` (${state.reason})` : ''}\n`);
      if (state.phase !== 'done') process.exitCode = 1;
    });

  withUpdaterOptions(update.command('apply-request'))
    .description('apply the release the booth staged for the fleet (cabine-update.service, started by cabine-update.path); the outcome goes to the booth\'s telemetry')
    .action(async (opts: UpdaterCliOptions) => {
      const updater = await updaterOf(opts, false);
      const { takeRequest, pendingRequest } = await import('./request.ts');
      if (!pendingRequest(updater.dataDir)) {
        process.stdout.write('no update request\n');
        return;
      }
      let version = 'unknown';
      let bundle: string | undefined;
      let state;
      try {
        const request = takeRequest(updater.dataDir);
        ({ version, bundlePath: bundle } = request);
        state = await (await updaterOf(opts)).apply(request.bundlePath, request.version);
      } catch (err) {
        // Refused before the switch (bad bundle, no key...): recorded so the booth reports it.
        state = updater.recordFailure(version, (err as Error).message);
      } finally {
        if (bundle) rmSync(bundle, { force: true });
      }
      process.stdout.write(opts.json ? `${JSON.stringify(state)}\n` : `${state.phase}: ${state.from ?? '(none)'} -> ${state.to}${state.reason ? ` (${state.reason})` : ''}\n`);
      if (state.phase !== 'done') process.exitCode = 1;
    });

  withUpdaterOptions(update.command('status'))
    .description('current and previous release, and the last update')
    .action(async (opts: UpdaterCliOptions) => {
      const view = await updaterOf(opts, false);
      const status = { current: view.version('current'), previous: view.version('previous'), releases: view.releases(), last: view.state() };
      process.stdout.write(opts.json ? `${JSON.stringify(status)}\n` : [
        `current   ${status.current ?? '-'}`, `previous  ${status.previous ?? '-'}`, `releases  ${status.releases.join(', ') || '-'}`,
        `last      ${status.last ? `${status.last.phase}: ${status.last.from ?? '(none)'} -> ${status.last.to} at ${status.last.endedAt ?? status.last.startedAt}${status.last.reason ? ` (${status.last.reason})` : ''}` : '-'}`,
      ].join('\n') + '\n');
    });

  withUpdaterOptions(update.command('rollback'))
    .description('go back to the previous release (database restored from the copy taken before it was left)')
    .action(async (opts: UpdaterCliOptions) => {
      const state = await (await updaterOf(opts)).rollback();
      process.stdout.write(opts.json ? `${JSON.stringify(state)}\n` : `${state.phase}: ${state.from ?? '-'} -> ${state.to}\n`);
      if (state.phase !== 'rolled-back') process.exitCode = 1;
    });

  update
    .command('selftest')
    .description("this release's self-test against the running booth (used by the health gate)")
    .requiredOption('--data <dir>', 'data dir of the booth')
    .action(async (opts: { data: string }) => {
      const { selfTest } = await import('./selftest.ts');
      const problems = await selfTest(resolve(opts.data));
      for (const p of problems) process.stderr.write(`selftest: ${p}\n`);
      if (problems.length) process.exitCode = 1;
      else process.stdout.write(`selftest: ok (${join(resolve(opts.data), 'ready.json')})\n`);
    });
}
