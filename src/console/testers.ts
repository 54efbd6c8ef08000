// The technician's device tests that act on the booth's real stack: `coin test` (the payment
// desk's test mode on the real acceptor driver) and `print test` (a test board through the
// real printer, IPP or simulated). The composition root builds them; the console and the
// fleet's `print-test` command use the same ones.
import type { AcceptorAlarm, CoinAcceptorDevice, CoinErrorEvent } from '../hal/coin-acceptor/index.ts';
import { isTerminal, type JobStatus, type PrinterDevice } from '../hal/printer/index.ts';
import type { Logger } from '../log.ts';
import type { PaymentDesk, TestCoin, TestEnded } from '../payment/index.ts';
import { printTestPage } from '../print/test-page.ts';
import type { CoinTester, PrintTester } from './handlers.ts';
import type { CoinEvent } from './protocol.ts';

export interface CoinTesterDeps {
  desk: Pick<PaymentDesk, 'beginTest' | 'endTest' | 'on' | 'off'>;
  acceptor: Pick<CoinAcceptorDevice, 'on' | 'off'>;
  /** Calls `listener` when a customer session starts (the machine leaves idle); returns the unsubscribe. */
  onSessionStart(listener: () => void): () => void;
  logger: Logger;
}

/**
 * `coin test`: the desk enables every euro coin while no payment is open; each validated coin
 * (value, channel), each reject and alarm goes to `emit`. The acceptor is inhibited again on
 * `stop` (the technician's q, or the console's connection closing: the server calls stop),
 * and the booth ends the test itself when a customer session starts or a payment opens
 * (then a last `end` event says why).
 */
export function createCoinTester(deps: CoinTesterDeps): CoinTester {
  const log = deps.logger.child({ module: 'coin-test' });
  return {
    async startTest(emit) {
      const started = await deps.desk.beginTest();
      const { testId } = started;
      const at = () => new Date().toISOString();
      let over = false;
      const onCoin = (c: TestCoin) => {
        if (c.testId !== testId) return;
        emit({ kind: 'credit', valueCents: c.cents, coin: c.coin, channel: c.channel, message: `validated on channel ${c.channel}; test coin: in the cash box, not a sale`, at: c.at });
      };
      const onError = (e: CoinErrorEvent) => {
        const kind: CoinEvent['kind'] = e.kind === 'rejected' || e.kind === 'inhibited' ? 'reject' : 'error';
        emit({ kind, valueCents: null, coin: null, channel: null, message: `${e.message} (code ${e.code})`, at: e.at });
      };
      const onAlarm = (a: AcceptorAlarm) => emit({ kind: 'alarm', valueCents: null, coin: null, channel: null, message: a.message, at: a.at });
      const cleanup = () => {
        over = true;
        deps.desk.off('test-coin', onCoin);
        deps.desk.off('test-ended', onEnded);
        deps.acceptor.off('coin-error', onError);
        deps.acceptor.off('alarm', onAlarm);
        unsubscribeSession();
      };
      const onEnded = (e: TestEnded) => {
        if (e.testId !== testId || over) return;
        cleanup();
        emit({ kind: 'end', valueCents: null, coin: null, channel: null, message: `the booth ended the test: ${e.reason}; acceptor inhibited`, at: at() });
      };
      deps.desk.on('test-coin', onCoin);
      deps.desk.on('test-ended', onEnded);
      deps.acceptor.on('coin-error', onError);
      deps.acceptor.on('alarm', onAlarm);
      const unsubscribeSession = deps.onSessionStart(() => {
        void deps.desk.endTest(testId, 'a customer session started').catch((err: unknown) => log.error({ err }, 'ending the coin test failed'));
      });
      const enabled = started.accepting.length > 0;
      const detail = enabled
        ? `accepting ${started.accepting.join(' ')}; test coins go to the cash box and are counted there, never as a sale`
        : `acceptor not enabled: ${started.inhibitedBecause ?? 'unknown reason'}`;
      log.info({ testId, accepting: started.accepting }, 'coin test running');
      return {
        enabled,
        detail,
        stop: async () => {
          if (!over) cleanup();
          await deps.desk.endTest(testId, 'technician ended the test');
        },
      };
    },
  };
}

export interface PrintTesterDeps {
  printer: PrinterDevice;
  boothId: string;
  operatorPrefix: string;
  /** How long to follow the job before answering (printer.jobTimeoutSeconds). */
  jobTimeoutMs: number;
  logger: Logger;
}

/**
 * `print test` (console) and `print-test` (fleet): a test board (test pattern, a code marked
 * not valid) submitted to the booth's printer and followed until it ends. Rejects when the
 * printer is not ready or the job fails, with the printer's reason.
 */
export function createPrintTester(deps: PrintTesterDeps): PrintTester {
  const log = deps.logger.child({ module: 'print-test' });
  let running: Promise<{ jobId: string; detail: string }> | undefined;
  const run = async () => {
    const result = await printTestPage(deps.printer, { boothId: deps.boothId, operatorPrefix: deps.operatorPrefix, jobTimeoutMs: deps.jobTimeoutMs });
    const job: JobStatus = result.job;
    log.info({ jobId: job.id, state: job.state, reasons: job.reasons }, 'test page job ended');
    const reasons = job.reasons.length ? ` (${job.reasons.join(', ')})` : '';
    if (job.state !== 'completed') {
      throw new Error(isTerminal(job.state) ? `test page job ${job.id} ${job.state}${reasons}` : `test page job ${job.id} still ${job.state}${reasons} after ${Math.round(deps.jobTimeoutMs / 1000)} s`);
    }
    return { jobId: job.id, detail: `completed on ${deps.printer.uri} (${result.format}, ${Math.round(result.bytes / 1024)} KiB test board)` };
  };
  return {
    printTest() {
      // One test page at a time, whoever asks (console and fleet share this).
      running ??= run().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
