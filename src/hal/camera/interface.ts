// What the booth sees of the camera, whatever drives it (libcamera addon, rpicam-apps, the
// simulator): 640x480 RGB preview frames at a rate, full-resolution JPEG stills, and the
// exposure / gain / white-balance controls (named as libcamera names them).
import { z } from 'zod';
import type { Device } from '../device.ts';

export const PREVIEW_WIDTH = 640;
export const PREVIEW_HEIGHT = 480;

export interface PreviewFrame {
  /** Packed 8-bit RGB, width * height * 3 bytes, rows top to bottom, no padding. */
  data: Buffer;
  width: number;
  height: number;
  format: 'RGB24';
  /** Frame counter since the preview started. */
  sequence: number;
  /** When the frame was produced (ms, performance.now clock). */
  timestampMs: number;
}

export interface StillMetadata {
  exposureTimeUs: number;
  analogueGain: number;
  colourGains: [number, number];
  /** Simulator: the photo the frame was made from. */
  source?: string;
}

export interface Still {
  jpeg: Buffer;
  width: number;
  height: number;
  metadata: StillMetadata;
}

export const cameraControlsSchema = z
  .object({
    autoExposure: z.boolean().describe('Automatic exposure (AE/AGC)'),
    exposureTimeUs: z.number().int().min(100).max(1_000_000).describe('Exposure time when autoExposure is off (µs)'),
    analogueGain: z.number().min(1).max(16).describe('Sensor gain when autoExposure is off'),
    exposureValue: z.number().min(-4).max(4).describe('Exposure compensation in stops, applied by automatic exposure'),
    autoWhiteBalance: z.boolean().describe('Automatic white balance'),
    colourGains: z.tuple([z.number().min(0.25).max(8), z.number().min(0.25).max(8)]).describe('[red, blue] gains when autoWhiteBalance is off'),
  })
  .strict();

export type CameraControls = z.infer<typeof cameraControlsSchema>;

export const DEFAULT_CONTROLS: CameraControls = {
  autoExposure: true,
  exposureTimeUs: 10_000,
  analogueGain: 1,
  exposureValue: 0,
  autoWhiteBalance: true,
  colourGains: [1.9, 1.6],
};

/** Validates a partial controls update against the current controls; throws a clear message. */
export function mergeControls(current: CameraControls, update: unknown): CameraControls {
  const parsed = cameraControlsSchema.partial().safeParse(update);
  if (!parsed.success) throw new Error(`invalid camera controls: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return { ...current, ...parsed.data };
}

export interface PreviewOptions {
  /** Frames per second (default: camera.previewFps). */
  fps?: number;
}

export interface CameraDevice extends Device {
  readonly previewSize: { width: number; height: number };
  readonly stillSize: { width: number; height: number };
  readonly previewing: boolean;
  /** Calls `onFrame` with each preview frame until `stopPreview()`; frames are skipped, never queued, if it falls behind. */
  startPreview(onFrame: (frame: PreviewFrame) => void, options?: PreviewOptions): void;
  stopPreview(): void;
  /** A full-resolution still as JPEG; rejects with the reason when the camera is faulty. */
  capture(): Promise<Still>;
  /** Changes some controls (validated); returns the controls now in force. */
  setControls(update: Partial<CameraControls>): CameraControls;
  controls(): CameraControls;
}

/** Scene degradations the simulator applies before the controls (tests, demo). */
export const degradationSchema = z
  .object({
    blur: z.number().min(0).max(100).describe('Gaussian blur sigma in pixels of the still (out of focus, motion)'),
    exposure: z.number().min(-6).max(6).describe('Scene mis-exposure in stops that automatic exposure does not correct (backlight, lamp failure)'),
    rotation: z.number().min(-45).max(45).describe('Camera tilt in degrees (clockwise), the frame cropped back to its size'),
  })
  .strict();

export type Degradation = z.infer<typeof degradationSchema>;

export const NO_DEGRADATION: Degradation = { blur: 0, exposure: 0, rotation: 0 };

export interface SimulatedCameraDevice extends CameraDevice {
  /** Photo file names available in the source folder. */
  photos(): string[];
  /** The photo now in front of the lens. */
  currentPhoto(): string | undefined;
  /** Puts another photo in front of the lens (file name, with or without extension). */
  selectPhoto(name: string): Promise<void>;
  setDegradation(update: Partial<Degradation>): Promise<Degradation>;
  degradation(): Degradation;
  /** Makes the camera fail (a sensor timeout...) until called with null. */
  simulateFailure(message: string | null): void;
}
