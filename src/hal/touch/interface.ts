// What the booth sees of the touch signature panel, whatever drives it.
import type { Device, DeviceFault } from '../device.ts';
import type { Signature } from './signature.ts';
import type { Stroke, StrokePoint } from './strokes.ts';

export interface TouchPanelDevice extends Device {
  /** Starts a signature: forgets earlier strokes and listens to the panel. */
  begin(): void;
  /** Erases the strokes so far (the customer's "start again"); emits `clear`. */
  clear(): void;
  /** Ends the signature (contacts still down are lifted) and returns it; the panel stops listening. */
  end(): Signature;
  /** Whether a signature is being taken. */
  readonly capturing: boolean;
  /** Resolves once every report signalled so far has been read and processed. */
  settled(): Promise<void>;

  on(event: 'point', listener: (strokeId: number, point: StrokePoint) => void): this;
  on(event: 'stroke', listener: (stroke: Stroke) => void): this;
  on(event: 'cancel', listener: (strokeId: number, reason: string) => void): this;
  on(event: 'clear', listener: () => void): this;
  on(event: 'fault', listener: (fault: DeviceFault) => void): this;
  on(event: 'recovered', listener: (device: string) => void): this;
}
