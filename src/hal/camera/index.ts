// The camera: the interface, the simulator, and the factory the composition root calls.
// The seam for real hardware: `deps.real` builds the hardware driver (libcamera addon or
// rpicam-apps, deployment issue); without it a real booth gets a camera that reports itself
// absent with the reason, and sells nothing, rather than pretending.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../config/schema.ts';
import type { Logger } from '../../log.ts';
import { AbsentDevice } from '../absent.ts';
import { DEFAULT_CONTROLS, PREVIEW_HEIGHT, PREVIEW_WIDTH, mergeControls, type CameraControls, type CameraDevice, type Still } from './interface.ts';
import { SimulatedCamera } from './sim.ts';

export * from './interface.ts';
export { SimulatedCamera, applyGains, channelGains, gainLut, REFERENCE_EXPOSURE_US, type SimulatedCameraOptions } from './sim.ts';

const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Photos of the simulated camera when `camera.source` is not set: `assets/camera/` if present, else the face fixtures. */
export function defaultPhotoSource(): string {
  const assets = `${packageRoot}assets/camera`;
  return existsSync(assets) ? assets : `${packageRoot}test/fixtures/faces`;
}

export interface CameraDeps {
  /** Run the simulator (`--sim`, hal.simulated); `camera.driver: sim` does too. */
  simulated: boolean;
  logger: Logger;
  /** Builds the hardware driver; absent until the libcamera driver lands. */
  real?: (config: Config['camera'], logger: Logger) => CameraDevice;
}

export function createCamera(config: Config['camera'], deps: CameraDeps): CameraDevice {
  if (deps.simulated || config.driver === 'sim') {
    return new SimulatedCamera(
      { source: config.source ?? defaultPhotoSource(), previewFps: config.previewFps, stillWidth: config.stillWidth, stillHeight: config.stillHeight, jpegQuality: config.jpegQuality },
      deps.logger,
    );
  }
  if (deps.real) return deps.real(config, deps.logger);
  return new AbsentCamera(config, `no ${config.driver} camera driver in this build (set camera.driver: sim, or run with --sim)`);
}

/** A real-booth camera slot with no driver: absent, with the reason; every use says why. */
class AbsentCamera extends AbsentDevice implements CameraDevice {
  readonly previewSize = { width: PREVIEW_WIDTH, height: PREVIEW_HEIGHT };
  readonly stillSize: { width: number; height: number };
  readonly previewing = false;
  private controlState: CameraControls = { ...DEFAULT_CONTROLS };

  constructor(config: Config['camera'], reason: string) {
    super('camera', reason, true);
    this.stillSize = { width: config.stillWidth, height: config.stillHeight };
  }

  startPreview(): void {
    this.refuse();
  }

  stopPreview(): void {}

  async capture(): Promise<Still> {
    this.refuse();
  }

  setControls(update: Partial<CameraControls>): CameraControls {
    this.controlState = mergeControls(this.controlState, update);
    return this.controls();
  }

  controls(): CameraControls {
    return { ...this.controlState };
  }
}
