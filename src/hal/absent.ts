// The one way a device is absent. A booth always has every device object: when it has no such
// device (not configured, no driver in this build), the factory returns the device's `Absent…`
// implementation built on `AbsentDevice`: health `absent` with the reason once started, every
// operation refused with `DeviceAbsentError` naming the reason. A device that is configured
// but does not answer is its real driver, which ends `absent` (or `fault`) by itself. Never
// undefined or null: callers ask `status()`, as for any device.
import { BaseDevice, type Device } from './device.ts';

export class DeviceAbsentError extends Error {
  constructor(
    readonly device: string,
    readonly reason: string,
  ) {
    super(`${device} absent: ${reason}`);
    this.name = 'DeviceAbsentError';
  }
}

export abstract class AbsentDevice extends BaseDevice {
  readonly driver = 'none';
  readonly simulated = false;

  /**
   * `required`: the booth cannot sell without it (a fatal fault at start, as a device that does
   * not answer); an optional device (the card reader) is absent quietly, and the booth goes on.
   */
  constructor(
    readonly name: string,
    readonly reason: string,
    private readonly required: boolean,
  ) {
    super();
  }

  async start(): Promise<void> {
    if (this.required) {
      this.markFault(this.reason, true, 'absent');
    } else {
      this.health = 'absent';
      this.detail = this.reason;
    }
  }

  async stop(): Promise<void> {
    this.markStopped();
  }

  /** Every operation of an absent device ends here. */
  protected refuse(): never {
    throw new DeviceAbsentError(this.name, this.reason);
  }
}

/** Whether `device` is an absent implementation (the booth has no such device). */
export function isAbsent(device: Device): boolean {
  return device instanceof AbsentDevice;
}
