// A libcamera addon stand-in with the same interface as native/libcamera (cameras, sessions,
// YUV420 frames) whose captures fail, stall, are slow or work, as a test scripts them.
import type { AddonLoad, LibcameraFrame, LibcameraSession, StreamRequest } from '../../../src/hal/camera/libcamera-addon.ts';

export type CaptureOutcome = 'ok' | 'error' | 'stall' | 'slow';

/**
 * A libcamera stand-in; `script` decides the outcome of each capture, in order, then `then`
 * (which a test may change: `log.then = 'error'` breaks the camera, `'ok'` repairs it).
 */
export function simulatedAddon(script: CaptureOutcome[], then: 'ok' | 'error' = 'ok') {
  const log = { opened: 0, closed: 0, captures: 0, events: [] as string[], then };
  const frame = (req: StreamRequest): LibcameraFrame => {
    // Limited-range mid grey: Y 126, U V 128.
    const data = Buffer.alloc(req.width * req.height * 1.5, 128);
    data.fill(126, 0, req.width * req.height);
    return { data, width: req.width, height: req.height, stride: req.width, format: 'YUV420', colorSpace: 'SMPTE170M', sequence: log.captures, timestampNs: 0, metadata: {} };
  };
  class Session implements LibcameraSession {
    private streams: Record<string, StreamRequest> = {};
    private open = true;
    // Like the addon: closing settles the requests in flight as cancelled.
    private readonly waiting = new Set<(err: Error) => void>();
    constructor() {
      log.opened++;
    }
    configure(streams: { preview?: StreamRequest; still?: StreamRequest }) {
      this.streams = { ...streams } as Record<string, StreamRequest>;
      const describe = (r?: StreamRequest) => (r ? { width: r.width, height: r.height, stride: r.width, format: 'YUV420', frameSize: r.width * r.height * 1.5, colorSpace: 'SMPTE170M' } : undefined);
      return { preview: describe(streams.preview), still: describe(streams.still) };
    }
    start() {}
    setControls() {}
    stop() {}
    close() {
      this.open = false;
      log.closed++;
      log.events.push('close');
      for (const reject of this.waiting) reject(new Error('capture cancelled: the camera was stopped'));
      this.waiting.clear();
    }
    capture(stream: 'preview' | 'still'): Promise<LibcameraFrame> {
      if (!this.open) return Promise.reject(new Error('session closed'));
      const outcome = script[log.captures++] ?? log.then;
      if (outcome === 'error') return Promise.reject(new Error('request failed: -EIO'));
      if (outcome === 'stall') return new Promise((_, reject) => this.waiting.add(reject));
      const f = frame(this.streams[stream]!);
      if (outcome === 'slow') {
        return new Promise((resolve, reject) => {
          this.waiting.add(reject);
          setTimeout(() => {
            log.events.push(`${stream} delivered`);
            resolve(f);
          }, 300);
        });
      }
      return Promise.resolve(f);
    }
  }
  const load: AddonLoad = { addon: { version: () => 'sim', listCameras: () => [{ id: '/base/sim', model: 'imx708', location: 'front', rotation: 0, pixelArraySize: { width: 4608, height: 2592 } }], CameraSession: Session } };
  return { load: () => load, log };
}

