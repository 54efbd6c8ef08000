// The card reader contract: what the booth relies on from the MDB cashless reader, one suite
// run on both transports: the in-process simulator (the --sim booth) and the real serial
// driver on a real pty pair (socat) with the reader simulator on the other end. Approvals,
// denials, timeouts, a reader reset mid-vend, a customer who taps twice, damaged and lost replies.
import type { Test } from 'tap';
import { MdbCashlessReader, openInterfacePort, openSimulatedInterface, type CardSessionEvent, type CardReaderAlarm } from '../../../src/hal/card-reader/index.ts';
import { startPtyCardReader, type PtyCardReader } from '../../../src/hal/card-reader/sim-pty.ts';
import { silentLogger } from '../../../src/log.ts';
import { until } from '../coin-acceptor-harness.ts';

interface Rig {
  pty: PtyCardReader;
  reader: MdbCashlessReader;
  cards: CardSessionEvent[];
  ended: string[];
  alarms: CardReaderAlarm[];
  faults: string[];
}

async function startHarnessRig(t: Test, options: { vendTimeoutMs?: number; inProcess?: boolean } = {}): Promise<Rig> {
  const pty = await startPtyCardReader();
  const open = options.inProcess ? () => openSimulatedInterface(pty.sim) : () => openInterfacePort(pty.hostPath);
  const reader = new MdbCashlessReader(open, { pollMs: 30, simulated: false, logger: silentLogger(), link: { replyTimeoutMs: 150 }, ...(options.vendTimeoutMs ? { vendTimeoutMs: options.vendTimeoutMs } : {}) }, pty.hostPath);
  const rig: Rig = { pty, reader, cards: [], ended: [], alarms: [], faults: [] };
  reader.on('card', (c) => rig.cards.push(c));
  reader.on('session-ended', (r) => rig.ended.push(r));
  reader.on('alarm', (a) => rig.alarms.push(a));
  reader.on('fault', (f) => rig.faults.push(f.message));
  t.teardown(async () => {
    await reader.stop();
    await pty.close();
  });
  await reader.start();
  // On a loaded machine a reply can miss its 150 ms: the driver retries; wait for it to be set up.
  await until('reader set up', () => reader.status().health === 'ok');
  return rig;
}

async function tapAndWait(t: Test, rig: Rig, card: Parameters<PtyCardReader['sim']['tap']>[0] = {}): Promise<void> {
  const before = rig.cards.length;
  t.equal(rig.pty.sim.tap(card), 'session');
  await until('BEGIN SESSION seen', () => rig.cards.length > before);
}

