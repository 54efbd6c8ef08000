// The camera on a board through the libcamera addon (native/libcamera): a 640x480 preview
// stream and a full-resolution still stream, both YUV420, converted to RGB here, stills
// encoded to JPEG by sharp. Controls map one to one onto libcamera's.
// Recovery: a good frame marks the camera OK again (a passing fault no longer stops sales);
// after REOPEN_AFTER consecutive failed or timed-out captures the session is closed and the
// camera opened again, at most once per backoff period (1 s, doubling to 30 s).
import sharp from 'sharp';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { every, sleep, systemClock, type Clock } from '../clock.ts';
import { BaseDevice } from '../device.ts';
import { frameToRgb } from './frame-format.ts';
import { DEFAULT_CONTROLS, PREVIEW_HEIGHT, PREVIEW_WIDTH, mergeControls, type CameraControls, type CameraDevice, type PreviewFrame, type PreviewOptions, type Still } from './interface.ts';
import { loadLibcameraAddon, type AddonLoad, type LibcameraControls, type LibcameraSession } from './libcamera-addon.ts';

/** Consecutive failed captures before the camera is closed and opened again. */
export const REOPEN_AFTER = 3;
const REOPEN_BACKOFF_MS = [1000, 30_000] as const;
/** A capture that has not completed by then counts as failed (a stalled pipeline). */
const CAPTURE_TIMEOUT_MS = { preview: 5000, still: 15_000 } as const;

function toLibcamera(controls: CameraControls): LibcameraControls {
  return controls.autoExposure
    ? { autoExposure: true, exposureValue: controls.exposureValue, ...(controls.autoWhiteBalance ? { autoWhiteBalance: true } : { autoWhiteBalance: false, colourGains: controls.colourGains }) }
    : {
        autoExposure: false,
        exposureTimeUs: controls.exposureTimeUs,
        analogueGain: controls.analogueGain,
        ...(controls.autoWhiteBalance ? { autoWhiteBalance: true } : { autoWhiteBalance: false, colourGains: controls.colourGains }),
      };
}

