// The simulator panel's HTTP side on the simulated booth: it acts through the devices'
// simulators (curtain line, camera photo, coins, stylus on the touch registers, printer
// condition) and the booth sees it as it would see the real devices; every request is
// checked: Host must be this loopback server, actions must come from the same origin, as JSON,
// valid against the schema, and small. Refused requests change nothing.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBooth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { DEFAULT_PRODUCTS } from '../../src/config/products.ts';
import { silentLogger } from '../../src/log.ts';
import { startBroker } from '../fleet/helpers/broker.ts';

const hasMosquitto = () => spawnSync('mosquitto', ['-h']).error === undefined;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

t.test('the panel drives the simulated devices; bad requests are refused and change nothing', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-sim-panel-'));
  const config = loadConfig({ env: {}, overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'ui.port': 0, 'ui.voice': false } });
  const booth = await buildBooth(config, silentLogger(), { control: false });
  await booth.start();
  t.teardown(() => booth.stop());
  const base = booth.uiUrl();
  const host = new URL(base).host;
  const origin = `http://${host}`;
  const act = (action: unknown, headers: Record<string, string> = {}) =>
    call(`${base}sim/action`, { method: 'POST', headers: { host, origin, 'content-type': 'application/json', ...headers }, body: JSON.stringify(action) });
  const state = async () => (await call(`${base}sim/state`, { headers: { host } })).body as Record<string, never>;

  t.equal((await call(`${base}sim`, { headers: { host } })).status, 200, 'the panel page is served in --sim');

  // Attacks first: nothing they ask for happens.
  const coinsBefore = booth.parts.sim!.coins!.status().acceptor.rejected;
  const refusals: [string, Promise<Reply>, number][] = [
    ['a DNS-rebound Host', act({ type: 'coin', coin: 'EU200A' }, { host: `evil.example:${new URL(base).port}` }), 403],
    ['another site as Origin', act({ type: 'coin', coin: 'EU200A' }, { origin: 'http://evil.example' }), 403],
    ['no Origin', call(`${base}sim/action`, { method: 'POST', headers: { host, 'content-type': 'application/json' }, body: '{"type":"coin","coin":"EU200A"}' }), 403],
    ['a cross-site fetch', act({ type: 'coin', coin: 'EU200A' }, { 'sec-fetch-site': 'cross-site' }), 403],
    ['a form post', act({ type: 'coin', coin: 'EU200A' }, { 'content-type': 'application/x-www-form-urlencoded' }), 415],
    ['not JSON', call(`${base}sim/action`, { method: 'POST', headers: { host, origin, 'content-type': 'application/json' }, body: '{coin' }), 400],
    ['an unknown action', act({ type: 'dispense', cents: 500 }), 400],
    ['an unknown coin', act({ type: 'coin', coin: 'EU500A' }), 400],
    ['an extra field', act({ type: 'coin', coin: 'EU200A', times: 100 }), 400],
    ['a pen point off the pad', act({ type: 'pen', points: [{ event: 'down', x: 2, y: 0.5 }] }), 400],
    ['too many pen points', act({ type: 'pen', points: Array.from({ length: 501 }, () => ({ event: 'contact', x: 0.5, y: 0.5 })) }), 400],
    ['a huge body', act({ type: 'pen', points: [], pad: 'x'.repeat(70_000) }), 413],
    ['a photo outside the camera folder', act({ type: 'camera', photo: '../../../etc/passwd' }), 409],
    ['GET on the action', call(`${base}sim/action`, { headers: { host } }), 405],
  ];
  for (const [what, reply, status] of refusals) {
    const r = await reply;
    // The screen server refuses foreign Host/Origin before the panel sees them (a plain 403).
    const why = r.body.error ?? r.body.text;
    t.equal(r.status, status, `${what}: ${status} (${String(why)})`);
    t.ok(typeof why === 'string' && why.length > 0, `${what}: says why`);
  }
  t.equal((await call(`${base}sim/state`, { headers: { host: 'evil.example' } })).status, 403, 'state not readable through a foreign Host');
  t.equal(booth.parts.sim!.coins!.status().acceptor.rejected, coinsBefore, 'no refused request reached the coin slot');
  t.equal(booth.parts.sim!.camera.currentPhoto(), 'london-004.jpg', 'the camera still shows the compliant sitter');

  // A coin while inhibited comes back, with the reason.
  t.equal((await act({ type: 'coin', coin: 'EU100A' })).status, 200);
  t.match((await state()).lastCoin, { coin: 'EU100A', result: 'rejected', why: /inhibited/ });

  // A card tapped while nothing is due: the reader is not taking cards.
  const tap = await act({ type: 'card', decision: 'approve' });
  t.equal(tap.status, 200);
  t.match(tap.body.message, /not taking cards/);
  t.match((await state()).card, { enabled: false, charges: 0, lastTap: /not taking cards/ });
  t.equal((await act({ type: 'card', decision: 'maybe' })).status, 400, 'an unknown card decision is refused');

  // Camera: any photo of the folder, or the next one.
  t.equal((await act({ type: 'camera', photo: 'refused-smiling' })).status, 200);
  t.equal(booth.parts.sim!.camera.currentPhoto(), 'refused-smiling.jpg');
  await act({ type: 'camera-next' });
  t.equal(booth.parts.sim!.camera.currentPhoto(), 'refused-striped-backdrop.jpg', 'next in name order');

  // Printer: jam, empty, unplugged, each fixed as a technician does (working again, a paper
  // roll loaded); the booth's own readiness follows.
  t.match((await state()).printer, { supplies: { paper: 700, ribbon: 700, paperCapacity: 700, ribbonCapacity: 700 } }, 'a full roll and ribbon');
  for (const [condition, reason] of [['jam', /media-jam/], ['paper-empty', /media-empty/], ['offline', /unreachable/]] as const) {
    t.equal((await act({ type: 'printer', condition })).status, 200);
    const readiness = booth.parts.printer.readiness();
    t.notOk(readiness.ok, `printer ${condition}: not ready`);
    t.match(readiness.ok ? '' : readiness.reason, reason);
    t.match(booth.unavailable(), /printer/, `printer ${condition}: the booth stops selling`);
    t.match((await state()).printer, condition === 'paper-empty' ? { ready: false, supplies: { paper: 0 } } : { ready: false, condition });
    if (condition === 'paper-empty') {
      t.equal((await act({ type: 'printer', condition: 'ok' })).status, 200);
      t.notOk(booth.parts.printer.readiness().ok, '"working" does not put paper in');
      t.equal((await act({ type: 'printer-refill', supply: 'paper' })).status, 200);
      t.match((await state()).printer, { supplies: { paper: 700 } }, 'a new roll loaded');
    } else await act({ type: 'printer', condition: 'ok' });
    t.ok(booth.parts.printer.readiness().ok, `printer working again after ${condition}`);
  }
  t.equal((await act({ type: 'printer-refill', supply: 'toner' })).status, 400, 'an unknown supply is refused');

  // Without a broker configured, cutting it says so.
  const cut = await act({ type: 'broker', link: 'cut' });
  t.equal(cut.status, 409);
  t.match(cut.body.error, /no fleet broker/);

  // The curtain: the booth's curtain device sees the line move and, on a booth selling one
  // product (the catalogue changed live), a session starts.
  t.same(booth.settings.apply([{ key: 'products', value: [DEFAULT_PRODUCTS[0]] }], 'test').applied.map((c) => c.key), ['products']);
  await act({ type: 'camera', photo: 'london-004' });
  t.equal((await act({ type: 'curtain', position: 'drawn' })).status, 200);
  await new Promise<void>((resolve) => {
    const check = () => (booth.machine.snapshot().step !== 'idle' ? resolve() : setTimeout(check, 20));
    check();
  });
  t.not(booth.machine.snapshot().step, 'idle', 'drawing the curtain started a session');
  t.equal((await state()).curtain, 'drawn');
  booth.machine.send({ type: 'CANCEL' });
});

