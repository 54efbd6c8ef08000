// Test harness (not product code): the ccTalk simulator on one end of a real socat pty pair,
// the real driver (serialport on the other end), and helpers to wait for what it reports.
import type { Test } from 'tap';
import { CctalkBus, CctalkCoinAcceptor, CctalkHopper, openSerialPort, openSimulatedPort, type CoinCreditEvent, type CoinErrorEvent, type AcceptorAlarm, type LinkOptions } from '../../src/hal/coin-acceptor/index.ts';
import { startPtySimulator, type PtySimulator } from '../../src/hal/coin-acceptor/sim-pty.ts';
import type { SimOptions } from '../../src/hal/coin-acceptor/sim.ts';
import { silentLogger } from '../../src/log.ts';

export interface Rig {
  pty: PtySimulator;
  acceptor: CctalkCoinAcceptor;
  hopper: CctalkHopper | undefined;
  credits: CoinCreditEvent[];
  errors: CoinErrorEvent[];
  alarms: AcceptorAlarm[];
  faults: string[];
  recovered: number;
}

export async function until(what: string, condition: () => boolean, limitMs = 15000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function startRig(
  t: Test,
  options: { sim?: SimOptions; pollMs?: number; link?: LinkOptions; hopper?: boolean; inProcess?: boolean; beforeStart?: (pty: PtySimulator) => void } = {},
): Promise<Rig> {
  const pty = await startPtySimulator({ ...options.sim, ...(options.hopper ? { hopper: true } : {}) });
  // inProcess: the same driver on the in-process binding (SimBinding) instead of the pty.
  const bus = options.inProcess
    ? new CctalkBus('sim', () => openSimulatedPort(pty.sim), silentLogger(), options.link)
    : new CctalkBus(pty.hostPath, () => openSerialPort(pty.hostPath), silentLogger(), options.link);
  const hopper = options.hopper ? new CctalkHopper(bus, false, silentLogger(), 10) : undefined;
  const acceptor = new CctalkCoinAcceptor(bus, { pollMs: options.pollMs ?? 50, simulated: false, logger: silentLogger(), hopper });
  const rig: Rig = { pty, acceptor, hopper, credits: [], errors: [], alarms: [], faults: [], recovered: 0 };
  acceptor.on('credit', (c) => rig.credits.push(c));
  acceptor.on('coin-error', (e) => rig.errors.push(e));
  acceptor.on('alarm', (a) => rig.alarms.push(a));
  acceptor.on('fault', (f) => rig.faults.push(f.message));
  acceptor.on('recovered', () => rig.recovered++);
  t.teardown(async () => {
    await hopper?.stop();
    await acceptor.stop();
    await pty.close();
  });
  options.beforeStart?.(pty);
  await acceptor.start();
  await hopper?.start();
  return rig;
}
