// Payment: the desk the session flow calls, the ledger behind it, the coin rules.
export { PaymentDesk, type PaymentDeskOptions, type PaymentEvent, type PaymentState, type CanDeliver, type SessionCoinCredit, type TestCoin, type TestEnded } from './desk.ts';
export { openLedger, type Ledger, type CashboxLine, type CoinIncident, type StoredCredit, type SessionPayment } from './ledger.ts';
export { planAcceptance, isAcceptedValue, MIN_COIN_CENTS, MAX_COIN_CENTS, type AcceptancePlan } from './coins.ts';