t.test('a real booth has no panel', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-no-panel-'));
  const config = loadConfig({ env: {}, overrides: { 'hal.simulated': false, 'data.dir': dataDir, 'ui.port': 0, 'ui.voice': false } });
  const booth = await buildBooth(config, silentLogger(), { control: false });
  await booth.start();
  t.teardown(() => booth.stop());
  const host = new URL(booth.uiUrl()).host;
  t.equal((await call(booth.uiUrl(), { headers: { host } })).status, 200, 'the customer screen is served');
  for (const path of ['sim', 'sim/state', 'sim/panel.js']) t.equal((await call(`${booth.uiUrl()}${path}`, { headers: { host } })).status, 404, `/${path}: not found`);
  const post = await call(`${booth.uiUrl()}sim/action`, { method: 'POST', headers: { host, origin: `http://${host}`, 'content-type': 'application/json' }, body: '{"type":"coin","coin":"EU200A"}' });
  t.equal(post.status, 405, 'no action endpoint');
});

t.test('cutting the broker drops the fleet link until it is restored (real Mosquitto over TLS)', { skip: hasMosquitto() ? false : 'mosquitto not installed' }, async (t) => {
  const broker = await startBroker();
  await broker.start();
  t.teardown(() => broker.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-sim-broker-'));
  const boothId = 'SIM-0001';
  const identity = broker.identity(boothId);
  const config = loadConfig({
    env: {},
    overrides: {
      'hal.simulated': true, 'data.dir': dataDir, 'ui.port': 0, 'ui.voice': false, 'booth.id': boothId,
      'fleet.url': broker.url, 'fleet.caFile': broker.ca!.certFile, 'fleet.certFile': identity.certFile, 'fleet.keyFile': identity.keyFile,
    },
  });
  const booth = await buildBooth(config, silentLogger(), { control: false });
  await booth.start();
  t.teardown(() => booth.stop());
  const host = new URL(booth.uiUrl()).host;
  const act = (action: unknown) => call(`${booth.uiUrl()}sim/action`, { method: 'POST', headers: { host, origin: `http://${host}`, 'content-type': 'application/json' }, body: JSON.stringify(action) });
  const until = (what: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (what() ? resolve() : setTimeout(check, 50));
      check();
    });

  await until(() => booth.fleet.connected);
  t.pass('connected through the relay');
  t.equal((await act({ type: 'broker', link: 'cut' })).status, 200);
  await until(() => !booth.fleet.connected);
  t.pass('the cut drops the connection');
  // Reconnection attempts go on and fail while cut: after a few backoff periods it is still down.
  const attempts = Date.now();
  await until(() => Date.now() - attempts > 1500);
  t.equal(booth.fleet.connected, false, 'still cut');
  t.equal((await act({ type: 'broker', link: 'restore' })).status, 200);
  await until(() => booth.fleet.connected);
  t.pass('reconnected once restored');
});
