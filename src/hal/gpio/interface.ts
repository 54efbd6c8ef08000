// One GPIO line, as the device drivers see it: the same interface over the kernel (onoff)
// and over the simulator, so curtain, relay and touch-interrupt code runs unchanged on both.

export type Level = 0 | 1;
export type Edge = 'none' | 'rising' | 'falling' | 'both';
export type Direction = 'in' | 'out';
/** Internal resistor of an input. */
export type Bias = 'pull-up' | 'pull-down' | 'none';

export interface LineOptions {
  /** BCM offset on the header's gpiochip (e.g. 17), resolved to a kernel number by the driver. */
  offset: number;
  direction: Direction;
  /** Edges that fire `watch` callbacks (inputs only). */
  edge?: Edge;
  /** Initial level of an output. */
  initial?: Level;
  /** Consumer name shown by the kernel (gpioinfo). */
  consumer?: string;
  /**
   * Internal resistor of an input. The simulator applies it; the sysfs interface cannot set
   * it, so on a booth it comes from the device-tree overlay (firmware/cabine-booth.dts).
   */
  bias?: Bias;
}

export interface GpioLine {
  readonly offset: number;
  read(): Promise<Level>;
  /** Drives an output; rejects on an input line. */
  write(level: Level): Promise<void>;
  /**
   * Calls `listener` on each configured edge with the level read just after it (which may
   * already differ from the edge's direction on a bouncing contact); returns an unsubscribe.
   */
  watch(listener: (level: Level) => void): () => void;
  close(): Promise<void>;
}

export interface GpioChip {
  /** Driver name for `cabine devices`, e.g. "sysfs:pinctrl-bcm2711@512" or "sim". */
  readonly driver: string;
  readonly simulated: boolean;
  /** Rejects with a clear message when the line cannot be had (no chip, busy, no rights). */
  openLine(options: LineOptions): Promise<GpioLine>;
  close(): Promise<void>;
}
