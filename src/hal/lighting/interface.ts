// The lighting ring as the booth uses it: on/off and a brightness, changed with a fade.
import type { Device } from '../device.ts';

export interface LightState {
  /** Whether the ring is lit (relay closed). */
  on: boolean;
  /** Brightness when on, 0-100 % of full PWM duty. */
  level: number;
}

export interface LightingCheck {
  id: string;
  pass: boolean;
  detail: string;
}

export interface LightingSelfTest {
  pass: boolean;
  checks: LightingCheck[];
}

export interface LightingDevice extends Device {
  /** The state last asked for (the ring reaches it at the end of the fade). */
  state(): LightState;
  /** Brightness at the PWM now, 0-100 % (moves during a fade; 0 while off). */
  output(): number;
  /**
   * Changes on/off and/or brightness, fading over `fadeMs` (default lighting.fadeMs; 0 = at
   * once). A newer call supersedes a fade under way, which then resolves where it stopped.
   * Resolves with the state asked for; rejects (and the device reports a fault) when the
   * relay or the PCA9685 fails.
   */
  set(update: Partial<LightState>, options?: { fadeMs?: number }): Promise<LightState>;
  /** Checks the chip and relay at register level without visibly changing the light. */
  selfTest(): Promise<LightingSelfTest>;
}
