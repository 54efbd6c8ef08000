// The PCA9685 register model on its own (what the lighting tests read back must behave as
// the datasheet says), and the register arithmetic shared with the driver.
import t from 'tap';
import { Pca9685Model, pca9685 } from '../../src/hal/lighting/index.ts';

const { REG, MODE1, MODE2, FULL, dutyCounts, dutyOf, ledBytes, prescaleFor, frequencyFor } = pca9685;

t.test('LEDn bytes encode every count 0..4096 and decode back', async (t) => {
  let bad = 0;
  for (let c = 0; c <= 4096; c++) if (dutyOf(ledBytes(c)) !== c / 4096) bad++;
  t.equal(bad, 0);
  t.same(ledBytes(0), [0, 0, 0, FULL]);
  t.same(ledBytes(4096), [0, FULL, 0, 0]);
  t.equal(dutyCounts(0.5), 2048);
  t.equal(dutyCounts(2), 4096, 'clamped');
  t.equal(dutyOf([0, FULL, 0, FULL]), 0, 'full off wins over full on');
  t.equal(dutyOf([0x00, 0x0f, 0x00, 0x01]), (0x100 - 0xf00 + 4096) / 4096, 'an off time before the on time wraps round the period');
  t.equal(dutyOf([0x10, 0x02, 0x10, 0x02]), 0, 'same on and off: always off');
});

t.test('PRE_SCALE formula and limits', async (t) => {
  t.equal(prescaleFor(200), 30, '200 Hz is the 0x1E reset value');
  t.equal(prescaleFor(1000), 5);
  t.equal(prescaleFor(1526), 3);
  t.equal(prescaleFor(24), 253);
  t.equal(prescaleFor(5000), 3, 'clamped to the fastest');
  t.equal(prescaleFor(10), 255, 'clamped to the slowest');
  t.equal(Math.round(frequencyFor(30)), 197, "25 MHz / (4096 x 31)");
});

t.test('power-on state, read-only bits, reserved registers', async (t) => {
  const m = new Pca9685Model();
  t.equal(m.readRegister(REG.MODE1), 0x11, 'SLEEP | ALLCALL');
  t.equal(m.readRegister(REG.MODE2), 0x04);
  t.equal(m.prescale(), 0x1e);
  t.same(m.ledRegisters(15), [0, 0, 0, FULL], 'every channel full off');
  m.writeRegister(REG.SUBADR1, 0xff);
  t.equal(m.readRegister(REG.SUBADR1), 0xfe, 'sub-address bit 0 reads 0');
  m.writeRegister(0x50, 0x12);
  t.equal(m.readRegister(0x50), 0, 'reserved');
  m.writeRegister(REG.MODE2, 0xff);
  t.equal(m.readRegister(REG.MODE2), 0x1f, 'MODE2 bits 7:5 reserved');
});

t.test('PRE_SCALE is only written asleep, and never below 3', async (t) => {
  const m = new Pca9685Model();
  m.writeRegister(REG.PRE_SCALE, 100);
  t.equal(m.prescale(), 100, 'asleep at power-on: accepted');
  m.writeRegister(REG.MODE1, MODE1.AI);
  m.writeRegister(REG.PRE_SCALE, 50);
  t.equal(m.prescale(), 100, 'awake: ignored');
  m.writeRegister(REG.MODE1, MODE1.AI | MODE1.SLEEP);
  m.writeRegister(REG.PRE_SCALE, 1);
  t.equal(m.prescale(), 3);
});

t.test('auto-increment decides where a block goes', async (t) => {
  const m = new Pca9685Model();
  m.writeRegister(REG.MODE1, 0); // awake, no AI
  m.writeBlock(REG.LED0_ON_L, Buffer.from([1, 2, 3, 4]));
  t.same(m.ledRegisters(0), [4, 0, 0, FULL], 'without AI every byte lands in LED0_ON_L');
  t.same([...m.readBlock(REG.LED0_ON_L, 3)], [4, 4, 4]);
  m.writeRegister(REG.MODE1, MODE1.AI);
  m.writeBlock(REG.LED0_ON_L, Buffer.from([0, 0, 0x00, 0x08]));
  t.same(m.ledRegisters(0), [0, 0, 0, 8]);
  t.same([...m.readBlock(REG.LED0_ON_L, 4)], [0, 0, 0, 8]);
  t.equal(m.output(0), 0.5);
});