export function cardReaderContract(t: Test, label: string, transport: { inProcess: boolean }): void {
  const startRig = (t: Test, options: { vendTimeoutMs?: number } = {}) => startHarnessRig(t, { ...options, inProcess: transport.inProcess });

  t.test(`${label}: setup: identity, euro, prices announced, disabled until enabled`, async (t) => {
    const rig = await startRig(t);
    t.equal(rig.reader.status().health, 'ok');
    t.match(rig.reader.identity(), { manufacturer: 'CAB', serial: 'SIMCARD00001', model: 'CAB-NFC-1', featureLevel: 1, currency: 978 });
    const status = rig.pty.sim.status();
    t.same(status.prices, { maxCents: 10000, minCents: 0 });
    t.equal(status.state, 'disabled');
    t.equal(rig.pty.sim.tap(), 'disabled', 'a card presented outside a payment is not taken');
    await rig.reader.setEnabled(true);
    t.equal(rig.pty.sim.status().state, 'enabled');
    await rig.reader.setEnabled(false);
    t.equal(rig.pty.sim.status().state, 'disabled');
  });

  t.test(`${label}: approved vend, charged only by VEND SUCCESS; the session completes`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    await tapAndWait(t, rig, { label: 'visa' });
    t.same(rig.cards[0]?.fundsCents, undefined, 'contactless: funds unknown');
    const outcome = await rig.reader.requestVend(650, 2);
    t.same(outcome, { result: 'approved', cents: 650 });
    t.same(rig.pty.sim.status().charged, [], 'approved is not charged');
    t.equal(await rig.reader.finishVend(true, 2), 'charged');
    t.same(rig.pty.sim.status().charged, [{ item: 2, cents: 650, label: 'visa' }]);
    await until('END SESSION', () => rig.ended.length === 1);
    t.equal(rig.reader.inSession(), false);
    t.equal(rig.pty.sim.status().state, 'enabled');
  });

  t.test(`${label}: a failed delivery sends VEND FAILURE: the card is not charged`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    await tapAndWait(t, rig);
    t.match(await rig.reader.requestVend(800, 1), { result: 'approved' });
    t.equal(await rig.reader.finishVend(false, 1), 'released');
    const s = rig.pty.sim.status();
    t.same(s.charged, []);
    t.equal(s.voided.length, 1);
    t.equal(s.commands['VEND FAILURE'], 1);
  });

  t.test(`${label}: denied, then the same customer taps again and is approved`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    await tapAndWait(t, rig, { decision: 'deny', fundsCents: 300 });
    t.equal(rig.cards[0]?.fundsCents, 300);
    t.match(await rig.reader.requestVend(800, 1), { result: 'denied' });
    await rig.reader.endSession();
    await until('session ended', () => rig.ended.length === 1);
    await tapAndWait(t, rig, { decision: 'approve' });
    t.match(await rig.reader.requestVend(800, 1), { result: 'approved', cents: 800 });
    t.equal(await rig.reader.finishVend(true, 1), 'charged');
    t.equal(rig.pty.sim.status().charged.length, 1);
    t.equal(rig.pty.sim.status().denied, 1);
  });

  t.test(`${label}: a customer who taps twice: the second tap is refused while the session runs, one charge`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    await tapAndWait(t, rig, { delayMs: 1000 });
    const vend = rig.reader.requestVend(500, 1);
    t.equal(rig.pty.sim.tap(), 'busy', 'tap during the authorisation');
    t.match(await vend, { result: 'approved' });
    t.equal(rig.pty.sim.tap(), 'busy', 'tap after the approval');
    t.match(await rig.reader.requestVend(500, 1), { result: 'fault' }, 'a second vend in the same session is refused by the driver');
    t.equal(await rig.reader.finishVend(true, 1), 'charged');
    t.equal(rig.cards.length, 1);
    t.equal(rig.pty.sim.status().charged.length, 1);
    t.equal(rig.pty.sim.status().commands['VEND REQUEST'], 1);
  });

  t.test(`${label}: no authorisation in time: the vend is cancelled (timeout), nothing charged`, async (t) => {
    const rig = await startRig(t, { vendTimeoutMs: 300 });
    await rig.reader.setEnabled(true);
    await tapAndWait(t, rig, { decision: 'no-answer' });
    t.match(await rig.reader.requestVend(800, 1), { result: 'timeout' });
    t.equal(rig.pty.sim.status().commands['VEND CANCEL'], 1);
    await rig.reader.endSession();
    await until('session ended', () => rig.ended.length === 1);
    t.same(rig.pty.sim.status().charged, []);
  });

  t.test(`${label}: a reader reset mid-vend: the pending vend fails, an approval is voided (not charged), the reader is set up again`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    await tapAndWait(t, rig, { delayMs: 3000 }); // long enough to reset it mid-vend under load
    const pending = rig.reader.requestVend(800, 1);
    await until('vend requested', () => rig.pty.sim.status().state === 'vend');
    rig.pty.sim.resetReader();
    t.match(await pending, { result: 'reset' });
    await until('set up and enabled again', () => rig.pty.sim.status().state === 'enabled');
    t.match(rig.alarms, [{ kind: 'reset' }]);
    // Approved, then reset before the delivery finished.
    await tapAndWait(t, rig);
    t.match(await rig.reader.requestVend(800, 1), { result: 'approved' });
    rig.pty.sim.resetReader();
    await until('reset seen', () => rig.alarms.length === 2);
    t.equal(await rig.reader.finishVend(true, 1), 'voided', 'the approval was lost with the reset');
    t.same(rig.pty.sim.status().charged, [], 'and never charged');
    await until('enabled again', () => rig.pty.sim.status().state === 'enabled');
  });

  t.test(`${label}: damaged replies are asked again (RET), lost ones retried; no event lost or doubled`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    rig.pty.sim.inject('corrupt', 2);
    await tapAndWait(t, rig);
    rig.pty.sim.inject('drop', 1);
    t.match(await rig.reader.requestVend(400, 1), { result: 'approved', cents: 400 });
    rig.pty.sim.inject('corrupt', 1);
    t.equal(await rig.reader.finishVend(true, 1), 'charged');
    t.equal(rig.cards.length, 1);
    t.equal(rig.pty.sim.status().charged.length, 1, 'VEND SUCCESS executed once even if its answer was damaged');
    const link = rig.reader.status().readings?.link as { retransmissions: number; timeouts: number };
    t.ok(link.retransmissions >= 1, 'RET sent');
  });

  t.test(`${label}: a silent reader is a (non-fatal) fault; it recovers and is enabled again`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    rig.pty.sim.setSilent(true);
    await until('fault', () => rig.reader.status().health === 'fault');
    t.match(rig.faults[0], /not answering/);
    rig.pty.sim.setSilent(false);
    await until('recovered', () => rig.reader.status().health === 'ok' && rig.pty.sim.status().state === 'enabled');
    await tapAndWait(t, rig);
    t.match(await rig.reader.requestVend(200, 1), { result: 'approved' });
    t.equal(await rig.reader.finishVend(true, 1), 'charged');
  });

  t.test(`${label}: the customer cancels on the reader: the driver completes the session`, async (t) => {
    const rig = await startRig(t);
    await rig.reader.setEnabled(true);
    await tapAndWait(t, rig);
    t.ok(rig.pty.sim.customerCancel());
    await until('session ended', () => rig.ended.length === 1);
    t.equal(rig.pty.sim.status().commands['SESSION COMPLETE'], 1);
    t.equal(rig.reader.inSession(), false);
  });
}
