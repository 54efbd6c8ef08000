// Fallback camera driver for boards where the libcamera addon is not built: Raspberry Pi's
// camera apps (`rpicam-still`/`rpicam-vid`, or `libcamera-still`/`libcamera-vid` on older
// images). Stills are one process per shot writing JPEG to stdout; the preview is one
// long-running process streaming raw YUV420 frames on stdout. Only one process can hold the
// camera: a still waits until the preview process has exited. Stills get STILL_SETTLE_MS of
// preview before the shot so automatic exposure and white balance settle. rpicam-vid's YUV is
// video range (SMPTE 170M at 640x480), decoded as such. A preview process that dies is started
// again (backoff 1 s doubling to 30 s); the first frame through, or a good still, marks the
// camera OK again; while it is faulty and idle a small still is tried every PROBE_MS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { every, systemClock, type Clock } from '../clock.ts';
import { BaseDevice } from '../device.ts';
import { frameToRgb } from './frame-format.ts';
import { DEFAULT_CONTROLS, PREVIEW_HEIGHT, PREVIEW_WIDTH, mergeControls, type CameraControls, type CameraDevice, type PreviewFrame, type PreviewOptions, type Still } from './interface.ts';

/** Time the still app runs before the shot (auto exposure / white balance settle). */
export const STILL_SETTLE_MS = 1000;
/** rpicam-vid's colour space for a 640x480 YUV stream (libcamera's SD video default). */
export const PREVIEW_COLOR_SPACE = 'SMPTE170M';
const PROBE_MS = 10_000;
const RESTART_BACKOFF_MS = [1000, 30_000] as const;
/** How long a preview process may take to release the camera after SIGTERM. */
const EXIT_GRACE_MS = 3000;

export interface RpicamApps {
  still: string;
  vid: string;
}

/** The camera apps on PATH, newest names first. */
export function findRpicamApps(env: NodeJS.ProcessEnv = process.env): RpicamApps | undefined {
  const has = (name: string) => spawnSync('sh', ['-c', `command -v ${name}`], { env }).status === 0;
  if (has('rpicam-still') && has('rpicam-vid')) return { still: 'rpicam-still', vid: 'rpicam-vid' };
  if (has('libcamera-still') && has('libcamera-vid')) return { still: 'libcamera-still', vid: 'libcamera-vid' };
  return undefined;
}

/** Command-line flags of the rpicam apps for a set of controls. */
export function controlArgs(controls: CameraControls): string[] {
  const args: string[] = [];
  if (controls.autoExposure) {
    if (controls.exposureValue !== 0) args.push('--ev', String(controls.exposureValue));
  } else {
    args.push('--shutter', String(controls.exposureTimeUs), '--gain', String(controls.analogueGain));
  }
  if (!controls.autoWhiteBalance) args.push('--awbgains', `${controls.colourGains[0]},${controls.colourGains[1]}`);
  return args;
}

export class RpicamCamera extends BaseDevice implements CameraDevice {
  readonly name = 'camera';
  readonly driver: string;
  readonly simulated = false;
  readonly previewSize = { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT };
  readonly stillSize: { width: number; height: number };
  private controlState: CameraControls = { ...DEFAULT_CONTROLS };
  private preview: ChildProcess | undefined;
  /** Resolves once the last preview process has exited (the camera is free). */
  private previewExited: Promise<void> = Promise.resolve();
  private previewWanted: { onFrame: (frame: PreviewFrame) => void; options: PreviewOptions } | undefined;
  private restartTimer: unknown;
  private restartBackoffMs: number = RESTART_BACKOFF_MS[0];
  private stopProbing: (() => void) | undefined;
  private capturing = false;
  private stopped = true;
  private readonly log: Logger;

  constructor(
    private readonly config: Config['camera'],
    private readonly apps: RpicamApps,
    logger: Logger,
    /** The idle probe's period; the clock the probe, preview restarts and kill grace run on. */
    private readonly timing: { probeMs?: number; clock?: Clock } = {},
  ) {
    super();
    this.driver = apps.still;
    this.stillSize = { width: config.stillWidth, height: config.stillHeight };
    this.log = logger.child({ module: 'camera', driver: apps.still });
  }

  get previewing(): boolean {
    return this.previewWanted !== undefined;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const listed = spawnSync(this.apps.still, ['--list-cameras'], { encoding: 'utf8', timeout: 15_000 });
    const text = `${listed.stdout ?? ''}${listed.stderr ?? ''}`;
    if (listed.error) return this.markFault(`${this.apps.still}: ${listed.error.message}`, true, 'absent');
    if (/No cameras available/i.test(text) || !/^\s*\d+\s*:/m.test(text)) return this.markFault(`${this.apps.still} sees no camera`, true, 'absent');
    this.markOk(text.split('\n').find((l) => /^\s*0\s*:/.test(l))?.trim());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopProbe();
    this.stopPreview();
    await this.previewExited;
    this.markStopped();
  }

