// The simulated printer's paper and ribbon: used one per printed sheet (copies too), reported
// as a dye-sublimation printer reports them over IPP, a job that runs out part-way stops and
// finishes after a reload, the levels outlive a restart; and on the simulated booth the fleet
// telemetry shows prints left and the low-supply alarm fires, as with a real printer
// (test/print/consumables.test.ts does the same on ippeveprinter).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { requestCommand } from '../../src/fleet/operator/client.ts';
import { SimulatedPrinter, isTerminal, printsLeft, type PrinterDevice } from '../../src/hal/printer/index.ts';
import { silentLogger } from '../../src/log.ts';
import { until } from '../fleet/helpers/booth.ts';
import { consumablesBooth } from './consumables-booth.ts';

const page = () => sharp({ create: { width: 30, height: 20, channels: 3, background: '#808080' } }).png().toBuffer();

/** Waits (positive condition, generous limit) until the async check holds. */
async function eventually(what: string, check: () => Promise<boolean>, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const settled = (printer: PrinterDevice, id: string, name: string) => eventually(`job ${id} over`, async () => isTerminal((await printer.job(id, name))?.state ?? 'pending'));

t.test('paper and ribbon: one per sheet, copies counted, a job stopped by an empty roll finishes after a reload, levels kept across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-simprinter-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const printer = new SimulatedPrinter({ dir, paperCapacity: 20, ribbonCapacity: 30 }, silentLogger());
  await printer.start();
  t.teardown(() => printer.stop());
  let state = await printer.refresh();
  t.same(state.consumables, [
    { name: 'main', kind: 'media', sheets: 20, percent: 100 },
    { name: 'Ribbon', kind: 'supply', percent: 100, sheets: 30 },
  ], 'a full roll and ribbon, as a tray in sheets and a supply in impressions');
  t.equal(printsLeft(state.consumables ?? [], 400), 20);

  const data = await page();
  const one = await printer.submit({ data, format: 'image/png', name: 'one' });
  const three = await printer.submit({ data, format: 'image/png', name: 'three', copies: 3 });
  await settled(printer, one.id, 'one');
  await settled(printer, three.id, 'three');
  t.same(printer.consumableLevels(), { paper: 16, ribbon: 26 }, 'four sheets: one, then three copies');
  state = await printer.refresh();
  t.equal(printsLeft(state.consumables ?? [], 400), 16);
  t.same(state.reasons, [], 'nothing low yet');

  await printer.refill({ paper: 2 });
  state = await printer.refresh();
  t.same(state.reasons, ['media-low-warning'], 'two sheets of twenty: low, a warning');
  t.match(printer.readiness(), { ok: true });
  const big = await printer.submit({ data, format: 'image/png', name: 'big', copies: 3 });
  await eventually('the roll runs out mid-job', async () => (await printer.job(big.id, 'big'))?.state === 'processing-stopped');
  t.same(printer.consumableLevels(), { paper: 0, ribbon: 24 });
  t.match(printer.readiness(), { ok: false, reason: /media-empty-error/ }, 'out of paper: the booth stops selling');
  await printer.refill({ paper: 'full' });
  await settled(printer, big.id, 'big');
  t.equal((await printer.job(big.id, 'big'))?.state, 'completed', 'the job finishes on the new roll');
  t.same(printer.consumableLevels(), { paper: 19, ribbon: 23 }, 'its last sheet from the new roll');

  await printer.refill({ ribbon: 0 });
  t.match(printer.readiness(), { ok: false, reason: /marker-supply-empty-error/ }, 'no ribbon: not ready');
  t.rejects(printer.refill({ paper: 21 }), /0-20/, 'more than a roll holds is refused');
  await printer.refill({ ribbon: 'full' });
  await printer.stop();

  // Restarted: the printer kept its levels (as a real one does).
  const again = new SimulatedPrinter({ dir, paperCapacity: 20, ribbonCapacity: 30 }, silentLogger());
  t.same(again.consumableLevels(), { paper: 19, ribbon: 30 });
  writeFileSync(join(dir, 'consumables.json'), '{"paper":-1}');
  t.throws(() => new SimulatedPrinter({ dir }, silentLogger()), /consumables.json is not/, 'a damaged levels file is refused, not guessed');
});

t.test('the simulated booth: prints left in the fleet telemetry and the low-supply alarm before it runs out', async (t) => {
  const { booth, conn, events } = await consumablesBooth(t, 'SIM-INK');
  const printer = booth.parts.printer;
  if (!(printer instanceof SimulatedPrinter)) throw new Error('the simulated booth prints on the simulated printer');
  t.match(await requestCommand(conn, 'SIM-INK', 'telemetry', undefined), { ok: true, result: { counters: { printer: { mediaLeft: 700, printsLeft: 700, supplies: [{ name: 'Ribbon', percent: 100 }] } } } }, 'a full roll and ribbon');
  t.notOk(events.some((e) => e.type === 'printer.consumables-low'), 'no alarm with 700 prints left');

  await printer.refill({ ribbon: 25 });
  await until('the alarm', () => events.some((e) => e.type === 'printer.consumables-low'), 20_000);
  t.match(events.find((e) => e.type === 'printer.consumables-low'), { severity: 'warning', device: 'printer', data: { printsLeft: 25 } });
  t.match(await requestCommand(conn, 'SIM-INK', 'telemetry', undefined), { ok: true, result: { counters: { printer: { printsLeft: 25 } } } });
  t.equal(booth.unavailable(), null, 'low is a warning: the booth still sells');
});
