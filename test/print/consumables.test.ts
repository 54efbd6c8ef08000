// Consumables: what the printer has left, as a real IPP printer (CUPS' ippeveprinter) reports
// it (printer-input-tray, printer-supply, printer-state-reasons), as a CUPS queue would
// (marker-levels), into prints left, the fleet telemetry and an alarm before the printer runs
// out. The technician changes paper and supplies through ippeveprinter's own web forms.
import t from 'tap';
import { requestCommand } from '../../src/fleet/operator/client.ts';
import { IppPrinter, consumablesFrom, printsLeft } from '../../src/hal/printer/index.ts';
import { silentLogger } from '../../src/log.ts';
import { until } from '../fleet/helpers/booth.ts';
import { consumablesBooth } from './consumables-booth.ts';
import { startEvePrinter } from './ippeveprinter.ts';

const none = { markerNames: [], markerLevels: [], markerTypes: [], supply: [], supplyDescription: [], inputTray: [] };

t.test('parsing: trays in sheets, supplies in percent or units, CUPS markers, unknown levels and waste left out', async (t) => {
  const parsed = consumablesFrom({
    ...none,
    inputTray: ['type=sheetFeedAutoRemovableTray;maxcapacity=-2;level=-2;status=0;name=auto', 'type=sheetFeedAutoRemovableTray;maxcapacity=200;level=50;status=0;name=main;'],
    supply: ['index=1;class=receptacleThatIsFilled;type=wasteToner;unit=percent;maxcapacity=100;level=25;', 'index=2;class=supplyThatIsConsumed;type=ribbonWax;unit=impressions;maxcapacity=700;level=140;', 'index=3;class=supplyThatIsConsumed;type=ink;unit=percent;maxcapacity=100;level=-3;'],
    supplyDescription: ['Waste', 'Ribbon', 'Ink'],
  });
  t.same(parsed, [
    { name: 'main', kind: 'media', sheets: 50, percent: 25 },
    { name: 'Ribbon', kind: 'supply', percent: 20, sheets: 140 },
    { name: 'Ink', kind: 'supply', percent: null, sheets: null },
  ]);
  t.equal(printsLeft(parsed, 400), 50, 'the fewest: paper');
  // A CUPS queue: markers only, in percent; waste markers are not consumables.
  const cups = consumablesFrom({ ...none, markerNames: ['Ribbon', 'Waste'], markerLevels: [12, 90], markerTypes: ['ribbon-wax', 'waste-ink'] });
  t.same(cups, [{ name: 'Ribbon', kind: 'supply', percent: 12, sheets: null }]);
  t.equal(printsLeft(cups, 400), 48, '12 % of a 400-print ribbon');
  t.equal(printsLeft([], 400), null, 'nothing reported: unknown, not zero');
});

t.test('a real IPP printer: paper and supplies read, prints left, telemetry and an alarm before it runs out', async (t) => {
  const eve = await startEvePrinter();
  t.teardown(() => eve.stop());
  await eve.setPaper(40); // main tray 40, by-pass tray 25

  const printer = new IppPrinter({ uri: eve.uri, pollMs: 60_000, requestTimeoutMs: 2000, retries: 0 }, silentLogger());
  await printer.start();
  t.teardown(() => printer.stop());
  await printer.refresh();
  const state = printer.lastState();
  t.match(state?.consumables, [
    { kind: 'media', name: 'main', sheets: 40 },
    { kind: 'media', name: 'by-pass-tray', sheets: 25 },
    { kind: 'supply', name: 'Black Toner', percent: 75 },
  ]);
  t.notOk(state?.consumables?.some((c) => /waste/i.test(c.name)), 'the waste tank is not a consumable');
  t.equal(printsLeft(state?.consumables ?? [], 400), 65, 'paper is what runs out first');

  // The booth on a real broker with this printer: telemetry, then the alarm when supplies run low.
  const { booth, conn, events } = await consumablesBooth(t, 'INK-1', { 'printer.uri': eve.uri });
  t.match(await requestCommand(conn, 'INK-1', 'telemetry', undefined), { ok: true, result: { counters: { printer: { mediaLeft: 65, printsLeft: 65, supplies: [{ name: 'Black Toner', percent: 75 }] } } } });
  t.notOk(events.some((e) => e.type === 'printer.consumables-low'), 'no alarm while 65 prints are left');

  await eve.setSupplies([25, 5]); // the toner at 5 %: 20 prints of a 400-print supply
  await until('the alarm', () => events.some((e) => e.type === 'printer.consumables-low'), 20_000);
  t.match(events.find((e) => e.type === 'printer.consumables-low'), { severity: 'warning', device: 'printer', data: { printsLeft: 20 } });
  t.match(await requestCommand(conn, 'INK-1', 'telemetry', undefined), { ok: true, result: { counters: { printer: { printsLeft: 20 } } } });
  t.equal(booth.unavailable(), null, 'low is a warning: the booth still sells');
});
