// A person's stylus on the simulated touch panel: points drawn in the simulator panel (mouse or
// finger, normalised to 0..1) become FT6236 scan reports on the register model, one scan per
// point at the chip's scan period, in order, as a real pen's contact would produce them. The
// booth's driver reads them through the simulated I2C bus exactly as on the real chip.
import type { Ft6236Model } from '../hal/touch/index.ts';

export interface PenPoint {
  event: 'down' | 'contact' | 'up';
  /** 0..1 across the panel. */
  x: number;
  /** 0..1 down the panel. */
  y: number;
}

export class PanelPen {
  private queue: Promise<void> = Promise.resolve();
  private touching = false;
  /** Scans reported since start (the panel shows it; tests check the register path is used). */
  scans = 0;

  constructor(
    private readonly model: Ft6236Model,
    private readonly size: { width: number; height: number },
    /** The chip's scan period (100 Hz). */
    private readonly scanMs = 10,
  ) {}

  /** Queues the points; resolves once they have all been reported. */
  draw(points: readonly PenPoint[]): Promise<void> {
    const run = this.queue.then(() => this.play(points));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async play(points: readonly PenPoint[]): Promise<void> {
    for (const point of points) {
      // A contact without its touch-down (the pointer entered mid-stroke) starts one.
      const event = point.event === 'contact' && !this.touching ? 'down' : point.event;
      if (event === 'up' && !this.touching) continue;
      const x = Math.round(Math.min(1, Math.max(0, point.x)) * (this.size.width - 1));
      const y = Math.round(Math.min(1, Math.max(0, point.y)) * (this.size.height - 1));
      this.model.report([{ id: 0, event, x, y, weight: 0, area: 0 }]);
      this.scans++;
      this.touching = event !== 'up';
      await new Promise((resolve) => setTimeout(resolve, this.scanMs));
      if (event === 'up') {
        this.model.report([]); // the first idle scan after a lift is reported, then silence
        await new Promise((resolve) => setTimeout(resolve, this.scanMs));
      }
    }
  }
}
