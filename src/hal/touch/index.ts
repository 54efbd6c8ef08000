// The touch signature panel: factory for the driver, and what the composition root and the
// flows need (signature type, simulator, recordings).
import type { Config } from '../../config/schema.ts';
import { Ft6236Panel, type TouchPanelDeps } from './driver.ts';
import type { TouchPanelDevice } from './interface.ts';

export type { TouchPanelDevice } from './interface.ts';
export type { TouchPanelDeps, TouchPanelOptions } from './driver.ts';
export { Ft6236Panel } from './driver.ts';
export { Signature, signatureJsonSchema, type SignatureJson, type RenderOptions, type InkStats } from './signature.ts';
export type { Stroke, StrokePoint, StrokeFilterOptions } from './strokes.ts';
export { Ft6236Model, TouchReplayer, type SimTouchFault, type ReplayOptions } from './sim.ts';
export { loadRecording, parseRecording, scanFrames, type Recording } from './recording.ts';

/**
 * The touch panel driver on `deps.i2c` (real `i2c-bus` or the simulated bus with an
 * `Ft6236Model` attached at `config.address`) with its INT pin on `deps.gpio`.
 */
export function createTouchPanel(config: Config['touch'], deps: TouchPanelDeps): TouchPanelDevice {
  return new Ft6236Panel(
    {
      address: config.address,
      interruptLine: config.interruptLine,
      width: config.width,
      height: config.height,
      pollMs: config.pollMs,
      filter: { jitter: config.jitter, palmArea: config.palmArea, palmWeight: config.palmWeight },
    },
    deps,
  );
}
