// Adapters from the booth's real parts (devices, vision, payment desk, print queue, code
// registry, fleet) to the narrow ports the session machine drives (src/flows/ports.ts).
import { EventEmitter } from 'node:events';
import sharp from 'sharp';
import type { Config } from '../config/schema.ts';
import type { BoothHealthPort, CameraPort, PhotoValidation, SignaturePort, ValidatorPort } from '../flows/ports.ts';
import type { CameraDevice, PreviewFrame } from '../hal/camera/index.ts';
import type { LightingDevice } from '../hal/lighting/index.ts';
import type { TouchPanelDevice } from '../hal/touch/index.ts';
import type { Logger } from '../log.ts';
import type { LiveGuidance } from './screen.ts';

/** A tiny typed broadcast channel (screen feeds). */
export class Feed<T> {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(50);
  }
  emit(value: T): void {
    this.emitter.emit('value', value);
  }
  subscribe(listener: (value: T) => void): () => void {
    this.emitter.on('value', listener);
    return () => this.emitter.off('value', listener);
  }
}

/** What the camera port needs of the vision code (absent when the models are not built). */
export interface GuidanceSource {
  guidance(): { analyseFrame(rgb: Buffer, width: number, height: number): Promise<{ hint: { key: string } | null; ready: boolean }>; reset?(): void };
}

export interface CameraPortDeps {
  camera: CameraDevice;
  lighting: LightingDevice;
  config: Config;
  vision: () => GuidanceSource | undefined;
  guidanceFeed: Feed<LiveGuidance>;
  previewFeed: Feed<Buffer>;
  logger: Logger;
  /** Longest wait for a compliant pose before the shutter fires anyway (validation then says why). */
  maxPoseMs?: number;
}

/**
 * Capture: light up, run the preview with live guidance (one hint at a time, shown on the
 * screen), and fire the shutter once guidance says the pose holds, or after `maxPoseMs`.
 */
export function cameraPort(deps: CameraPortDeps): CameraPort {
  const log = deps.logger.child({ module: 'capture' });
  const maxPoseMs = deps.maxPoseMs ?? 20_000;
  const light = async (level: number) => {
    try {
      await deps.lighting.set({ on: level > 0, level });
    } catch (err) {
      log.warn({ err }, 'lighting unavailable'); // a dim photo is caught by the exposure check
    }
  };
  return {
    async capture(signal) {
      if (signal.aborted) throw new Error('capture cancelled');
      await light(deps.config.lighting.captureLevel);
      const guidance = deps.vision()?.guidance();
      let analysing = false;
      let encoding = false;
      try {
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error) => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            deps.camera.stopPreview();
            if (err) reject(err);
            else resolve();
          };
          const onAbort = () => done(new Error('capture cancelled'));
          const timer = setTimeout(() => done(), guidance ? maxPoseMs : 3000);
          signal.addEventListener('abort', onAbort);
          try {
            deps.camera.startPreview((frame: PreviewFrame) => {
              if (!encoding) {
                encoding = true;
                sharp(frame.data, { raw: { width: frame.width, height: frame.height, channels: 3 } })
                  .jpeg({ quality: 70 })
                  .toBuffer()
                  .then((jpeg) => deps.previewFeed.emit(jpeg), () => undefined)
                  .finally(() => (encoding = false));
              }
              if (!guidance || analysing) return; // frames are skipped while one is analysed
              analysing = true;
              guidance
                .analyseFrame(frame.data, frame.width, frame.height)
                .then((g) => {
                  deps.guidanceFeed.emit({ hint: g.ready ? null : (g.hint?.key ?? null), ready: g.ready });
                  if (g.ready) done();
                })
                .catch((err: unknown) => log.warn({ err }, 'guidance frame failed'))
                .finally(() => (analysing = false));
            });
          } catch (err) {
            done(err as Error);
          }
        });
        return (await deps.camera.capture()).jpeg;
      } finally {
        deps.guidanceFeed.emit({ hint: null, ready: false });
        await light(deps.config.lighting.idleLevel);
      }
    },
  };
}

export interface PhotoValidatorLike {
  /** The verdict on the delivered photo: the capture cropped to 35x45 as the print and the e-photo are. */
  validateCapture(jpeg: Buffer, options: { signal?: AbortSignal }): Promise<{ compliant: boolean; checks: { id: string; pass: boolean; value?: unknown; limit?: unknown; hint?: { key: string } | null }[]; error?: string }>;
}

/** The ANTS checks; the hint passed on is the message key the screen translates. */
export function validatorPort(vision: () => PhotoValidatorLike | undefined, unavailable: () => string): ValidatorPort {
  return {
    async validate(jpeg, signal): Promise<PhotoValidation> {
      const validator = vision();
      if (!validator) throw new Error(`photo validation unavailable: ${unavailable()}`);
      const report = await validator.validateCapture(jpeg, { signal });
      if (report.error) throw new Error(`photo validation failed: ${report.error}`);
      return {
        compliant: report.compliant,
        checks: report.checks.map((c) => ({ id: c.id, pass: c.pass, value: c.value, limit: c.limit, ...(c.hint ? { hint: c.hint.key } : {}) })),
      };
    },
  };
}

/** Signature: the touch panel's strokes, echoed live to the screen, rendered to PNG. */
export function signaturePort(touch: TouchPanelDevice, inkFeed: Feed<{ x: number; y: number }[][]>, size: { width: number; height: number }): SignaturePort {
  const strokes = new Map<number, { x: number; y: number }[]>();
  const publish = () => inkFeed.emit([...strokes.values()]);
  touch.on('point', (id, p) => {
    const stroke = strokes.get(id) ?? [];
    stroke.push({ x: p.x / size.width, y: p.y / size.height });
    strokes.set(id, stroke);
    publish();
  });
  touch.on('cancel', (id) => {
    strokes.delete(id);
    publish();
  });
  touch.on('clear', () => {
    strokes.clear();
    publish();
  });
  return {
    async begin() {
      strokes.clear();
      publish();
      touch.begin();
    },
    async finish() {
      await touch.settled();
      const signature = touch.end();
      if (signature.isEmpty) {
        touch.begin(); // nothing drawn: keep listening, the machine asks again
        return null;
      }
      return signature.png();
    },
    async end() {
      if (touch.capturing) touch.end();
    },
  };
}

export interface HealthDeps {
  config: Config;
  checks: { name: string; check: () => string | null }[];
}

/** Whether the booth can serve a session now: the first reason it cannot, or ok. */
export function healthPort(deps: HealthDeps): BoothHealthPort & { reason(): string | null } {
  const reason = () => {
    for (const { check } of deps.checks) {
      const why = check();
      if (why) return why;
    }
    return null;
  };
  return {
    reason,
    canDeliver() {
      const why = reason();
      return why ? { ok: false, reason: why } : { ok: true };
    },
  };
}
