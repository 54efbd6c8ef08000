// A register model of the PCA9685, the lighting ring's simulator: what the driver writes
// is what a test reads back, with the chip's rules applied (datasheet rev. 4):
// - power-on values; MODE1.AI decides whether a block transfer moves the register pointer;
// - PRE_SCALE is only writable while SLEEP is set, and values below 3 become 3;
// - going to sleep while a channel's PWM runs sets RESTART; after waking, writing 1 to
//   RESTART restarts the PWM, but only once the oscillator has run 500 us (an earlier write
//   is lost, as on the chip); a write to a channel's LED registers also clears it;
// - LEDn full-off wins over full-on; ALL_LED_* writes go to every channel and read as 0;
//   reserved registers read 0; SUBADRx/ALLCALLADR bit 0 is read-only 0; EXTCLK is sticky.
// `output(channel)` is the duty cycle at the pin: 0 while asleep or awaiting RESTART,
// inverted by MODE2.INVRT, updated at the end of each transfer (on STOP, MODE2.OCH = 0).
// An 'output' event fires when a channel's pin duty changes.
import { EventEmitter } from 'node:events';
import type { I2cDeviceModel } from '../i2c/interface.ts';
import { CHANNELS, dutyOf, frequencyFor, FULL, MODE1, MODE2, OSC_SETTLE_US, PRESCALE_MIN, REG, RESET } from './pca9685.ts';

const LED_END = REG.LED0_ON_L + 4 * CHANNELS; // 0x46: first reserved register

export interface Pca9685ModelOptions {
  /** Clock in milliseconds (default performance.now), for the oscillator settle time. */
  now?: () => number;
}

export class Pca9685Model extends EventEmitter implements I2cDeviceModel {
  private readonly regs = new Uint8Array(256);
  private restartPending = false;
  private wokeAt = 0;
  private readonly now: () => number;
  private outputs: number[] = [];
  /** Register writes received (for tests: how many bytes a fade cost). */
  writes = 0;
  /** RESTART writes that restarted the PWM, and those lost for coming too early. */
  restarts = 0;
  lostRestarts = 0;

  constructor(options: Pca9685ModelOptions = {}) {
    super();
    this.now = options.now ?? (() => performance.now());
    this.powerCycle();
  }

  /** Back to power-on values, as after a brown-out. */
  powerCycle(): void {
    this.regs.fill(0);
    this.regs[REG.MODE1] = RESET.MODE1;
    this.regs[REG.MODE2] = RESET.MODE2;
    this.regs[REG.SUBADR1] = RESET.SUBADR1;
    this.regs[REG.SUBADR2] = RESET.SUBADR2;
    this.regs[REG.SUBADR3] = RESET.SUBADR3;
    this.regs[REG.ALLCALLADR] = RESET.ALLCALLADR;
    this.regs[REG.PRE_SCALE] = RESET.PRE_SCALE;
    for (let ch = 0; ch < CHANNELS; ch++) this.regs[REG.LED0_ON_L + 4 * ch + 3] = FULL;
    this.restartPending = false;
    this.outputs = Array.from({ length: CHANNELS }, () => 0);
    this.refresh();
  }

  readRegister(register: number): number {
    if (register === REG.MODE1) return (this.regs[REG.MODE1] ?? 0) | (this.restartPending ? MODE1.RESTART : 0);
    if (register >= LED_END && register <= REG.ALL_LED_OFF_H) return 0; // reserved, and ALL_LED_* read as 0
    if (register === REG.TESTMODE) return 0;
    return this.regs[register] ?? 0;
  }

  writeRegister(register: number, value: number): void {
    this.store(register, value);
    this.refresh();
  }

