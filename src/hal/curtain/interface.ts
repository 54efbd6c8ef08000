// The curtain sensor: a switch that closes when the customer draws the curtain.
import type { Device, DeviceFault } from '../device.ts';

export interface CurtainState {
  drawn: boolean;
  /** When it last changed (ISO 8601), null if it has not changed since start. */
  at: string | null;
}

export interface CurtainDevice extends Device {
  /** The debounced state. */
  state(): CurtainState;
  on(event: 'fault', listener: (fault: DeviceFault) => void): this;
  on(event: 'recovered', listener: (device: string) => void): this;
  /** The curtain was drawn / opened (debounced: one event per real movement). */
  on(event: 'drawn' | 'open' | 'change', listener: (state: CurtainState) => void): this;
  off(event: 'fault', listener: (fault: DeviceFault) => void): this;
  off(event: 'recovered', listener: (device: string) => void): this;
  off(event: 'drawn' | 'open' | 'change', listener: (state: CurtainState) => void): this;
}
