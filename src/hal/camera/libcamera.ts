// The camera on a board through the libcamera addon (native/libcamera): a 640x480 preview
// stream and a full-resolution still stream, both YUV420, converted to RGB here, stills
// encoded to JPEG by sharp. Controls map one to one onto libcamera's.
import sharp from 'sharp';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { BaseDevice } from '../device.ts';
import { frameToRgb } from './frame-format.ts';
import { DEFAULT_CONTROLS, PREVIEW_HEIGHT, PREVIEW_WIDTH, mergeControls, type CameraControls, type CameraDevice, type PreviewFrame, type PreviewOptions, type Still } from './interface.ts';
import { loadLibcameraAddon, type LibcameraControls, type LibcameraSession } from './libcamera-addon.ts';

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
  private previewTimer: NodeJS.Timeout | undefined;
  private previewActive = false;
  private sequence = 0;
  private readonly log: Logger;

  constructor(
    private readonly config: Config['camera'],
    logger: Logger,
  ) {
    super();
    this.stillSize = { width: config.stillWidth, height: config.stillHeight };
    this.log = logger.child({ module: 'camera', driver: 'libcamera' });
  }

  get previewing(): boolean {
    return this.previewActive;
  }

  async start(): Promise<void> {
    const load = loadLibcameraAddon();
    if (!load.addon) return this.markFault(load.reason, true, 'absent');
    try {
      const cameras = load.addon.listCameras();
      const first = cameras[0];
      if (!first) return this.markFault('no camera detected by libcamera (check the ribbon cable and camera_auto_detect=1)', true, 'absent');
      this.session = new load.addon.CameraSession(first.id);
      const streams = this.session.configure({
        preview: { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, format: 'YUV420' },
        still: { width: this.config.stillWidth, height: this.config.stillHeight, format: 'YUV420' },
      });
      this.session.start(toLibcamera(this.controlState));
      this.markOk(`${first.model ?? first.id}: preview ${streams.preview?.width}x${streams.preview?.height}, still ${streams.still?.width}x${streams.still?.height}`);
    } catch (err) {
      this.session?.close();
      this.session = undefined;
      this.markFault(`libcamera: ${(err as Error).message}`, true);
    }
  }

  async stop(): Promise<void> {
    this.stopPreview();
    this.session?.close();
    this.session = undefined;
    this.markStopped();
  }

  private async grabRgb(stream: 'preview' | 'still'): Promise<{ rgb: Buffer; width: number; height: number; metadata: { exposureTimeUs?: number; analogueGain?: number; colourGains?: [number, number] } }> {
    if (!this.session) throw new Error(`camera unavailable: ${this.status().detail ?? 'not started'}`);
    try {
      const frame = await this.session.capture(stream);
      return { rgb: frameToRgb(frame), width: frame.width, height: frame.height, metadata: frame.metadata };
    } catch (err) {
      this.markFault(`capture failed: ${(err as Error).message}`, true);
      throw err;
    }
  }

  startPreview(onFrame: (frame: PreviewFrame) => void, options: PreviewOptions = {}): void {
    if (this.previewActive) this.stopPreview();
    this.previewActive = true;
    const period = 1000 / (options.fps ?? this.config.previewFps);
    const loop = async () => {
      if (!this.previewActive) return;
      const started = performance.now();
      try {
        const { rgb, width, height } = await this.grabRgb('preview');
        const data = width === PREVIEW_WIDTH && height === PREVIEW_HEIGHT ? rgb : await sharp(rgb, { raw: { width, height, channels: 3 } }).resize(PREVIEW_WIDTH, PREVIEW_HEIGHT, { fit: 'cover' }).raw().toBuffer();
        if (this.previewActive) onFrame({ data, width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, format: 'RGB24', sequence: this.sequence++, timestampMs: performance.now() });
      } catch (err) {
        this.log.warn({ err }, 'preview frame lost');
      }
      // Frames are skipped, never queued: the next one is asked for once this one is done.
      if (this.previewActive) this.previewTimer = setTimeout(() => void loop(), Math.max(0, period - (performance.now() - started)));
    };
    void loop();
  }

  stopPreview(): void {
    this.previewActive = false;
    if (this.previewTimer) clearTimeout(this.previewTimer);
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
