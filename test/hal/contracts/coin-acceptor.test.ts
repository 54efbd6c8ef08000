// The coin acceptor contract (./coin-acceptor.ts) on the simulated booth's in-process binding
// and on the real serial driver over a socat pty.
import t from 'tap';
import { coinAcceptorContract } from './coin-acceptor.ts';

coinAcceptorContract(t, 'in-process simulator', { inProcess: true });
coinAcceptorContract(t, 'serial driver on a pty', { inProcess: false });
