// The simulated camera: real photographs from a folder (`camera.source`) placed in front of
// a simulated sensor. Each photo is fitted into the still frame (its edges extended, as the
// booth's backdrop continues past the sitter), optionally degraded (tilt, blur), then every
// frame goes through the controls the way a sensor's exposure and white-balance gains act:
// multiplications in linear light, clipped at full scale, back to sRGB. So exposure
// compensation really brightens, a manual exposure that is too short really darkens, and
// manual colour gains really tint. Preview frames are the scene downscaled to 640x480.
//
// Model (docs/hardware.md, "Camera"): automatic exposure renders the photo as it is (the
// photo is taken as the correctly exposed scene, at the reference 10 ms x gain 1.0), plus
// exposureValue stops; manual exposure scales light by exposureTimeUs x analogueGain / 10 ms;
// automatic white balance renders the photo's colours; manual colour gains act relative to
// the gains automatic white balance would have chosen, [1.9, 1.6] (DEFAULT_CONTROLS).
import { every, systemClock, type Clock } from '../clock.ts';
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { BaseDevice } from '../device.ts';
import type { Logger } from '../../log.ts';
import {
  DEFAULT_CONTROLS,
  degradationSchema,
  mergeControls,
  NO_DEGRADATION,
  PREVIEW_HEIGHT,
  PREVIEW_WIDTH,
  type CameraControls,
  type Degradation,
  type PreviewFrame,
  type PreviewOptions,
  type SimulatedCameraDevice,
  type Still,
} from './interface.ts';
import { z } from 'zod';

export const REFERENCE_EXPOSURE_US = 10_000;
const PHOTO_RE = /\.(jpe?g|png|webp|tiff?)$/i;

const toLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (l: number) => {
  const c = l <= 0.0031308 ? 12.92 * l : 1.055 * l ** (1 / 2.4) - 0.055;
  return Math.max(0, Math.min(255, Math.round(c * 255)));
};
const LINEAR = Float64Array.from({ length: 256 }, (_, v) => toLinear(v));

/** Lookup table multiplying light by `gain` in linear space, clipped at full scale. */
export function gainLut(gain: number): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, v) => toSrgb(Math.min(1, LINEAR[v]! * gain)));
}

/** Per-channel light gains [R, G, B] the controls and the scene exposure produce. */
export function channelGains(controls: CameraControls, sceneEv: number): [number, number, number] {
  const exposure = controls.autoExposure ? 2 ** controls.exposureValue : (controls.exposureTimeUs * controls.analogueGain) / REFERENCE_EXPOSURE_US;
  const light = exposure * 2 ** sceneEv;
  if (controls.autoWhiteBalance) return [light, light, light];
  const [refRed, refBlue] = DEFAULT_CONTROLS.colourGains;
  return [(light * controls.colourGains[0]) / refRed, light, (light * controls.colourGains[1]) / refBlue];
}

/**
 * Sensor read noise, in place: each sample moves by -2..+2 levels (a small sensor's noise at
 * booth lighting), so consecutive preview frames of a still scene differ as a real camera's do.
 * A fast xorshift per frame seed: a preview frame must cost a few milliseconds.
 */
