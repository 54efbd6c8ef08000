// One GPIO line, as the device drivers see it: the same interface over the kernel (onoff)
// and over the simulator, so curtain, relay and touch-interrupt code runs unchanged on both.

export type Level = 0 | 1;
export type Edge = 'none' | 'rising' | 'falling' | 'both';
export type Direction = 'in' | 'out';

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
}

export interface GpioLine {
  readonly offset: number;
  read(): Promise<Level>;
  write(level: Level): Promise<void>;
  /** Calls `listener` with the new level on each configured edge; returns an unsubscribe. */
  watch(listener: (level: Level) => void): () => void;
  close(): Promise<void>;
}

export interface GpioChip {
  /** Driver name for `cabine devices`, e.g. "sysfs:pinctrl-bcm2711@512" or "sim". */
  readonly driver: string;
  readonly simulated: boolean;
  openLine(options: LineOptions): Promise<GpioLine>;
  close(): Promise<void>;
}
