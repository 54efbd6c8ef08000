// Fallback camera driver for boards where the libcamera addon is not built: Raspberry Pi's
// camera apps (`rpicam-still`/`rpicam-vid`, or `libcamera-still`/`libcamera-vid` on older
// images). Stills are one process per shot writing JPEG to stdout; the preview is one
// long-running process streaming raw YUV420 frames on stdout.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { BaseDevice } from '../device.ts';
import { frameToRgb } from './frame-format.ts';
import { DEFAULT_CONTROLS, PREVIEW_HEIGHT, PREVIEW_WIDTH, mergeControls, type CameraControls, type CameraDevice, type PreviewFrame, type PreviewOptions, type Still } from './interface.ts';

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
  private readonly log: Logger;

  constructor(
    private readonly config: Config['camera'],
    private readonly apps: RpicamApps,
    logger: Logger,
  ) {
    super();
    this.driver = apps.still;
    this.stillSize = { width: config.stillWidth, height: config.stillHeight };
    this.log = logger.child({ module: 'camera', driver: apps.still });
  }

  get previewing(): boolean {
    return this.preview !== undefined;
  }

  async start(): Promise<void> {
    const listed = spawnSync(this.apps.still, ['--list-cameras'], { encoding: 'utf8', timeout: 15_000 });
    const text = `${listed.stdout ?? ''}${listed.stderr ?? ''}`;
    if (listed.error) return this.markFault(`${this.apps.still}: ${listed.error.message}`, true, 'absent');
    if (/No cameras available/i.test(text) || !/^\s*\d+\s*:/m.test(text)) return this.markFault(`${this.apps.still} sees no camera`, true, 'absent');
    this.markOk(text.split('\n').find((l) => /^\s*0\s*:/.test(l))?.trim());
  }

  async stop(): Promise<void> {
    this.stopPreview();
    this.markStopped();
  }

  async capture(): Promise<Still> {
    const args = ['-n', '-t', '500', '--width', String(this.stillSize.width), '--height', String(this.stillSize.height), '-q', String(this.config.jpegQuality), '-e', 'jpg', '-o', '-', ...controlArgs(this.controlState)];
    const jpeg = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(this.apps.still, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => chunks.push(c));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('exit', (code) => {
        const out = Buffer.concat(chunks);
        if (code === 0 && out[0] === 0xff && out[1] === 0xd8) resolve(out);
        else reject(new Error(`${this.apps.still} failed (${code}): ${stderr.trim().split('\n').pop() ?? ''}`));
      });
    }).catch((err: Error) => {
      this.markFault(err.message, true);
      throw err;
    });
    this.markOk();
    return { jpeg, width: this.stillSize.width, height: this.stillSize.height, metadata: { exposureTimeUs: this.controlState.exposureTimeUs, analogueGain: this.controlState.analogueGain, colourGains: this.controlState.colourGains } };
  }

  startPreview(onFrame: (frame: PreviewFrame) => void, options: PreviewOptions = {}): void {
    this.stopPreview();
    const fps = options.fps ?? this.config.previewFps;
    const frameBytes = (PREVIEW_WIDTH * PREVIEW_HEIGHT * 3) / 2;
    const child = spawn(this.apps.vid, ['-n', '-t', '0', '--width', String(PREVIEW_WIDTH), '--height', String(PREVIEW_HEIGHT), '--framerate', String(fps), '--codec', 'yuv420', '-o', '-', ...controlArgs(this.controlState)], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.preview = child;
    let pending = Buffer.alloc(0);
    let sequence = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Only the newest complete frame is delivered: older ones are skipped, never queued.
      const complete = Math.floor(pending.length / frameBytes);
      if (complete === 0) return;
      const frame = pending.subarray((complete - 1) * frameBytes, complete * frameBytes);
      pending = Buffer.from(pending.subarray(complete * frameBytes));
      const data = frameToRgb({ data: frame, width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, stride: PREVIEW_WIDTH, format: 'YUV420', colorSpace: 'sYCC' });
      onFrame({ data, width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT, format: 'RGB24', sequence: sequence++, timestampMs: performance.now() });
    });
    child.on('exit', (code, signal) => {
      if (this.preview === child && signal !== 'SIGTERM') {
        this.preview = undefined;
        this.markFault(`${this.apps.vid} stopped (${code ?? signal})`, true);
      }
    });
  }

  stopPreview(): void {
    const child = this.preview;
    this.preview = undefined;
    child?.kill('SIGTERM');
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
