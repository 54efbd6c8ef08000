// The PCA9685 16-channel, 12-bit PWM controller (NXP datasheet rev. 4): register map, bits
// and the arithmetic shared by the driver and the simulator.

export const REG = {
  MODE1: 0x00,
  MODE2: 0x01,
  SUBADR1: 0x02,
  SUBADR2: 0x03,
  SUBADR3: 0x04,
  ALLCALLADR: 0x05,
  /** LEDn_ON_L = 0x06 + 4n, then ON_H, OFF_L, OFF_H. */
  LED0_ON_L: 0x06,
  ALL_LED_ON_L: 0xfa,
  ALL_LED_ON_H: 0xfb,
  ALL_LED_OFF_L: 0xfc,
  ALL_LED_OFF_H: 0xfd,
  PRE_SCALE: 0xfe,
  TESTMODE: 0xff,
} as const;

export const MODE1 = {
  RESTART: 0x80,
  EXTCLK: 0x40,
  /** Register auto-increment. */
  AI: 0x20,
  /** Low-power mode, oscillator off: PRE_SCALE can only be written then. */
  SLEEP: 0x10,
  SUB1: 0x08,
  SUB2: 0x04,
  SUB3: 0x02,
  ALLCALL: 0x01,
} as const;

export const MODE2 = {
  INVRT: 0x10,
  /** Outputs change on ACK instead of STOP. */
  OCH: 0x08,
  /** Totem-pole outputs (else open drain). */
  OUTDRV: 0x04,
} as const;

/** Bit 4 of LEDn_ON_H (full on) and of LEDn_OFF_H (full off, which wins over full on). */
export const FULL = 0x10;

export const CHANNELS = 16;
export const OSC_HZ = 25_000_000;
export const STEPS = 4096;
/** PRE_SCALE limits: 3 (1526 Hz) to 255 (24 Hz); the chip forces lower values to 3. */
export const PRESCALE_MIN = 3;
export const PRESCALE_MAX = 255;
/** Time the oscillator needs after SLEEP is cleared before RESTART may be written. */
export const OSC_SETTLE_US = 500;

/** Reset values (datasheet table 4). */
export const RESET = { MODE1: 0x11, MODE2: 0x04, SUBADR1: 0xe2, SUBADR2: 0xe4, SUBADR3: 0xe8, ALLCALLADR: 0xe0, PRE_SCALE: 0x1e } as const;

export function ledRegister(channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel >= CHANNELS) throw new RangeError(`PCA9685 channel ${channel} is not 0-15`);
  return REG.LED0_ON_L + 4 * channel;
}

/** PRE_SCALE for an output frequency: round(osc / (4096 x f)) - 1, clamped to the chip's range. */
export function prescaleFor(frequencyHz: number, oscHz = OSC_HZ): number {
  const value = Math.round(oscHz / (STEPS * frequencyHz)) - 1;
  return Math.min(PRESCALE_MAX, Math.max(PRESCALE_MIN, value));
}

/** Output frequency a PRE_SCALE value gives. */
export function frequencyFor(prescale: number, oscHz = OSC_HZ): number {
  return oscHz / (STEPS * (Math.max(PRESCALE_MIN, prescale) + 1));
}

/** On-time of a channel in 1/4096ths for a duty cycle 0..1 (rounded). */
export function dutyCounts(duty: number): number {
  return Math.round(Math.min(1, Math.max(0, duty)) * STEPS);
}

/**
 * The four LEDn bytes (ON_L, ON_H, OFF_L, OFF_H) for `counts` of 4096: 0 is the full-off
 * bit, 4096 the full-on bit, anything between turns on at count 0 and off at `counts`.
 */
export function ledBytes(counts: number): [number, number, number, number] {
  if (counts <= 0) return [0, 0, 0, FULL];
  if (counts >= STEPS) return [0, FULL, 0, 0];
  return [0, 0, counts & 0xff, (counts >> 8) & 0x0f];
}

/** Duty cycle 0..1 that the four LEDn bytes describe. */
export function dutyOf(bytes: ArrayLike<number>): number {
  const [onL = 0, onH = 0, offL = 0, offH = 0] = Array.from(bytes);
  if (offH & FULL) return 0;
  if (onH & FULL) return 1;
  const on = ((onH & 0x0f) << 8) | onL;
  const off = ((offH & 0x0f) << 8) | offL;
  return (((off - on) % STEPS) + STEPS) % STEPS / STEPS;
}
