// The simulated gpiochip at line level: levels from outputs, outside drive and pulls; edge
// events by edge kind; the errors a driver can meet (busy, input written, closed, no line).
import t from 'tap';
import { configSchema } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/log.ts';
import { boothBias, createGpioChip, SimGpioChip, type Level } from '../../src/hal/gpio/index.ts';

t.test('input levels: outside drive, then pull-up / pull-down, else floating low', async (t) => {
  const chip = new SimGpioChip();
  const up = await chip.openLine({ offset: 27, direction: 'in', bias: 'pull-up' });
  const down = await chip.openLine({ offset: 5, direction: 'in', bias: 'pull-down' });
  const floating = await chip.openLine({ offset: 6, direction: 'in' });
  t.equal(await up.read(), 1, 'pull-up reads 1 when nothing drives it');
  t.equal(await down.read(), 0, 'pull-down reads 0');
  t.equal(await floating.read(), 0, 'floating reads 0');
  chip.setInput(27, 0);
  t.equal(await up.read(), 0, 'a switch to ground wins over the pull-up');
  chip.setInput(27, null);
  t.equal(await up.read(), 1, 'released: back to the pull-up');
  chip.setInput(5, 1);
  t.equal(await down.read(), 1);
});

t.test('outputs: initial level, writes, what the simulator side sees', async (t) => {
  const chip = new SimGpioChip();
  const outputs: [number, Level][] = [];
  chip.on('output', (offset: number, level: Level) => outputs.push([offset, level]));
  t.equal(chip.output(17), undefined, 'not an output yet');
  const relay = await chip.openLine({ offset: 17, direction: 'out', initial: 0, consumer: 'relay' });
  t.equal(chip.output(17), 0);
  await relay.write(1);
  t.equal(chip.level(17), 1);
  t.equal(await relay.read(), 1, 'an output reads back its latch');
  chip.setInput(17, 0);
  t.equal(chip.level(17), 1, 'an output is not overridden from outside');
  await relay.write(0);
  t.same(outputs, [
    [17, 1],
    [17, 0],
  ]);
  const high = await chip.openLine({ offset: 4, direction: 'out', initial: 1 });
  t.equal(chip.level(4), 1);
  await high.close();
  t.equal(chip.level(4), 1, 'a released output keeps its level (sysfs unexport does too)');
  t.same(
    chip.lines().find((l) => l.offset === 17),
    { offset: 17, direction: 'out', level: 0, bias: 'none', consumer: 'relay', edge: 'none' },
  );
});

t.test('edge events follow the configured edge', async (t) => {
  const chip = new SimGpioChip();
  const seen: Record<string, Level[]> = { rising: [], falling: [], both: [], none: [] };
  const lines = { rising: 10, falling: 11, both: 12, none: 13 } as const;
  for (const [edge, offset] of Object.entries(lines)) {
    const line = await chip.openLine({ offset, direction: 'in', edge: edge as keyof typeof lines });
    line.watch((l) => seen[edge]!.push(l));
  }
  for (const level of [1, 0, 1, 1, 0] as Level[]) for (const offset of Object.values(lines)) chip.setInput(offset, level);
  t.same(seen.rising, [1, 1]);
  t.same(seen.falling, [0, 0]);
  t.same(seen.both, [1, 0, 1, 0], 'no event when the level does not change');
  t.same(seen.none, []);
});

t.test('watch unsubscribes; a throwing listener does not stop the others', async (t) => {
  const chip = new SimGpioChip({ logger: silentLogger() });
  const line = await chip.openLine({ offset: 22, direction: 'in', edge: 'falling', bias: 'pull-up' });
  const got: Level[] = [];
  line.watch(() => {
    throw new Error('listener bug');
  });
  const stop = line.watch((l) => got.push(l));
  chip.setInput(22, 0);
  chip.setInput(22, 1);
  stop();
  chip.setInput(22, 0);
  t.same(got, [0]);
});

t.test('errors: busy line, writing an input, closed line, no such line', async (t) => {
  const chip = new SimGpioChip();
  const line = await chip.openLine({ offset: 27, direction: 'in', consumer: 'cabine-curtain' });
  await t.rejects(chip.openLine({ offset: 27, direction: 'out' }), /GPIO line 27 is busy \(held by cabine-curtain\)/);
  await t.rejects(line.write(1), /line 27 is an input/);
  await line.close();
  await t.rejects(line.read(), /line 27 is closed/);
  await t.resolves(chip.openLine({ offset: 27, direction: 'in' }), 'free again after close');
  await t.rejects(chip.openLine({ offset: 58, direction: 'in' }), /line 58 does not exist on the simulated chip \(lines 0-57\)/);
  t.throws(() => chip.setInput(-1, 0), /does not exist/);
});

t.test('the simulated factory chip has the overlay pulls on the booth lines', async (t) => {
  const config = configSchema.parse({});
  const chip = await createGpioChip(config.hal, { simulated: true, logger: silentLogger(), bias: boothBias(config) });
  t.ok(chip instanceof SimGpioChip);
  t.equal(chip.driver, 'sim');
  const sim = chip as SimGpioChip;
  t.equal(sim.level(config.curtain.line), 1, 'curtain line pulled up: open');
  t.equal(sim.level(config.touch.interruptLine), 1, 'touch INT pulled up: idle');
  t.equal(sim.level(config.lighting.relayLine), 0, 'relay line pulled down: off');
});