t.test('outputs: sleep, ALL_LED, INVRT, one update per transfer', async (t) => {
  const m = new Pca9685Model();
  const events: [number, number][] = [];
  m.on('output', (ch: number, d: number) => events.push([ch, d]));
  m.writeBlock(REG.LED0_ON_L + 4, Buffer.from([0, 0, 0, 4])); // asleep at power-on (no AI): only ON_L written
  m.writeRegister(REG.MODE1, MODE1.AI);
  m.writeBlock(REG.LED0_ON_L + 4, Buffer.from([0, 0, 0, 4]));
  t.same(events, [[1, 0.25]], 'asleep: nothing at the pin; then one event for a 4-byte write');
  m.writeBlock(REG.ALL_LED_ON_L, Buffer.from([0, FULL, 0, 0]));
  t.ok(Array.from({ length: 16 }, (_, ch) => m.output(ch)).every((d) => d === 1), 'ALL_LED full on');
  t.equal(m.readRegister(REG.ALL_LED_ON_H), 0, 'ALL_LED registers read 0');
  m.writeRegister(REG.MODE2, MODE2.OUTDRV | MODE2.INVRT);
  t.equal(m.output(3), 0, 'inverted');
  m.writeRegister(REG.MODE1, MODE1.AI | MODE1.SLEEP);
  t.equal(m.output(3), 0);
});

t.test('RESTART: set by sleeping while running; needs 500 us awake; a PWM write clears it', async (t) => {
  let now = 0;
  const m = new Pca9685Model({ now: () => now });
  m.writeRegister(REG.MODE1, MODE1.AI);
  m.writeBlock(REG.LED0_ON_L, Buffer.from([0, 0, 0, 8]));
  m.writeRegister(REG.MODE1, MODE1.AI | MODE1.SLEEP);
  t.equal(m.readRegister(REG.MODE1) & MODE1.RESTART, MODE1.RESTART, 'slept while running');
  t.equal(m.output(0), 0);
  m.writeRegister(REG.MODE1, MODE1.AI);
  t.equal(m.output(0), 0, 'awake but held until RESTART');
  now += 0.2;
  m.writeRegister(REG.MODE1, MODE1.AI | MODE1.RESTART);
  t.equal(m.lostRestarts, 1, 'too early: lost');
  t.equal(m.output(0), 0);
  now += 0.4;
  m.writeRegister(REG.MODE1, MODE1.AI | MODE1.RESTART);
  t.equal(m.restarts, 1);
  t.equal(m.readRegister(REG.MODE1), MODE1.AI, 'RESTART reads 0 again');
  t.equal(m.output(0), 0.5, 'PWM resumed with the held registers');
  m.writeRegister(REG.MODE1, MODE1.AI | MODE1.SLEEP);
  m.writeRegister(REG.MODE1, MODE1.AI);
  m.writeBlock(REG.LED0_ON_L, Buffer.from([0, 0, 0, 4]));
  t.equal(m.readRegister(REG.MODE1) & MODE1.RESTART, 0, 'cleared by a LEDn write');
  t.equal(m.output(0), 0.25);
  m.writeRegister(REG.MODE1, MODE1.AI | MODE1.SLEEP | MODE1.EXTCLK);
  m.writeRegister(REG.MODE1, MODE1.AI);
  t.equal(m.readRegister(REG.MODE1) & MODE1.EXTCLK, MODE1.EXTCLK, 'EXTCLK is sticky');
  m.powerCycle();
  t.equal(m.readRegister(REG.MODE1), 0x11);
});
