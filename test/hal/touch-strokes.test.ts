// The stroke assembler sample by sample, and the FT6236 register codec.
import t from 'tap';
import { decodeReport, encodePoint, REG, REPORT_LENGTH, type RawTouchPoint } from '../../src/hal/touch/ft6236.ts';
import { defaultFilterOptions, StrokeAssembler, type Stroke, type StrokeFilterOptions } from '../../src/hal/touch/strokes.ts';

function harness(options: Partial<StrokeFilterOptions> = {}) {
  const log: string[] = [];
  const shown = new Map<number, number>();
  const assembler = new StrokeAssembler(
    { ...defaultFilterOptions(800, 480), ...options },
    {
      point: (id) => shown.set(id, (shown.get(id) ?? 0) + 1),
      stroke: (s: Stroke) => log.push(`stroke ${s.id}:${s.points.length}`),
      cancel: (id, reason) => log.push(`cancel ${id}: ${reason}`),
    },
  );
  let t = 0;
  const scan = (...points: Partial<RawTouchPoint>[]) => {
    assembler.feed(points.map((p) => ({ id: 0, event: 'contact', x: 0, y: 0, weight: 0, area: 0, ...p })), (t += 10));
  };
  return { assembler, log, shown, scan };
}

/** A straight horizontal pen stroke, one sample per scan, `step` units apart. */
function line(scan: (...p: Partial<RawTouchPoint>[]) => void, from: number, n: number, step: number, y = 100, down = true) {
  for (let i = 0; i < n; i++) scan({ id: 0, event: i === 0 && down ? 'down' : 'contact', x: from + i * step, y });
}

t.test('register codec: encode then decode gives the points back; event flags in bits 7:6', async (t) => {
  const p1: RawTouchPoint = { id: 0, event: 'down', x: 799, y: 479, weight: 40, area: 3 };
  const p2: RawTouchPoint = { id: 1, event: 'contact', x: 12, y: 3000, weight: 0, area: 15 };
  const bytes = Buffer.alloc(REPORT_LENGTH);
  bytes[REG.TD_STATUS] = 2;
  bytes.set(encodePoint(p1), REG.P1);
  bytes.set(encodePoint(p2), REG.P2);
  t.same(decodeReport(bytes).points, [p1, p2]);
  t.equal(bytes[REG.P1]! >> 6, 0, 'press down = 0');
  t.equal(encodePoint({ ...p1, event: 'up' })[0]! >> 6, 1, 'lift up = 1');
  t.equal(encodePoint({ ...p1, event: 'contact' })[0]! >> 6, 2, 'contact = 2');
  t.equal(bytes[REG.P2 + 2]! >> 4, 1, 'touch id in YH bits 7:4');
  bytes[REG.TD_STATUS] = 0x0f;
  t.same(decodeReport(bytes).points, [], 'TD_STATUS 0x0F after reset = no touch');
  bytes[REG.TD_STATUS] = 7;
  t.throws(() => decodeReport(bytes), /garbage touch report: TD_STATUS=7/);
  t.same(decodeReport(bytes, 7).points.length, 2, 'a 5-point FT5x06 reports more; the first two are decoded');
  bytes[REG.TD_STATUS] = 1;
  bytes[REG.DEVICE_MODE] = 0x40;
  t.throws(() => decodeReport(bytes), /not in working mode/);
  t.throws(() => decodeReport(Buffer.alloc(3)), /short touch report/);
});

t.test('a stroke: down, moves, up; live points then the finished stroke', async (t) => {
  const { assembler, log, shown, scan } = harness();
  line(scan, 100, 10, 5);
  scan({ event: 'up', x: 150, y: 100 });
  scan();
  t.same(log, ['stroke 1:11']);
  t.equal(shown.get(1), 11);
  t.same(assembler.strokes()[0]!.points.map((p) => p.x), [100, 105, 110, 115, 120, 125, 130, 135, 140, 145, 150]);
});

t.test('jitter: movements under the threshold are dropped, a resting pen makes one point', async (t) => {
  const { assembler, scan } = harness({ jitter: 2 });
  scan({ event: 'down', x: 100, y: 100 });
  for (const [x, y] of [[101, 100], [100, 101], [101, 101], [100, 100], [104, 100], [105, 101]] as const) scan({ x, y });
  scan();
  t.same(assembler.strokes()[0]!.points.map((p) => [p.x, p.y]), [[100, 100], [104, 100]], '(105,101) is within 2 of (104,100)');
});

