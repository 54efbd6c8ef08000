// The curtain switch, simulated at line level on a SimGpioChip: drawing the curtain drives
// the line to the closed level, with optional contact chatter (the contact makes and breaks
// `bounces` times over `bounceMs` before it settles), as a real microswitch does.
import { sleep, systemClock, type Clock } from '../clock.ts';
import type { Level } from '../gpio/interface.ts';
import type { SimGpioChip } from '../gpio/sim.ts';

export interface SwitchMoveOptions {
  /** Make/break cycles before the contact settles (default 0: a clean edge). */
  bounces?: number;
  /** How long the chatter lasts (ms, default 5). */
  bounceMs?: number;
}

export class SimCurtainSwitch {
  constructor(
    private readonly chip: SimGpioChip,
    private readonly line: number,
    private readonly closedLevel: Level,
    private readonly clock: Clock = systemClock,
  ) {}

  drawn(): boolean {
    return this.chip.level(this.line) === this.closedLevel;
  }

  /** Draws the curtain; resolves once the contact has settled. */
  draw(options: SwitchMoveOptions = {}): Promise<void> {
    return this.move(this.closedLevel, options);
  }

  /** Opens the curtain (the switch releases: the pull resistor sets the level). */
  open(options: SwitchMoveOptions = {}): Promise<void> {
    return this.move(this.closedLevel === 0 ? 1 : 0, options);
  }

  private async move(level: Level, { bounces = 0, bounceMs = 5 }: SwitchMoveOptions): Promise<void> {
    const other: Level = level === 0 ? 1 : 0;
    const half = bounces > 0 ? Math.max(1, Math.round(bounceMs / (2 * bounces))) : 0; // timers count whole ms
    for (let i = 0; i < bounces; i++) {
      this.drive(level);
      await sleep(this.clock, half);
      this.drive(other);
      await sleep(this.clock, half);
    }
    this.drive(level);
  }

  private drive(level: Level): void {
    // Closed: the switch ties the line to its closed level. Open: nothing drives it.
    this.chip.setInput(this.line, level === this.closedLevel ? level : null);
  }
}
