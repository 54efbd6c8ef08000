// `cabine start` runs the booth; `cabine devices` lists the devices and their state.
// The composition root is imported when a command runs, so other commands start fast.
import type { Command } from 'commander';
import { createLogger, silentLogger } from '../log.ts';
import { configFromOptions, type BoothCliOptions } from './options.ts';

export function registerBoothCommands(program: Command): void {
  program
    .command('start')
    .description('run the booth (with --sim: every device simulated, no hardware or broker needed)')
    .option('--sim', 'simulated devices')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: BoothCliOptions) => {
      const config = configFromOptions(opts);
      const logger = createLogger({ level: config.log.level });
      const { buildBooth } = await import('./compose.ts');
      const { createSystemdNotifier } = await import('./systemd.ts');
      const booth = await buildBooth(config, logger);
      await booth.start();
      // Listening before "ready" is said: a stop asked right after it is a clean stop.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          logger.info({ signal }, 'stopping');
          resolve();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      logger.info(
        { boothId: config.booth.id, dataDir: config.data.dir, simulated: config.hal.simulated, devices: booth.devices.length, screen: booth.uiUrl(), selling: booth.unavailable() ?? 'yes' },
        'ready',
      );
      // The update health gate reads which release came up (src/update/ready.ts).
      const { writeReadyFile } = await import('../update/ready.ts');
      writeReadyFile(config.data.dir, booth.unavailable() ?? 'yes');
      const systemd = createSystemdNotifier(logger);
      await systemd.ready(`booth ${config.booth.id} ready`);
      // The watchdog is fed only while the main loop keeps ticking (1 s period).
      const watchdog = systemd.watchdogIntervalMs
        ? setInterval(() => void systemd.watchdog(booth.lastTick(), 5000), systemd.watchdogIntervalMs)
        : undefined;
      await stopped;
      if (watchdog) clearInterval(watchdog);
      await systemd.stopping();
      await booth.stop();
      systemd.close();
      logger.info('stopped');
      logger.flush();
    });

  program
    .command('devices')
    .description('list each device, its driver (real or simulated) and its state')
    .option('--sim', 'simulated devices')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--json', 'machine-readable output')
    .action(async (opts: BoothCliOptions & { json?: boolean }) => {
      const config = configFromOptions(opts);
      const { buildBooth } = await import('./compose.ts');
      const booth = await buildBooth(config, silentLogger(), { ui: false, control: false });
      try {
        await booth.start();
        const rows = booth.devices.map((d) => ({ name: d.name, driver: d.driver, simulated: d.simulated, ...d.status() }));
        if (opts.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        } else {
          for (const row of rows) {
            const kind = row.simulated ? 'simulated' : 'real';
            process.stdout.write(`${row.name.padEnd(13)} ${row.driver.padEnd(28)} ${kind.padEnd(9)} ${row.health}${row.detail ? `: ${row.detail}` : ''}\n`);
          }
        }
      } finally {
        await booth.stop();
      }
    });
}
