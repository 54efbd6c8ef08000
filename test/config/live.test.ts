// Live settings (src/config/live.ts): validated changes saved in the overlay under data.dir,
// in force now or at the next start, the overlay winning over the config file.
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { openLiveSettings } from '../../src/config/live.ts';
import { loadConfig, validateConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';

const logger = silentLogger();
function fresh(t: Test, extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-live-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return validateConfig({ data: { dir }, ...extra });
}

t.test('live keys are in force at once, others saved for the restart, bad ones refused by name', async (t) => {
  const base = fresh(t);
  const settings = openLiveSettings(base, { logger });
  const heard: string[][] = [];
  settings.subscribe((keys) => heard.push(keys));
  const report = settings.apply(
    [
      { key: 'payment.priceCents', value: 950 },
      { key: 'session.maxRetakes', value: 2 },
      { key: 'ui.volume', value: 40 },
      { key: 'ui.port', value: 'eighty' },
      { key: 'no.such', value: 1 },
      { key: 'data.dir', value: '/elsewhere' },
    ],
    'test',
  );
  t.same(report.applied, [{ key: 'payment.priceCents', value: 950 }, { key: 'session.maxRetakes', value: 2 }]);
  t.same(report.atRestart, [{ key: 'ui.volume', value: 40 }]);
  const reasons = Object.fromEntries(report.refused.map((r) => [r.key, r.reason]));
  t.match(reasons['ui.port'], /ui\.port.*got "eighty"/);
  t.match(reasons['no.such'], /unknown key/);
  t.match(reasons['data.dir'], /locates the settings overlay/);
  t.equal(settings.current().payment.priceCents, 950);
  t.equal(settings.current().ui.volume, 70, 'not in force before the restart');
  t.same(settings.pending(), { 'ui.volume': 40 });
  t.same(heard, [['payment.priceCents', 'session.maxRetakes']], 'listeners hear what came into force');

  const file = JSON.parse(readFileSync(settings.overlayFile, 'utf8')) as unknown;
  t.same(file, { version: 1, settings: { 'payment.priceCents': 950, 'session.maxRetakes': 2, 'ui.volume': 40 } });

  // The next start: file + environment under the overlay.
  const restarted = openLiveSettings(base, { logger });
  t.equal(restarted.current().payment.priceCents, 950);
  t.equal(restarted.current().ui.volume, 40);
  t.same(restarted.pending(), {});
  // Setting a key to what is in force is applied (nothing to wait for), and nothing is heard.
  const again = restarted.apply([{ key: 'ui.volume', value: 40 }], 'test');
  t.same(again.applied, [{ key: 'ui.volume', value: 40 }]);
  t.same(again.atRestart, []);
});

t.test('an overlay value that is no longer valid is dropped at start, the others kept', async (t) => {
  const base = fresh(t);
  writeFileSync(join(base.data.dir, 'settings.json'), JSON.stringify({ version: 1, settings: { 'payment.priceCents': 3, 'ui.volume': 30, 'gone.key': true } }));
  const settings = openLiveSettings(base, { logger });
  t.equal(settings.current().payment.priceCents, 800, 'the invalid price falls back to the config file');
  t.equal(settings.current().ui.volume, 30);
  t.same(settings.dropped.map((d) => d.key).sort(), ['gone.key', 'payment.priceCents']);
});

t.test('an unreadable overlay is set aside and the booth starts on its config file', async (t) => {
  const base = fresh(t);
  writeFileSync(join(base.data.dir, 'settings.json'), '{"version": 1, "settings": {"payment.price');
  const settings = openLiveSettings(base, { logger });
  t.equal(settings.current().payment.priceCents, 800);
  t.ok(readdirSync(base.data.dir).some((f) => f.startsWith('settings.json.unreadable-')), 'kept aside for a technician');
  t.notOk(existsSync(join(base.data.dir, 'settings.json')));
  t.same(settings.apply([{ key: 'payment.priceCents', value: 700 }], 'test').applied, [{ key: 'payment.priceCents', value: 700 }]);
});

t.test('a failed save refuses the change and leaves the price in force as it was', async (t) => {
  const base = fresh(t);
  const settings = openLiveSettings(base, {
    logger,
    write: () => {
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    },
  });
  const report = settings.apply([{ key: 'payment.priceCents', value: 950 }], 'test');
  t.same(report.applied, []);
  t.match(report.refused[0]?.reason, /cannot save.*ENOSPC/);
  t.equal(settings.current().payment.priceCents, 800);
});

t.test('console `config set` as an unprivileged user on a root-owned config file', { skip: process.getuid?.() !== 0 ? 'needs root to make the root-owned file' : false }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cabine-etc-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  chmodSync(root, 0o755);
  const dataDir = join(root, 'var');
  mkdirSync(dataDir);
  chownSync(dataDir, 65534, 65534);
  const configFile = join(root, 'config.yaml');
  const text = `# provisioned\nbooth:\n  id: ETC-1\ndata:\n  dir: ${dataDir}\n`;
  writeFileSync(configFile, text, { mode: 0o644 });
  const child = join(import.meta.dirname, 'fixtures/config-set-child.ts');
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', child, configFile, 'payment.priceCents', '990'], { uid: 65534, gid: 65534, cwd: join(import.meta.dirname, '../..'), env: { PATH: process.env.PATH ?? '', HOME: dataDir } });
  const out = JSON.parse(stdout) as { uid: number; configWritable: boolean; result: { applied: string; persisted: string }; price: number };
  t.equal(out.uid, 65534);
  t.equal(out.configWritable, false, 'control: the child cannot write the config file');
  t.equal(out.result.applied, 'live');
  t.match(out.result.persisted, /settings\.json/);
  t.equal(out.price, 990);
  t.equal(readFileSync(configFile, 'utf8'), text, 'config file untouched');
  t.equal(openLiveSettings(loadConfig({ file: configFile, env: {} }), { logger }).current().payment.priceCents, 990, 'the next start reads it');
});