t.test('spikes: one far sample undone by the next is dropped; a real cusp is kept', async (t) => {
  const { assembler, scan } = harness();
  line(scan, 100, 8, 5);
  scan({ x: 320, y: 20 }); // spike
  line(scan, 145, 6, 5, 100, false);
  scan();
  const xs = assembler.strokes()[0]!.points.map((p) => p.x);
  t.notOk(xs.includes(320), 'spike dropped');
  t.equal(xs.length, 14);

  // A quick tick: the pen goes out 6 units and back, steps like the rest of the stroke.
  const cusp = harness();
  line(cusp.scan, 100, 6, 5);
  cusp.scan({ x: 125, y: 106 });
  cusp.scan({ x: 125, y: 100 });
  cusp.scan({ x: 130, y: 100 });
  cusp.scan();
  t.ok(cusp.assembler.strokes()[0]!.points.some((p) => p.y === 106), 'cusp sample kept');

  // A spike on the last sample before lift-off has no next sample: its step alone condemns it.
  const lift = harness();
  line(lift.scan, 100, 8, 5);
  lift.scan({ event: 'up', x: 400, y: 300 });
  lift.scan();
  t.notOk(lift.assembler.strokes()[0]!.points.some((p) => p.x === 400), 'lift-off spike dropped');
});

t.test('a contact seen in a single scan is noise; a dot of several scans is ink', async (t) => {
  const { assembler, log, scan } = harness();
  scan({ event: 'down', x: 10, y: 10 });
  scan();
  t.match(log, [/cancel 1: contact seen in a single scan/]);
  scan({ event: 'down', x: 50, y: 50 });
  scan({ x: 50, y: 51 });
  scan({ x: 51, y: 50 });
  scan();
  t.equal(assembler.strokes().length, 1);
  t.equal(assembler.strokes()[0]!.points.length, 1, 'a dot: one point');
});

t.test('missed lifts: a contact that disappears, or a new press on the same id, ends the stroke', async (t) => {
  const { assembler, scan } = harness();
  line(scan, 100, 5, 5);
  line(scan, 300, 5, 5); // 'down' again on id 0 without an 'up'
  scan();
  t.same(assembler.strokes().map((s) => s.points[0]!.x), [100, 300]);
});

t.test('palm by size: a large contact is rejected, and its live points withdrawn', async (t) => {
  const { assembler, log, scan } = harness({ palmArea: 8 });
  scan({ event: 'down', x: 400, y: 400, area: 4 });
  scan({ x: 410, y: 400, area: 6 });
  scan({ x: 420, y: 400, area: 11 });
  scan({ x: 430, y: 400, area: 11 });
  scan();
  t.same(assembler.strokes(), []);
  t.match(log, [/cancel 1: palm \(area 11/]);
  const off = harness({ palmArea: 0 });
  line(off.scan, 100, 4, 5);
  off.scan({ x: 120, y: 100, area: 15 });
  off.scan();
  t.equal(off.assembler.strokes().length, 1, 'rule off: area ignored');
});

t.test('one pen: a resting hand is rejected whether it lands before or after the pen', async (t) => {
  // Hand first (drawn live as it is alone), then the pen writes while it rests.
  const a = harness();
  a.scan({ id: 0, event: 'down', x: 700, y: 430 });
  a.scan({ id: 0, x: 700, y: 431 });
  for (let i = 0; i < 10; i++) a.scan({ id: 0, x: 700, y: 430 }, { id: 1, event: i === 0 ? 'down' : 'contact', x: 100 + 8 * i, y: 100 });
  a.scan({ id: 0, x: 701, y: 430 });
  a.scan({ id: 0, x: 700, y: 430 });
  for (let i = 0; i < 10; i++) a.scan({ id: 0, x: 700, y: 430 }, { id: 1, event: i === 0 ? 'down' : 'contact', x: 100 + 8 * i, y: 200 });
  a.scan();
  t.same(a.assembler.strokes().map((s) => s.points[0]!.y), [100, 200], 'both pen strokes kept, the hand is not');
  t.match(a.log, [/cancel 1: second contact/, 'stroke 2:10', 'stroke 3:10']);
  t.equal(a.shown.get(2), 10, 'the held pen stroke is shown once the hand is rejected');

  // Pen first, then the hand lands and stays after the pen lifts.
  const b = harness();
  for (let i = 0; i < 5; i++) b.scan({ id: 0, event: i === 0 ? 'down' : 'contact', x: 100 + 8 * i, y: 100 });
  for (let i = 5; i < 10; i++) b.scan({ id: 0, x: 100 + 8 * i, y: 100 }, { id: 1, event: i === 5 ? 'down' : 'contact', x: 650, y: 400 });
  for (let i = 0; i < 5; i++) b.scan({ id: 1, x: 650, y: 400 });
  b.scan();
  t.same(b.log, ['stroke 1:10'], 'the hand never shows and is never a stroke');
  t.notOk(b.shown.has(2));
});

t.test('clear forgets strokes; a contact down during clear stays out', async (t) => {
  const { assembler, scan } = harness();
  line(scan, 100, 5, 5);
  scan();
  line(scan, 100, 3, 5);
  assembler.clear();
  scan({ x: 120, y: 100 });
  scan();
  t.same(assembler.strokes(), []);
  line(scan, 200, 4, 5);
  scan();
  t.equal(assembler.strokes().length, 1);
});