  private runStill(width: number, height: number, settleMs: number): Promise<Buffer> {
    const args = ['-n', '-t', String(settleMs), '--width', String(width), '--height', String(height), '-q', String(this.config.jpegQuality), '-e', 'jpg', '-o', '-', ...controlArgs(this.controlState)];
    return new Promise<Buffer>((resolve, reject) => {
      const child = spawn(this.apps.still, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const out = Buffer.concat(chunks);
        if (code === 0 && out[0] === 0xff && out[1] === 0xd8) resolve(out);
        else reject(new Error(`${this.apps.still} failed (${code}): ${stderr.trim().split('\n').pop() ?? ''}`));
      });
    });
  }

  async capture(): Promise<Still> {
    // The camera is free only once the preview process has exited.
    this.stopPreview();
    await this.previewExited;
    this.capturing = true;
    let jpeg: Buffer;
    try {
      jpeg = await this.runStill(this.stillSize.width, this.stillSize.height, STILL_SETTLE_MS);
    } catch (err) {
      this.markFault((err as Error).message, true);
      this.startProbe();
      throw err;
    } finally {
      this.capturing = false;
    }
    this.good();
    return { jpeg, width: this.stillSize.width, height: this.stillSize.height, metadata: { exposureTimeUs: this.controlState.exposureTimeUs, analogueGain: this.controlState.analogueGain, colourGains: this.controlState.colourGains } };
  }

  /** A frame or a still came through: the camera works. */
  private good(): void {
    this.restartBackoffMs = RESTART_BACKOFF_MS[0];
    this.stopProbe();
    if (this.health !== 'ok') this.markOk();
  }

  /** While faulty and idle, a small still now and then: the camera recovers without a restart of the booth. */
  private startProbe(): void {
    if (this.stopProbing || this.stopped) return;
    this.stopProbing = every(
      this.clock,
      this.timing.probeMs ?? PROBE_MS,
      () => {
        if (this.previewWanted || this.capturing || this.stopped) return;
        this.capturing = true;
        this.runStill(PREVIEW_WIDTH, PREVIEW_HEIGHT, 1).then(
          () => this.good(),
          (err: Error) => this.log.debug({ err: err.message }, 'camera probe failed'),
        ).finally(() => (this.capturing = false));
      },
      { unref: true },
    );
  }

  private get clock(): Clock {
    return this.timing.clock ?? systemClock;
  }

  private stopProbe(): void {
    this.stopProbing?.();
    this.stopProbing = undefined;
  }

  startPreview(onFrame: (frame: PreviewFrame) => void, options: PreviewOptions = {}): void {
    this.stopPreview();
    this.previewWanted = { onFrame, options };
    // A still may still hold the camera, or the last preview not have exited yet.
    const wanted = this.previewWanted;
    void this.previewExited.then(() => {
      if (this.previewWanted === wanted && !this.preview) this.spawnPreview();
    });
  }

  private spawnPreview(): void {
    const wanted = this.previewWanted;
    if (!wanted || this.stopped) return;
    const fps = wanted.options.fps ?? this.config.previewFps;
    const frameBytes = (PREVIEW_WIDTH * PREVIEW_HEIGHT * 3) / 2;
    const child = spawn(this.apps.vid, ['-n', '-t', '0', '--width', String(PREVIEW_WIDTH), '--height', String(PREVIEW_HEIGHT), '--framerate', String(fps), '--codec', 'yuv420', '-o', '-', ...controlArgs(this.controlState)], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.preview = child;
    this.previewExited = new Promise<void>((resolve) => {
      child.on('close', () => resolve());
      child.on('error', () => resolve());
    });
    let pending = Buffer.alloc(0);
    let sequence = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Only the newest complete frame is delivered: older ones are skipped, never queued.
      const complete = Math.floor(pending.length / frameBytes);
      if (complete === 0) return;
      const frame = pending.subarray((complete - 1) * frameBytes, complete * frameBytes);
      pending = Buffer.from(pending.subarray(complete * frameBytes));
      if (this.preview !== child) return;
      this.good();
      const data = previewToRgb(frame);
      wanted.onFrame({ data, width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, format: 'RGB24', sequence: sequence++, timestampMs: performance.now() });
    });
    child.on('error', (err) => this.log.warn({ err: err.message }, 'preview process failed'));
    child.on('close', (code, signal) => {
      if (this.preview !== child) return; // stopped on purpose
      this.preview = undefined;
      this.markFault(`${this.apps.vid} stopped (${code ?? signal})`, true);
      if (this.previewWanted !== wanted || this.stopped) return;
      const delay = this.restartBackoffMs;
      this.restartBackoffMs = Math.min(delay * 2, RESTART_BACKOFF_MS[1]);
      this.restartTimer = this.clock.setTimeout(() => {
        this.restartTimer = undefined;
        if (this.previewWanted === wanted && !this.preview) this.spawnPreview();
      }, delay);
    });
  }

  stopPreview(): void {
    this.previewWanted = undefined;
    this.clock.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.preview;
    this.preview = undefined;
    if (!child) return;
    child.kill('SIGTERM');
    // One that does not let go of the camera in time is killed.
    const kill = this.clock.setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
    (kill as { unref?: () => void } | undefined)?.unref?.();
    child.once('close', () => this.clock.clearTimeout(kill));
  }

  setControls(update: Partial<CameraControls>): CameraControls {
    this.controlState = mergeControls(this.controlState, update);
    if (this.preview) this.log.debug('controls take effect on the next still and the next preview start');
    return this.controls();
  }

  controls(): CameraControls {
    return { ...this.controlState };
  }
}

/** A 640x480 frame of rpicam-vid's YUV420 output as RGB (video range, BT.601). */
export function previewToRgb(frame: Buffer): Buffer {
  return frameToRgb({ data: frame, width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, stride: PREVIEW_WIDTH, format: 'YUV420', colorSpace: PREVIEW_COLOR_SPACE });
}
