// Typed access to the optional libcamera addon (native/libcamera). Absent when libcamera was
// not there at install time: callers then fall back to rpicam-apps or the simulator.
import { createRequire } from 'node:module';

export interface LibcameraInfo {
  id: string;
  model: string | null;
  location: 'front' | 'back' | 'external' | 'unknown' | null;
  rotation: number | null;
  pixelArraySize: { width: number; height: number } | null;
}

export interface StreamRequest {
  width: number;
  height: number;
  /** libcamera pixel format name; the camera may adjust it (see the returned description). */
  format?: string;
}

export interface StreamDescription {
  width: number;
  height: number;
  stride: number;
  format: string;
  frameSize: number;
  colorSpace: string | null;
}

export interface LibcameraControls {
  autoExposure?: boolean;
  exposureTimeUs?: number;
  analogueGain?: number;
  exposureValue?: number;
  autoWhiteBalance?: boolean;
  /** [red, blue] gains when auto white balance is off. */
  colourGains?: [number, number];
}

export interface LibcameraFrame {
  data: Buffer;
  width: number;
  height: number;
  stride: number;
  format: string;
  colorSpace: string | null;
  sequence: number;
  timestampNs: number;
  metadata: { exposureTimeUs?: number; analogueGain?: number; colourGains?: [number, number] };
}

export interface LibcameraSession {
  configure(streams: { preview?: StreamRequest; still?: StreamRequest }): { preview?: StreamDescription; still?: StreamDescription };
  start(controls?: LibcameraControls): void;
  capture(stream: 'preview' | 'still'): Promise<LibcameraFrame>;
  setControls(controls: LibcameraControls): void;
  stop(): void;
  close(): void;
}

export interface LibcameraAddon {
  version(): string;
  listCameras(): LibcameraInfo[];
  CameraSession: new (id: string) => LibcameraSession;
}

export type AddonLoad = { addon: LibcameraAddon } | { addon: undefined; reason: string };

let cached: AddonLoad | undefined;

/** Loads the addon once; never throws. libcamera's own logging is limited to errors. */
export function loadLibcameraAddon(): AddonLoad {
  if (cached) return cached;
  process.env.LIBCAMERA_LOG_LEVELS ??= '*:ERROR';
  const path = new URL('../../../native/libcamera/build/Release/cabine_libcamera.node', import.meta.url).pathname;
  try {
    cached = { addon: createRequire(import.meta.url)(path) as LibcameraAddon };
  } catch (err) {
    cached = { addon: undefined, reason: `libcamera addon not available (${(err as Error).message.split('\n')[0]})` };
  }
  return cached;
}
