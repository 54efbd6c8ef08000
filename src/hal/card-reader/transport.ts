// The serial line to the MDB-to-serial interface (docs/payment.md "MDB interface"): 9600 8N1,
// ASCII lines. On a booth, `serialport` on a device path (or one end of a socat pty pair in
// tests); without one, the in-process simulator through the same binding the ccTalk bus uses.
import type { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import { openSimulatedPort } from '../coin-acceptor/transport.ts';
import type { MdbCardReaderSimulator } from './sim.ts';

export const MDB_INTERFACE_SERIAL = { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 } as const;

export function openInterfacePort(path: string): Promise<SerialPortStream> {
  const port = new SerialPort({ path, ...MDB_INTERFACE_SERIAL, autoOpen: false });
  return new Promise((resolve, reject) => port.open((err) => (err ? reject(new Error(`cannot open ${path}: ${err.message}`)) : resolve(port))));
}

export function openSimulatedInterface(sim: MdbCardReaderSimulator): Promise<SerialPortStream> {
  return openSimulatedPort(sim, 'sim:mdb', MDB_INTERFACE_SERIAL);
}
