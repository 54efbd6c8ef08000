// The binding seam of the ccTalk link. The driver always talks to a `SerialPortStream`
// (@serialport/stream); what sits below it is a serialport binding:
// - on a booth, `serialport`'s native binding on a device path (/dev/ttyUSB0, or one end of
//   a socat pty pair in tests);
// - without a serial line (`npm start`, demo), `SimBinding`, a binding of our own that hands
//   every written byte to an in-process `CctalkBusSimulator` and reads back the bytes it
//   sends. Written by hand (rather than @serialport/binding-mock) because the simulator must
//   see each write as it happens to answer it; binding-mock only records or echoes writes.
import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';

/** A device simulated in process at the level of bytes (the ccTalk bus, the MDB interface). */
export interface ByteDevice {
  receive(bytes: Buffer): void;
  onOutput(listener: (bytes: Buffer) => void): () => void;
}

// The shapes of @serialport/bindings-interface (its package.json `exports` hides its types from
// TypeScript's module resolution, so the few we need are restated here).
interface OpenOptions {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  lock?: boolean;
  stopBits?: 1 | 1.5 | 2;
  parity?: string;
  rtscts?: boolean;
  xon?: boolean;
  xoff?: boolean;
  xany?: boolean;
  hupcl?: boolean;
}
interface PortStatus {
  cts: boolean;
  dsr: boolean;
  dcd: boolean;
}
interface PortInfo {
  path: string;
  manufacturer: string | undefined;
  serialNumber: string | undefined;
  pnpId: string | undefined;
  locationId: string | undefined;
  productId: string | undefined;
  vendorId: string | undefined;
}

/** ccTalk line settings: 9600 baud, 8 data bits, no parity, 1 stop bit. */
export const CCTALK_SERIAL = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;

function openStream(stream: SerialPortStream): Promise<SerialPortStream> {
  return new Promise((resolve, reject) => {
    stream.open((err) => (err ? reject(new Error(`cannot open ${stream.path}: ${err.message}`)) : resolve(stream)));
  });
}

/** Opens a real serial device (or pty) for ccTalk. */
export function openSerialPort(path: string): Promise<SerialPortStream> {
  return openStream(new SerialPort({ path, ...CCTALK_SERIAL, autoOpen: false }));
}

/** Opens an in-process "serial port" wired to `sim`. */
export function openSimulatedPort(sim: ByteDevice, path = 'sim:cctalk', settings: typeof CCTALK_SERIAL = CCTALK_SERIAL): Promise<SerialPortStream> {
  const binding = new SimBinding(sim, path);
  return openStream(new SerialPortStream({ binding, path, ...settings, autoOpen: false }));
}

class CanceledError extends Error {
  readonly canceled = true;
}

class SimPort {
  isOpen = true;
  private queue: Buffer[] = [];
  private waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly sim: ByteDevice,
    readonly openOptions: Required<OpenOptions>,
  ) {
    this.unsubscribe = sim.onOutput((bytes) => {
      this.queue.push(bytes);
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve();
    });
  }

  async close(): Promise<void> {
    this.isOpen = false;
    this.unsubscribe();
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(new CanceledError('port closed'));
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    while (this.queue.length === 0) {
      if (!this.isOpen) throw new CanceledError('port closed');
      await new Promise<void>((resolve, reject) => {
        this.waiting = { resolve, reject };
      });
    }
    const head = this.queue[0] as Buffer;
    const n = Math.min(length, head.length);
    head.copy(buffer, offset, 0, n);
    if (n === head.length) this.queue.shift();
    else this.queue[0] = head.subarray(n);
    return { buffer, bytesRead: n };
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw new CanceledError('port closed');
    const copy = Buffer.from(buffer);
    // The bytes reach the device after the call returns, as with a real UART.
    setImmediate(() => {
      if (this.isOpen) this.sim.receive(copy);
    });
  }

  async update(): Promise<void> {}
  async set(): Promise<void> {}
  async get(): Promise<PortStatus> {
    return { cts: true, dsr: true, dcd: true };
  }
  async getBaudRate(): Promise<{ baudRate: number }> {
    return { baudRate: this.openOptions.baudRate };
  }
  async flush(): Promise<void> {
    this.queue = [];
  }
  async drain(): Promise<void> {}
}

export class SimBinding {
  constructor(
    private readonly sim: ByteDevice,
    private readonly path = 'sim:cctalk',
  ) {}

  async list(): Promise<PortInfo[]> {
    return [{ path: this.path, manufacturer: 'Cabine simulator', serialNumber: undefined, pnpId: undefined, locationId: undefined, productId: undefined, vendorId: undefined }];
  }

  async open(options: OpenOptions): Promise<SimPort> {
    const full: Required<OpenOptions> = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: 'none',
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    };
    return new SimPort(this.sim, full);
  }
}
