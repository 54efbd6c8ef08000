import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, configKeys, envNameOf, loadConfig } from '../../src/config/load.ts';

const dir = mkdtempSync(join(tmpdir(), 'cabine-config-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

t.test('no file: every key has a default', async (t) => {
  const config = loadConfig({ env: {} });
  t.equal(config.booth.id, 'SIM-0001');
  t.equal(config.payment.priceCents, 800);
  t.equal(config.ui.port, 8080);
  t.equal(config.fleet.url, undefined, 'no fleet unless configured');
  t.ok(config.data.dir.startsWith('/'), 'data dir is made absolute');
});

t.test('environment names follow CABINE_<PATH> in upper snake case', async (t) => {
  t.equal(envNameOf('payment.priceCents'), 'CABINE_PAYMENT_PRICE_CENTS');
  t.equal(envNameOf('fleet.url'), 'CABINE_FLEET_URL');
  t.equal(envNameOf('printer.uri'), 'CABINE_PRINTER_URI');
  const names = configKeys().map((k) => k.env);
  t.equal(new Set(names).size, names.length, 'no two keys share a variable');
});

t.test('environment wins over the file, and is typed by the schema', async (t) => {
  const path = file('a.yaml', 'payment:\n  priceCents: 700\nfleet:\n  url: mqtt://file:1883\n');
  const config = loadConfig({
    file: path,
    env: { CABINE_PAYMENT_PRICE_CENTS: '650', CABINE_FLEET_URL: 'mqtts://env:8883', CABINE_HAL_SIMULATED: 'true' },
  });
  t.equal(config.payment.priceCents, 650);
  t.equal(config.fleet.url, 'mqtts://env:8883');
  t.equal(config.hal.simulated, true);
});

t.test('JSON files are accepted too', async (t) => {
  const config = loadConfig({ file: file('b.json', '{"booth": {"id": "PARIS-12"}}'), env: {} });
  t.equal(config.booth.id, 'PARIS-12');
});

t.test('errors name the key, the bad value and what is expected', async (t) => {
  const path = file('bad.yaml', 'payment:\n  priceCents: cheap\nbooth:\n  operatorPrefix: SOIL\nprinterr: {}\n');
  const err = t.throws(() => loadConfig({ file: path, env: {} })) as ConfigError;
  t.type(err, ConfigError);
  t.match(err.message, /payment\.priceCents.*got "cheap"/);
  t.match(err.message, /booth\.operatorPrefix.*got "SOIL".*without O, I, L, S/);
  t.match(err.message, /unknown key\(s\) "printerr"/);
  t.equal(err.problems.length, 3);
});

t.test('a bad environment value is reported like a bad file value', async (t) => {
  t.throws(() => loadConfig({ env: { CABINE_UI_PORT: 'eighty' } }), /ui\.port.*got "eighty"/);
  t.throws(() => loadConfig({ env: { CABINE_FLEET_URL: 'http://x' } }), /fleet\.url.*mqtt:\/\/ or mqtts:\/\//);
});

t.test('unreadable or non-mapping files are clear errors', async (t) => {
  t.throws(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} }), /cannot read config file/);
  t.throws(() => loadConfig({ file: file('list.yaml', '- a\n- b\n'), env: {} }), /must hold a mapping/);
  t.throws(() => loadConfig({ file: file('broken.yaml', 'a: [1, 2\n'), env: {} }), /not valid YAML/);
});
