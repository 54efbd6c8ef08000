// What every device of the booth has in common, whatever its driver: a name, which driver
// runs it (real or simulated), a lifecycle and a health the booth can gate sales on.
import { EventEmitter } from 'node:events';

export type DeviceHealth = 'starting' | 'ok' | 'degraded' | 'fault' | 'absent' | 'stopped';

export interface DeviceStatus {
  health: DeviceHealth;
  /** One line a technician can act on: why it is not ok, or what it reports. */
  detail?: string;
  /** Device-specific readings (level, state, counters...), JSON-serialisable. */
  readings?: Record<string, unknown>;
}

export interface DeviceFault {
  device: string;
  message: string;
  /** Whether the booth can still sell with this device in this state. */
  fatal: boolean;
}

export interface Device {
  /** Stable id: lighting, curtain, touch, camera, coinAcceptor, printer. */
  readonly name: string;
  /** Driver name, e.g. "pca9685+gpio-relay" or "sim". */
  readonly driver: string;
  readonly simulated: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): DeviceStatus;
  /** `fault` when the device fails, `recovered` when it answers properly again. */
  on(event: 'fault', listener: (fault: DeviceFault) => void): this;
  on(event: 'recovered', listener: (device: string) => void): this;
  off(event: 'fault', listener: (fault: DeviceFault) => void): this;
  off(event: 'recovered', listener: (device: string) => void): this;
}

/**
 * Small base for devices: keeps the health, emits fault/recovered on transitions only, so
 * a device that keeps failing does not flood the event log.
 */
export abstract class BaseDevice extends EventEmitter implements Device {
  abstract readonly name: string;
  abstract readonly driver: string;
  abstract readonly simulated: boolean;
  protected health: DeviceHealth = 'stopped';
  protected detail: string | undefined;

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;

  protected readings(): Record<string, unknown> | undefined {
    return undefined;
  }

  status(): DeviceStatus {
    const readings = this.readings();
    return { health: this.health, ...(this.detail ? { detail: this.detail } : {}), ...(readings ? { readings } : {}) };
  }

  protected markOk(detail?: string): void {
    const wasFaulty = this.health === 'fault' || this.health === 'absent';
    this.health = 'ok';
    this.detail = detail;
    if (wasFaulty) this.emit('recovered', this.name);
  }

  protected markFault(message: string, fatal = true, health: 'fault' | 'absent' | 'degraded' = 'fault'): void {
    const changed = this.health !== health || this.detail !== message;
    this.health = health;
    this.detail = message;
    if (changed) this.emit('fault', { device: this.name, message, fatal } satisfies DeviceFault);
  }

  protected markStopped(): void {
    this.health = 'stopped';
    this.detail = undefined;
  }
}