  /** Outputs change at the end of a transfer (MODE2.OCH = 0: on STOP), not byte by byte. */
  private store(register: number, value: number): void {
    this.writes++;
    if (register === REG.MODE1) this.writeMode1(value);
    else if (register === REG.MODE2) this.regs[REG.MODE2] = value & 0x1f;
    else if (register >= REG.SUBADR1 && register <= REG.ALLCALLADR) this.regs[register] = value & 0xfe;
    else if (register >= REG.LED0_ON_L && register < LED_END) {
      this.regs[register] = value;
      this.restartPending = false;
    } else if (register >= REG.ALL_LED_ON_L && register <= REG.ALL_LED_OFF_H) {
      for (let ch = 0; ch < CHANNELS; ch++) this.regs[REG.LED0_ON_L + 4 * ch + (register - REG.ALL_LED_ON_L)] = value;
      this.restartPending = false;
    } else if (register === REG.PRE_SCALE) {
      if (this.sleeping()) this.regs[REG.PRE_SCALE] = Math.max(PRESCALE_MIN, value);
    }
  }

  /** A block read: the register pointer moves only with MODE1.AI set. */
  readBlock(register: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    let reg = register;
    for (let i = 0; i < length; i++) {
      out[i] = this.readRegister(reg);
      if (this.autoIncrement()) reg = (reg + 1) & 0xff;
    }
    return out;
  }

  writeBlock(register: number, data: Buffer): void {
    let reg = register;
    for (const value of data) {
      this.store(reg, value);
      if (this.autoIncrement()) reg = (reg + 1) & 0xff;
    }
    this.refresh();
  }

  sleeping(): boolean {
    return ((this.regs[REG.MODE1] ?? 0) & MODE1.SLEEP) !== 0;
  }

  restartPendingNow(): boolean {
    return this.restartPending;
  }

  prescale(): number {
    return this.regs[REG.PRE_SCALE] ?? 0;
  }

  frequencyHz(): number {
    return frequencyFor(this.prescale());
  }

  /** The four LEDn registers of `channel`. */
  ledRegisters(channel: number): number[] {
    const base = REG.LED0_ON_L + 4 * channel;
    return Array.from(this.regs.subarray(base, base + 4));
  }

  /** Duty cycle 0..1 the LEDn registers of `channel` describe. */
  duty(channel: number): number {
    return dutyOf(this.ledRegisters(channel));
  }

  /** Duty cycle 0..1 at the pin of `channel` now. */
  output(channel: number): number {
    return this.outputs[channel] ?? 0;
  }

  private autoIncrement(): boolean {
    return ((this.regs[REG.MODE1] ?? 0) & MODE1.AI) !== 0;
  }

  private writeMode1(value: number): void {
    const before = this.regs[REG.MODE1] ?? 0;
    const wasAsleep = (before & MODE1.SLEEP) !== 0;
    const asleep = (value & MODE1.SLEEP) !== 0;
    // EXTCLK can only be set (cleared by a reset); RESTART is not stored: see restartPending.
    this.regs[REG.MODE1] = (value & ~MODE1.RESTART) | (before & MODE1.EXTCLK);
    if (!wasAsleep && asleep) {
      const running = Array.from({ length: CHANNELS }, (_, ch) => this.duty(ch)).some((d) => d > 0);
      if (running) this.restartPending = true;
    }
    if (wasAsleep && !asleep) this.wokeAt = this.now();
    if (!asleep && value & MODE1.RESTART && this.restartPending) {
      // The oscillator must have run 500 us (so SLEEP was already clear before this write).
      if (!wasAsleep && (this.now() - this.wokeAt) * 1000 >= OSC_SETTLE_US) {
        this.restartPending = false;
        this.restarts++;
      } else this.lostRestarts++;
    }
  }

  private refresh(): void {
    const invert = ((this.regs[REG.MODE2] ?? 0) & MODE2.INVRT) !== 0;
    const paused = this.sleeping() || this.restartPending;
    for (let ch = 0; ch < CHANNELS; ch++) {
      const duty = paused ? 0 : invert ? 1 - this.duty(ch) : this.duty(ch);
      if (duty !== this.outputs[ch]) {
        this.outputs[ch] = duty;
        this.emit('output', ch, duty);
      }
    }
  }
}
