// Never take money the booth cannot serve: with the printer out of paper (or the camera
// gone) the whole booth refuses new sessions, says why, and its coin acceptor refuses coins;
// once paper is back it sells again. Real modules on the simulated devices.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBooth } from '../../src/booth/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { SimulatedPrinter } from '../../src/hal/printer/index.ts';
import { silentLogger } from '../../src/log.ts';

const until = async (what: string, test: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

t.test('printer out of paper: no session, no coin; paper back: sales again', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-gating-'));
  const config = loadConfig({ env: {}, overrides: { 'hal.simulated': true, 'data.dir': dataDir, 'printer.pollSeconds': 1 } });
  const booth = await buildBooth(config, silentLogger(), { ui: false, control: false });
  await booth.start();
  t.teardown(() => booth.stop());
  t.equal(booth.unavailable(), null, 'sells at first');

  const printer = booth.parts.printer as SimulatedPrinter;
  const faults: string[] = [];
  booth.parts.printer.on('fault', (f) => faults.push(f.message));
  await printer.simulate({ reasons: ['media-empty-error'] });
  await until('the printer fault', () => booth.unavailable() !== null);
  t.match(booth.unavailable(), /printer/, `says why: ${booth.unavailable()}`);
  t.ok(faults.length >= 1, 'a fault event');

  // Positive controls, not sleeps: the machine says why it refused once it has handled the
  // START (it is null before), and the driver has polled past the refused coin's event.
  t.equal(booth.machine.snapshot().unavailable, null, 'no refusal before a START');
  booth.machine.send({ type: 'START' });
  await until('the START handled', () => booth.machine.snapshot().unavailable !== null);
  t.equal(booth.machine.snapshot().step, 'idle', 'no session starts');
  t.match(booth.machine.snapshot().unavailable, /printer/);

  const coins = booth.parts.sim!.coins!;
  const coinErrors: string[] = [];
  booth.parts.coinAcceptor.on('coin-error', (e) => coinErrors.push(e.kind));
  t.equal(coins.insertCoin('EU200A'), 'rejected', 'the acceptor refuses the coin');
  await until('the refusal seen by the driver', () => coinErrors.length > 0 && booth.parts.coinAcceptor.status().readings?.counter === coins.status().acceptor.counter);
  t.same(coinErrors, ['inhibited']);
  t.same(booth.desk.cashbox(), [], 'nothing in the cash box');

  await printer.simulate({ reasons: [] });
  await until('the printer recovery', () => booth.unavailable() === null);
  booth.machine.send({ type: 'START' });
  await until('a session', () => booth.machine.snapshot().step !== 'idle');
  t.pass('sells again once paper is back');
  booth.machine.send({ type: 'CANCEL' });
});

t.test('camera failure: same refusal, then recovery', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabine-gating-'));
  const config = loadConfig({ env: {}, overrides: { 'hal.simulated': true, 'data.dir': dataDir } });
  const booth = await buildBooth(config, silentLogger(), { ui: false, control: false });
  await booth.start();
  t.teardown(() => booth.stop());
  const camera = booth.parts.sim!.camera;
  camera.simulateFailure('sensor timeout');
  await until('the camera fault', () => booth.unavailable() !== null);
  t.match(booth.unavailable(), /camera/);
  t.equal(booth.parts.sim!.coins!.insertCoin('EU100A'), 'rejected');
  camera.simulateFailure(null);
  await until('the camera recovery', () => booth.unavailable() === null);
});
