// One ccTalk bus shared by the acceptor and the hopper: opens the serial port (or the
// in-process simulator) on first use, reopens it after it closed (USB adapter unplugged),
// and gives both devices the same link, so their transactions never overlap on the wire.
import type { SerialPortStream } from '@serialport/stream';
import type { Logger } from '../../log.ts';
import { systemClock, type Clock } from '../clock.ts';
import { CctalkLink, type LinkOptions } from './link.ts';

export type PortOpener = () => Promise<SerialPortStream>;

export class CctalkBus {
  private port: SerialPortStream | undefined;
  private linkInstance: CctalkLink | undefined;
  private opening: Promise<CctalkLink> | undefined;
  private users = 0;

  constructor(
    readonly description: string,
    private readonly openPort: PortOpener,
    private readonly logger: Logger,
    private readonly linkOptions: LinkOptions = {},
    /** The timers of the link and of the devices on this bus. */
    readonly clock: Clock = linkOptions.clock ?? systemClock,
  ) {}

  acquire(): void {
    this.users++;
  }

  /** The link, opening the port if it is not open; rejects when the port cannot be opened. */
  link(): Promise<CctalkLink> {
    if (this.linkInstance && this.port?.isOpen) return Promise.resolve(this.linkInstance);
    this.opening ??= (async () => {
      try {
        const port = await this.openPort();
        this.port = port;
        this.linkInstance = new CctalkLink(port, this.logger, { ...this.linkOptions, clock: this.clock });
        port.on('close', () => {
          if (this.port === port) this.linkInstance = undefined;
        });
        return this.linkInstance;
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }

  /** The link if the port is open now (for statistics). */
  current(): CctalkLink | undefined {
    return this.linkInstance;
  }

  async release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    await this.opening?.catch(() => undefined);
    const port = this.port;
    this.port = undefined;
    this.linkInstance?.close();
    this.linkInstance = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
