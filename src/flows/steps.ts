// The session's steps as data: one declaration per step that the machine (session.ts) reads
// for its timers, the effect it runs on entry, whether the screen shows it busy, whether the
// customer may cancel, which device a failure points at and what a restart does. docs/session.md's
// step table is printed from it (`node --import tsx tools/session-table.ts --write`; a test
// fails when they differ). Pure data: no I/O.
import type { Step } from './model.ts';

/** The effects the machine implements (session.ts), named here. */
export type EffectName = 'capture' | 'validate' | 'beginSignature' | 'openPayment' | 'issueCode' | 'print' | 'queueRecord' | 'refund';

/** Which of the session timeouts applies (SessionConfig.timeoutsMs). */
export type TimeoutName = 'capture' | 'review' | 'signature' | 'payment' | 'done';

export interface StepSpec {
  /** What the step runs or waits for. */
  runs: string;
  /** The facts that leave it (journaled first). */
  leavesOn: string;
  /** The effect run on entry, or null (the step waits for the customer). */
  effect: EffectName | null;
  /** The screen shows the step busy while its effect runs. */
  busy: boolean;
  /** Its timeout, or null; `warn` = a warning precedes it. */
  timeout: { name: TimeoutName; warn: boolean; note?: string } | null;
  /** What its `timeout` is called when the step has none of its own (docs). */
  timeoutNote?: string;
  /** The device a failure of the step points at (a full disk wins whatever the step). */
  device: string | null;
  /** CANCEL from the customer ends the session. */
  cancellable: boolean;
  /** What recovery at boot does with a session the journal left in this step. */
  atRestart: 'none' | 'end' | 'paid-if-credited' | 'resume';
}

export const sessionSteps: Readonly<Record<Step, StepSpec>> = {
  idle: {
    runs: 'START (refused, with the reason, if `health.canDeliver()` is false)',
    leavesOn: 'SESSION_STARTED → capture',
    effect: null,
    busy: false,
    timeout: null,
    device: null,
    cancellable: false,
    atRestart: 'none',
  },
  capture: {
    runs: '`camera.capture` then the JPEG saved under `data.dir/sessions/<id>/`',
    leavesOn: 'PHOTO_CAPTURED → validating',
    effect: 'capture',
    busy: true,
    timeout: { name: 'capture', warn: true },
    device: 'camera',
    cancellable: true,
    atRestart: 'end',
  },
  validating: {
    runs: '`validator.validate`',
    leavesOn: 'PHOTO_VALIDATED → review',
    effect: 'validate',
    busy: true,
    timeout: { name: 'capture', warn: true },
    device: 'vision',
    cancellable: true,
    atRestart: 'end',
  },
  review: {
    runs: 'ACCEPT / RETAKE',
    leavesOn: 'PHOTO_ACCEPTED → signature (e-photo) or payment; RETAKE → capture',
    effect: null,
    busy: false,
    timeout: { name: 'review', warn: true },
    device: null,
    cancellable: true,
    atRestart: 'end',
  },
  signature: {
    runs: 'SIGNATURE_DONE (SIGNATURE_CLEAR = redo)',
    leavesOn: 'SIGNATURE_SAVED → payment',
    effect: 'beginSignature',
    busy: false,
    timeout: { name: 'signature', warn: true },
    device: 'touch',
    cancellable: true,
    atRestart: 'end',
  },
  payment: {
    runs: '`payment.open` (stored credit applied, acceptor on), coins',
    leavesOn: 'PAYMENT_OPENED, COIN_CREDITED…, PAID → issuing (e-photo) or printing',
    effect: 'openPayment',
    busy: true,
    timeout: { name: 'payment', warn: true, note: 'restarted by each coin' },
    device: 'coinAcceptor',
    cancellable: true,
    atRestart: 'paid-if-credited',
  },
  issuing: {
    runs: '`codes.issueForSession`',
    leavesOn: 'CODE_ISSUING, CODE_ISSUED → printing',
    effect: 'issueCode',
    busy: true,
    timeout: null,
    device: 'store',
    cancellable: false,
    atRestart: 'resume',
  },
  printing: {
    runs: '`printer.ensurePrinted`',
    leavesOn: 'PRINT_SUBMITTING, PRINT_FINISHED → uploading',
    effect: 'print',
    busy: true,
    timeout: null,
    timeoutNote: "the printer's own job timeout",
    device: 'printer',
    cancellable: false,
    atRestart: 'resume',
  },
  uploading: {
    runs: '`outbox.enqueue(record)`',
    leavesOn: 'RECORD_QUEUED → done',
    effect: 'queueRecord',
    busy: true,
    timeout: null,
    device: 'store',
    cancellable: false,
    atRestart: 'resume',
  },
  done: {
    runs: 'FINISH',
    leavesOn: 'SESSION_ENDED completed → idle',
    effect: null,
    busy: false,
    timeout: { name: 'done', warn: false },
    device: null,
    cancellable: false,
    atRestart: 'resume',
  },
  refunding: {
    runs: '`payment.refund` (card released, cash paid back by the hopper or owed as a refund claim)',
    leavesOn: 'SESSION_ENDED undelivered → idle (entered by DELIVERY_FAILED from issuing or printing: REFUND, or `session.deliveryGiveUpSeconds` blocked)',
    effect: 'refund',
    busy: true,
    timeout: null,
    device: 'store',
    cancellable: false,
    atRestart: 'resume',
  },
};

/** The config key of each timeout (docs). */
export const timeoutConfigKeys: Readonly<Record<TimeoutName, string>> = {
  capture: 'session.captureTimeoutSeconds',
  review: 'session.reviewTimeoutSeconds',
  signature: 'session.signatureTimeoutSeconds',
  payment: 'session.paymentTimeoutSeconds',
  done: 'session.doneSeconds',
};

const restartText: Record<StepSpec['atRestart'], string> = {
  none: '–',
  end: 'ends `interrupted`',
  'paid-if-credited': 'PAID if the ledger holds the price, else ends `interrupted` (credit kept)',
  resume: 'resumed',
};

/** docs/session.md's step table, printed from `sessionSteps`. */
export function sessionStepTable(): string {
  const rows = [
    '| step | runs / waits for | leaves on (fact journaled) | timeout (config) | failure points at | cancel | after a restart |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [step, spec] of Object.entries(sessionSteps) as [Step, StepSpec][]) {
    const timeout = spec.timeout ? `\`${timeoutConfigKeys[spec.timeout.name]}\`${spec.timeout.note ? ` (${spec.timeout.note})` : ''}` : (spec.timeoutNote ?? '–');
    rows.push(`| ${step} | ${spec.runs} | ${spec.leavesOn} | ${timeout} | ${spec.device ?? '–'} | ${spec.cancellable ? 'yes' : 'no'} | ${restartText[spec.atRestart]} |`);
  }
  return rows.join('\n');
}
