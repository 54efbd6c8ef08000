// The booth's parts as the console sees them (src/console/handlers.ts): the curtain as a
// view, the coin test, the cash box, the outbox and the fleet link. Adapters only: each
// reads or calls the part that owns the state.
import type { Config } from '../config/schema.ts';
import type { CashBox, CoinTester, CurtainView, FleetLink, OutboxView } from '../console/handlers.ts';
import { createCoinTester } from '../console/testers.ts';
import type { Fleet } from '../fleet/index.ts';
import type { SessionMachine } from '../flows/session.ts';
import type { CoinAcceptorDevice } from '../hal/coin-acceptor/index.ts';
import type { CurtainDevice } from '../hal/curtain/index.ts';
import type { Logger } from '../log.ts';
import type { PaymentDesk } from '../payment/index.ts';
import type { CoinIncident, RefundRow } from '../payment/ledger.ts';
import type { CoinIncidentView } from '../console/protocol.ts';
import type { RefundClaim } from '../console/protocol.ts';

export function curtainView(curtain: CurtainDevice): CurtainView {
  return {
    state: () => curtain.state(),
    watch: (listener) => {
      const on = () => listener(curtain.state());
      curtain.on('change', on);
      return () => curtain.off('change', on);
    },
  };
}

/** The console's coin test; a customer starting a session ends it. */
export function coinTester(desk: PaymentDesk, acceptor: CoinAcceptorDevice, machine: Pick<SessionMachine, 'snapshot' | 'subscribe'>, logger: Logger): CoinTester {
  return createCoinTester({
    desk,
    acceptor,
    onSessionStart: (listener) => {
      let previous = machine.snapshot().step;
      return machine.subscribe((s) => {
        const was = previous;
        previous = s.step;
        if (was === 'idle' && s.step !== 'idle') listener();
      });
    },
    logger,
  });
}

const claimView = (desk: PaymentDesk, r: RefundRow): RefundClaim => ({
  sessionId: r.sessionId,
  product: desk.ledger.session(r.sessionId)?.product ?? null,
  cents: r.claimCents,
  claimCode: r.claimCode,
  reason: r.reason,
  at: r.createdAt,
  state: r.state === 'claim-paid' ? 'claim-paid' : 'claim-due',
  paidBy: r.paidBy,
});

const incidentView = (i: CoinIncident): CoinIncidentView => ({
  id: i.id,
  missedEvents: i.missedEvents,
  fromCounter: i.fromCounter,
  toCounter: i.toCounter,
  sessionId: i.sessionId,
  at: i.at,
  closedAt: i.closedAt,
  closedBy: i.closedBy,
});

export function cashBox(desk: PaymentDesk): CashBox {
  const coinLines = (lines: { cents: number; count: number; coin: string }[]) =>
    lines.map((line) => ({ valueCents: Math.round(line.cents / Math.max(1, line.count)), coin: line.coin, count: line.count }));
  return {
    counters: () => {
      const coins = coinLines(desk.cashbox());
      return {
        cashBox: { since: desk.ledger.lastEmptiedAt(), totalCents: coins.reduce((sum, c) => sum + c.valueCents * c.count, 0), coins, testCoins: desk.ledger.testCoinsInCashbox() },
        storedCreditCents: desk.storedCredit().reduce((sum, c) => sum + c.leftCents, 0),
        refundsOwed: desk.refundsOwed(),
      };
    },
    claims: () => desk.ledger.claimsDue().map((r) => claimView(desk, r)),
    claimPaid: (session, by) => claimView(desk, desk.claimPaid(session, by)),
    incidents: () => desk.coinIncidents().map(incidentView),
    closeIncident: (id, by) => incidentView(desk.closeCoinIncident(id, by)),
    collect: () => {
      const since = desk.ledger.lastEmptiedAt();
      const emptied = desk.emptyCashbox();
      const at = new Date().toISOString();
      return { id: `cash-${at}`, at, totalCents: emptied.totalCents, coins: coinLines(emptied.counts), since };
    },
  };
}

export function outboxView(fleet: Fleet): OutboxView {
  return {
    state: () => ({ depth: fleet.outbox.depth(), oldest: fleet.outbox.oldestAt() ?? null }),
    flush: async () => {
      const depthBefore = fleet.outbox.depth();
      if (fleet.connected) await Promise.race([fleet.drained(), new Promise((r) => setTimeout(r, 10_000))]);
      const depthAfter = fleet.outbox.depth();
      return {
        depthBefore,
        depthAfter,
        detail: !fleet.enabled ? 'no fleet configured (fleet.url): records wait in the outbox' : fleet.connected ? 'sent while connected; acked records removed' : 'broker not connected: records are resent on reconnection',
      };
    },
  };
}

export function fleetLink(fleet: Fleet, config: Config): FleetLink {
  return {
    broker: () => ({ configured: fleet.enabled, connected: fleet.connected, url: config.fleet.url ?? null, detail: fleet.enabled ? null : 'no fleet.url' }),
    publishEvent: (event) => {
      fleet.publishEvent(event);
      return fleet.connected;
    },
  };
}
