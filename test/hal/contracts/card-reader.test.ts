// The card reader contract (./card-reader.ts) on the simulated booth's in-process interface
// and on the real serial driver over a socat pty.
import t from 'tap';
import { cardReaderContract } from './card-reader.ts';

cardReaderContract(t, 'in-process simulator', { inProcess: true });
cardReaderContract(t, 'serial driver on a pty', { inProcess: false });