export function addReadNoise(rgb: Buffer, seed: number): Buffer {
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < rgb.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const v = rgb[i]! + (((x >>> 0) % 5) - 2);
    rgb[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return rgb;
}

/** Packed RGB with the gains applied (a new buffer). */
export function applyGains(rgb: Buffer, gains: [number, number, number]): Buffer {
  const out = Buffer.allocUnsafe(rgb.length);
  if (gains[0] === 1 && gains[1] === 1 && gains[2] === 1) {
    rgb.copy(out);
    return out;
  }
  const luts = gains.map(gainLut) as [Uint8Array, Uint8Array, Uint8Array];
  const [r, g, b] = luts;
  for (let i = 0; i < rgb.length; i += 3) {
    out[i] = r[rgb[i]!]!;
    out[i + 1] = g[rgb[i + 1]!]!;
    out[i + 2] = b[rgb[i + 2]!]!;
  }
  return out;
}

interface Scene {
  name: string;
  still: Buffer;
  preview: Buffer;
}

export interface SimulatedCameraOptions {
  source: string;
  previewFps: number;
  stillWidth: number;
  stillHeight: number;
  jpegQuality: number;
  /** The preview's frame timer runs on this clock. */
  clock?: Clock;
}

export class SimulatedCamera extends BaseDevice implements SimulatedCameraDevice {
  readonly name = 'camera';
  readonly driver = 'sim';
  readonly simulated = true;
  readonly previewSize = { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT };
  readonly stillSize: { width: number; height: number };
  private readonly log: Logger;
  private list: string[] = [];
  private scene: Scene | undefined;
  private pending: Promise<void> = Promise.resolve();
  private current: string | undefined;
  private controlState: CameraControls = { ...DEFAULT_CONTROLS };
  private degrade: Degradation = { ...NO_DEGRADATION };
  private failure: string | null = null;
  /** Stops the preview's frame timer. */
  private timer: (() => void) | undefined;
  private sequence = 0;
  private counters = { frames: 0, captures: 0, listenerErrors: 0 };

  constructor(
    private readonly options: SimulatedCameraOptions,
    logger: Logger,
  ) {
    super();
    this.stillSize = { width: options.stillWidth, height: options.stillHeight };
    this.log = logger.child({ module: 'camera' });
  }

  get previewing(): boolean {
    return this.timer !== undefined;
  }

  protected override readings(): Record<string, unknown> {
    return { source: this.options.source, photos: this.list.length, photo: this.current ?? null, previewing: this.previewing, ...this.counters, degradation: this.degrade };
  }

  async start(): Promise<void> {
    this.health = 'starting';
    const dir = this.options.source;
    let entries: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a folder');
      entries = readdirSync(dir);
    } catch (err) {
      this.markFault(`camera.source ${dir} is not a readable folder of photos (${(err as Error).message})`, true, 'absent');
      return;
    }
    this.list = entries.filter((f) => PHOTO_RE.test(f)).sort();
    if (this.list.length === 0) {
      this.markFault(`camera.source ${dir} holds no photos (.jpg, .png, .webp, .tif)`, true, 'absent');
      return;
    }
    await this.selectPhoto(this.list[0]!).catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopPreview();
    await this.pending.catch(() => undefined);
    this.markStopped();
  }

  photos(): string[] {
    return [...this.list];
  }

  currentPhoto(): string | undefined {
    return this.current;
  }

  async selectPhoto(name: string): Promise<void> {
    const file = this.list.find((f) => f === name) ?? this.list.find((f) => basename(f, extname(f)) === name);
    if (!file) {
      const shown = this.list.slice(0, 8).join(', ') + (this.list.length > 8 ? ', ...' : '');
      throw new Error(`no photo "${name}" in ${this.options.source} (have: ${shown || 'none'})`);
    }
    await this.rebuild(file, this.degrade);
  }

  degradation(): Degradation {
    return { ...this.degrade };
  }

  async setDegradation(update: Partial<Degradation>): Promise<Degradation> {
    const parsed = degradationSchema.partial().safeParse(update);
    if (!parsed.success) throw new Error(`invalid camera degradation: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    const next = { ...this.degrade, ...parsed.data };
    // Scene exposure is applied per frame; only geometry and blur need the scene rebuilt.
    if (this.current && (next.blur !== this.degrade.blur || next.rotation !== this.degrade.rotation)) await this.rebuild(this.current, next);
    this.degrade = next;
    return { ...next };
  }

  simulateFailure(message: string | null): void {
    this.failure = message;
    if (message) this.markFault(`camera failure: ${message}`, true);
    else if (this.scene) this.markOk(`sim: ${this.scene.name}`);
  }

  controls(): CameraControls {
    return { ...this.controlState, colourGains: [...this.controlState.colourGains] };
  }

  setControls(update: Partial<CameraControls>): CameraControls {
    this.controlState = mergeControls(this.controlState, update);
    return this.controls();
  }

  startPreview(onFrame: (frame: PreviewFrame) => void, options: PreviewOptions = {}): void {
    const fps = options.fps ?? this.options.previewFps;
    if (!(fps > 0 && fps <= 120)) throw new Error(`bad preview rate ${fps} fps (1-120)`);
    if (this.health === 'stopped') throw new Error('camera not started');
    this.stopPreview();
    this.sequence = 0;
    this.timer = every(this.options.clock ?? systemClock, 1000 / fps, () => {
      const frame = this.previewFrame();
      if (!frame) return;
      try {
        onFrame(frame);
      } catch (err) {
        this.counters.listenerErrors++;
        this.log.error({ err }, 'preview frame listener threw');
      }
    });
  }

  stopPreview(): void {
    this.timer?.();
    this.timer = undefined;
  }

  private previewFrame(): PreviewFrame | undefined {
    if (!this.scene || this.failure) return undefined;
    this.counters.frames++;
    return {
      data: addReadNoise(applyGains(this.scene.preview, channelGains(this.controlState, this.degrade.exposure)), this.sequence + 1),
      width: PREVIEW_WIDTH,
      height: PREVIEW_HEIGHT,
      format: 'RGB24',
      sequence: this.sequence++,
      timestampMs: performance.now(),
    };
  }

  async capture(): Promise<Still> {
    await this.pending.catch(() => undefined);
    if (this.failure) throw new Error(`camera failure: ${this.failure}`);
    const scene = this.scene;
    if (!scene) throw new Error(`camera has no picture: ${this.detail ?? 'not started'}`);
    const { width, height } = this.stillSize;
    const c = this.controlState;
    const rgb = applyGains(scene.still, channelGains(c, this.degrade.exposure));
    const jpeg = await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: this.options.jpegQuality, mozjpeg: false }).toBuffer();
    this.counters.captures++;
    return {
      jpeg,
      width,
      height,
      metadata: {
        exposureTimeUs: c.autoExposure ? Math.round(REFERENCE_EXPOSURE_US * 2 ** c.exposureValue) : c.exposureTimeUs,
        analogueGain: c.autoExposure ? 1 : c.analogueGain,
        colourGains: c.autoWhiteBalance ? [...DEFAULT_CONTROLS.colourGains] : [...c.colourGains],
        source: scene.name,
      },
    };
  }

  /** Builds the scene of a photo (fit, tilt, blur) at still and preview size; one at a time. */
  private rebuild(file: string, degrade: Degradation): Promise<void> {
    const run = this.pending.catch(() => undefined).then(async () => {
      try {
        this.scene = await this.makeScene(file, degrade);
        this.current = file;
        if (!this.failure) this.markOk(`sim: ${file}`);
      } catch (err) {
        const message = `photo ${file} in ${this.options.source} is unreadable: ${(err as Error).message}`;
        this.markFault(message, true);
        throw new Error(message, { cause: err });
      }
    });
    this.pending = run;
    return run;
  }

  private async makeScene(file: string, degrade: Degradation): Promise<Scene> {
    const { width: W, height: H } = this.stillSize;
    const path = join(this.options.source, file);
    // Fit the photo inside the frame and continue its edges outwards (extendWith copy).
    const fitted = await sharp(path, { failOn: 'error' })
      .autoOrient()
      .removeAlpha()
      .resize(W, H, { fit: 'inside' })
      .toBuffer({ resolveWithObject: true });
    const { width: w, height: h } = fitted.info;
    const left = Math.floor((W - w) / 2);
    const top = Math.floor((H - h) / 2);
    let image = sharp(fitted.data).extend({ left, right: W - w - left, top, bottom: H - h - top, extendWith: 'copy' });
    if (degrade.rotation !== 0) {
      // Tilt, then keep the largest centred W:H rectangle free of the corners, back at W x H.
      const a = (Math.abs(degrade.rotation) * Math.PI) / 180;
      const cos = Math.cos(a);
      const sin = Math.sin(a);
      const scale = Math.min(W / (W * cos + H * sin), H / (W * sin + H * cos));
      const rotated = await image.rotate(degrade.rotation, { background: '#808080' }).toBuffer({ resolveWithObject: true });
      const cw = Math.floor(W * scale);
      const ch = Math.floor(H * scale);
      image = sharp(rotated.data)
        .extract({ left: Math.floor((rotated.info.width - cw) / 2), top: Math.floor((rotated.info.height - ch) / 2), width: cw, height: ch })
        .resize(W, H, { fit: 'fill' });
    }
    if (degrade.blur > 0) image = sharp(await image.toBuffer()).blur(Math.max(0.3, degrade.blur));
    const still = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (still.info.width !== W || still.info.height !== H || still.info.channels !== 3) {
      throw new Error(`scene came out ${still.info.width}x${still.info.height}x${still.info.channels}, expected ${W}x${H}x3`);
    }
    const preview = await sharp(still.data, { raw: { width: W, height: H, channels: 3 } }).resize(PREVIEW_WIDTH, PREVIEW_HEIGHT, { fit: 'fill' }).raw().toBuffer();
    return { name: file, still: still.data, preview };
  }
}
