// The simulated touch controller: a register-level model of an FT6236 that sits on the
// simulated I2C bus (the driver reads the same registers as on the real chip) and drives the
// interrupt line as the chip's INT pin does, plus a replayer that plays signature recordings
// scan by scan, in real time or one scan at a time.
import type { I2cDeviceModel } from '../i2c/interface.ts';
import type { Level } from '../gpio/interface.ts';
import { encodePoint, MAX_POINTS, POINT_BLOCK, REG, type RawTouchPoint } from './ft6236.ts';
import { scanFrames, type Recording, type ScanFrame } from './recording.ts';

export type SimTouchFault = 'none' | 'eio' | 'garbage' | 'absent';

const WRITABLE: ReadonlySet<number> = new Set([REG.DEVICE_MODE, REG.TH_GROUP, REG.PERIOD_ACTIVE, REG.PERIOD_MONITOR, REG.G_MODE, REG.POWER_MODE]);

export interface Ft6236ModelOptions {
  chipId?: number;
  firmwareId?: number;
  vendorId?: number;
}

export class Ft6236Model implements I2cDeviceModel {
  private readonly regs = new Uint8Array(256);
  private drive: ((level: Level) => void) | undefined;
  private fault: SimTouchFault = 'none';
  private intLevel: Level = 1;
  /** Register reads served, for tests that check the driver really talks to the chip. */
  reads = 0;

  constructor(options: Ft6236ModelOptions = {}) {
    this.regs[REG.DEVICE_MODE] = 0;
    this.regs[REG.TD_STATUS] = 0;
    this.regs[REG.TH_GROUP] = 0x16;
    this.regs[REG.PERIOD_ACTIVE] = 0x06;
    this.regs[REG.PERIOD_MONITOR] = 0x28;
    this.regs[REG.LIB_VERSION_H] = 0x30;
    this.regs[REG.LIB_VERSION_L] = 0x03;
    this.regs[REG.CHIPID] = options.chipId ?? 0x36;
    this.regs[REG.G_MODE] = 0x01;
    this.regs[REG.FIRMID] = options.firmwareId ?? 0x10;
    this.regs[REG.VENDID] = options.vendorId ?? 0x11;
  }

  /** Connects the INT pin: `drive` sets the level of the GPIO input it is wired to. */
  connectInterrupt(drive: (level: Level) => void): void {
    this.drive = drive;
    drive(this.intLevel);
  }

  /** Makes the chip misbehave: 'eio' fails every transfer, 'garbage' answers 0xFF, 'absent' does not acknowledge. */
  setFault(fault: SimTouchFault): void {
    this.fault = fault;
  }

  register(register: number): number {
    return this.regs[register & 0xff]!;
  }

  readRegister(register: number): number {
    if (this.fault === 'eio') throw new Error('EIO: remote I/O error (simulated touch controller)');
    if (this.fault === 'absent') throw new Error('ENXIO: no such device or address (simulated touch controller)');
    this.reads++;
    if (this.fault === 'garbage') return 0xff;
    return this.regs[register & 0xff]!;
  }

  writeRegister(register: number, value: number): void {
    if (this.fault === 'eio') throw new Error('EIO: remote I/O error (simulated touch controller)');
    if (this.fault === 'absent') throw new Error('ENXIO: no such device or address (simulated touch controller)');
    if (WRITABLE.has(register)) this.regs[register] = value & 0xff;
  }

  /**
   * Publishes one scan: the registers take the new report, then INT signals it: in trigger
   * mode (G_MODE=1) a low pulse per report, in polling mode (G_MODE=0) low while touched.
   */
  report(points: readonly RawTouchPoint[]): void {
    const shown = points.slice(0, MAX_POINTS);
    this.regs[REG.TD_STATUS] = shown.length;
    for (let i = 0; i < MAX_POINTS; i++) {
      const point = shown[i];
      const bytes = point ? encodePoint(point) : [0xff, 0xff, 0xff, 0xff, 0, 0];
      this.regs.set(bytes, REG.P1 + i * POINT_BLOCK);
    }
    if (this.regs[REG.G_MODE] === 0) {
      this.setInt(shown.length > 0 ? 0 : 1);
    } else {
      this.setInt(0);
      this.setInt(1);
    }
  }

  private setInt(level: Level): void {
    this.intLevel = level;
    this.drive?.(level);
  }
}

export interface ReplayOptions {
  /** Playback speed (2 = twice as fast). Default 1. */
  speed?: number;
  signal?: AbortSignal;
}

/**
 * Plays a recording into a model. `step()` publishes the next scan at once (tests advance a
 * virtual clock with `time()`); `play()` publishes scans at the recording's pace.
 */
export class TouchReplayer {
  private readonly frames: ScanFrame[];
  private index = 0;
  private lastEmpty = true;

  constructor(
    private readonly model: Ft6236Model,
    readonly recording: Recording,
  ) {
    this.frames = scanFrames(recording);
  }

  get done(): boolean {
    return this.index >= this.frames.length;
  }

  /** Time (ms since the recording began) of the scan the next `step()` publishes, or of the last one. */
  time(): number {
    return (this.frames[Math.min(this.index, this.frames.length - 1)]?.t ?? 0) - (this.frames[0]?.t ?? 0);
  }

  /** Publishes the next scan; false when the recording is over. Idle scans are not reported, as on the chip. */
  step(): boolean {
    const frame = this.frames[this.index++];
    if (!frame) return false;
    const empty = frame.points.length === 0;
    if (!(empty && this.lastEmpty)) this.model.report(frame.points);
    this.lastEmpty = empty;
    return true;
  }

  async play(options: ReplayOptions = {}): Promise<void> {
    const speed = options.speed ?? 1;
    const origin = performance.now();
    const t0 = this.frames[0]?.t ?? 0;
    while (!this.done) {
      if (options.signal?.aborted) throw new Error('replay aborted');
      const due = ((this.frames[this.index]!.t - t0) / speed) - (performance.now() - origin);
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      this.step();
    }
  }
}