export class LibcameraCamera extends BaseDevice implements CameraDevice {
  readonly name = 'camera';
  readonly driver = 'libcamera';
  readonly simulated = false;
  readonly previewSize = { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT };
  readonly stillSize: { width: number; height: number };
  private session: LibcameraSession | undefined;
  private controlState: CameraControls = { ...DEFAULT_CONTROLS };
  private previewTimer: unknown;
  private previewActive = false;
  private sequence = 0;
  private readonly log: Logger;
  private failures = 0;
  private openedDetail: string | undefined;
  private reopening: Promise<void> | undefined;
  private nextReopenAt = 0;
  private backoffMs: number = REOPEN_BACKOFF_MS[0];
  private stopped = true;
  private stopProbing: (() => void) | undefined;
  private grabbing = 0;
  /** Captures in flight: stop() lets them finish before the session is closed. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly config: Config['camera'],
    logger: Logger,
    /** The addon (tests inject a simulated one). */
    private readonly loadAddon: () => AddonLoad = loadLibcameraAddon,
    /** The preview loop, capture timeouts, probes and reopen backoff run on this clock. */
    private readonly clock: Clock = systemClock,
  ) {
    super();
    this.stillSize = { width: config.stillWidth, height: config.stillHeight };
    this.log = logger.child({ module: 'camera', driver: 'libcamera' });
  }

  get previewing(): boolean {
    return this.previewActive;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const problem = this.open();
    if (problem) this.markFault(problem.message, true, problem.absent ? 'absent' : 'fault');
    else this.markOk(this.openedDetail);
  }

  /** Opens the first camera, configures and starts it; returns the problem, or undefined. */
  private open(): { message: string; absent?: boolean } | undefined {
    const load = this.loadAddon();
    if (!load.addon) return { message: load.reason, absent: true };
    try {
      const cameras = load.addon.listCameras();
      const first = cameras[0];
      if (!first) return { message: 'no camera detected by libcamera (check the ribbon cable and camera_auto_detect=1)', absent: true };
      this.session = new load.addon.CameraSession(first.id);
      const streams = this.session.configure({
        preview: { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, format: 'YUV420' },
        still: { width: this.config.stillWidth, height: this.config.stillHeight, format: 'YUV420' },
      });
      this.session.start(toLibcamera(this.controlState));
      this.openedDetail = `${first.model ?? first.id}: preview ${streams.preview?.width}x${streams.preview?.height}, still ${streams.still?.width}x${streams.still?.height}`;
      return undefined;
    } catch (err) {
      this.closeSession();
      return { message: `libcamera: ${(err as Error).message}` };
    }
  }

  private closeSession(): void {
    this.inFlight.clear(); // the addon settles them as cancelled
    try {
      this.session?.close();
    } catch (err) {
      this.log.warn({ err }, 'closing the camera failed');
    }
    this.session = undefined;
  }

  /** Closes and opens the camera again, once per backoff period. */
  private reopen(): void {
    if (this.reopening || this.stopped || this.clock.now() < this.nextReopenAt) return;
    this.nextReopenAt = this.clock.now() + this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, REOPEN_BACKOFF_MS[1]);
    this.reopening = (async () => {
      this.log.warn({ failures: this.failures }, 'camera failing: closing and opening it again');
      this.closeSession();
      await sleep(this.clock, 100);
      if (this.stopped) return;
      const problem = this.open();
      if (problem) this.markFault(`reopening failed: ${problem.message}`, true);
      // OK only once a frame comes through.
    })().finally(() => {
      this.reopening = undefined;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopProbe();
    this.stopPreview();
    await this.reopening;
    // A capture in flight (a customer's still) completes before the camera closes; one that
    // hangs is cut short by its own timeout, and the addon settles it when the camera stops.
    let timer: unknown;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = this.clock.setTimeout(() => r(undefined), CAPTURE_TIMEOUT_MS.still)))]);
    this.clock.clearTimeout(timer);
    this.closeSession();
    this.markStopped();
  }

  private async grabRgb(stream: 'preview' | 'still'): Promise<{ rgb: Buffer; width: number; height: number; metadata: { exposureTimeUs?: number; analogueGain?: number; colourGains?: [number, number] } }> {
    if (this.reopening) await this.reopening;
    const session = this.session;
    if (!session) {
      if (this.health === 'fault') this.reopen();
      throw new Error(`camera unavailable: ${this.status().detail ?? 'not started'}`);
    }
    let timer: unknown;
    this.grabbing++;
    try {
      const request = session.capture(stream);
      this.inFlight.add(request);
      void request.then(
        () => this.inFlight.delete(request),
        () => this.inFlight.delete(request),
      );
      const frame = await Promise.race([
        request,
        new Promise<never>((_, reject) => {
          timer = this.clock.setTimeout(() => reject(new Error(`no ${stream} frame within ${CAPTURE_TIMEOUT_MS[stream] / 1000} s`)), CAPTURE_TIMEOUT_MS[stream]);
        }),
      ]);
      const rgb = frameToRgb(frame);
      this.failures = 0;
      this.backoffMs = REOPEN_BACKOFF_MS[0];
      if (this.health !== 'ok') this.markOk(this.openedDetail);
      this.stopProbe();
      return { rgb, width: frame.width, height: frame.height, metadata: frame.metadata };
    } catch (err) {
      this.failures++;
      this.markFault(`capture failed: ${(err as Error).message}`, true);
      if (this.failures >= REOPEN_AFTER) this.reopen();
      this.startProbe();
      throw err;
    } finally {
      this.clock.clearTimeout(timer);
      this.grabbing--;
    }
  }

  /**
   * While the camera is faulty and nothing else asks it for frames (the booth does not sell,
   * so no preview runs), a preview frame is asked for every second: the frame that comes
   * through marks it OK, the failures lead to a reopen.
   */
  private startProbe(): void {
    if (this.stopProbing || this.stopped) return;
    this.stopProbing = every(
      this.clock,
      1000,
      () => {
        if (this.previewActive || this.grabbing > 0 || this.stopped) return;
        this.grabRgb('preview').catch(() => undefined);
      },
      { unref: true },
    );
  }

  private stopProbe(): void {
    this.stopProbing?.();
    this.stopProbing = undefined;
  }

  startPreview(onFrame: (frame: PreviewFrame) => void, options: PreviewOptions = {}): void {
    if (this.previewActive) this.stopPreview();
    this.previewActive = true;
    const period = 1000 / (options.fps ?? this.config.previewFps);
    const loop = async () => {
      if (!this.previewActive) return;
      const started = this.clock.now();
      try {
        const { rgb, width, height } = await this.grabRgb('preview');
        const data = width === PREVIEW_WIDTH && height === PREVIEW_HEIGHT ? rgb : await sharp(rgb, { raw: { width, height, channels: 3 } }).resize(PREVIEW_WIDTH, PREVIEW_HEIGHT, { fit: 'cover' }).raw().toBuffer();
        if (this.previewActive) onFrame({ data, width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, format: 'RGB24', sequence: this.sequence++, timestampMs: performance.now() });
      } catch (err) {
        this.log.warn({ err }, 'preview frame lost');
      }
      // Frames are skipped, never queued: the next one is asked for once this one is done.
      if (this.previewActive) this.previewTimer = this.clock.setTimeout(() => void loop(), Math.max(0, period - (this.clock.now() - started)));
    };
    void loop();
  }

  stopPreview(): void {
    this.previewActive = false;
    this.clock.clearTimeout(this.previewTimer);
    this.previewTimer = undefined;
  }

  async capture(): Promise<Still> {
    const { rgb, width, height, metadata } = await this.grabRgb('still');
    const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: this.config.jpegQuality }).toBuffer();
    return {
      jpeg,
      width,
      height,
      metadata: {
        exposureTimeUs: metadata.exposureTimeUs ?? this.controlState.exposureTimeUs,
        analogueGain: metadata.analogueGain ?? this.controlState.analogueGain,
        colourGains: metadata.colourGains ?? this.controlState.colourGains,
      },
    };
  }

  setControls(update: Partial<CameraControls>): CameraControls {
    this.controlState = mergeControls(this.controlState, update);
    this.session?.setControls(toLibcamera(this.controlState));
    return this.controls();
  }

  controls(): CameraControls {
    return { ...this.controlState };
  }
}
