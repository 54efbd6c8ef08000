// The booth's counters for the fleet's telemetry, fed only by events (session and payment),
// kept in SQLite so that they are totals since commissioning, not since the last restart.
// One row per counter: `sessions.started`, `retakes.<check id>`, `coins.<cents>`, ...
// Revenue: coins credited and card payments charged.
import type { SessionEvent } from '../flows/ports.ts';
import type { PaymentEvent } from '../payment/desk.ts';
import type { Store } from '../store/db.ts';

export interface BoothCounters {
  /** Counts what a session event says happened. */
  sessionEvent(event: SessionEvent): void;
  /** Counts what a payment event says happened. */
  paymentEvent(event: PaymentEvent): void;
  snapshot(): {
    sessions: { started: number; completed: number; cancelled: number };
    revenueCents: number;
    /** Of the revenue: coins (cash in the box) and cards (charged after delivery). */
    revenue: { coinCents: number; cardCents: number };
    coins: Record<string, number>;
    retakes: Record<string, number>;
  };
}

const migrations = [`CREATE TABLE booth_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)`];

export function openCounters(store: Store): BoothCounters {
  store.migrate('booth-counters', migrations);
  const add = store.db.prepare<[{ name: string; by: number }]>(
    'INSERT INTO booth_counters (name, value) VALUES (@name, @by) ON CONFLICT (name) DO UPDATE SET value = value + @by',
  );
  const all = store.db.prepare<[], { name: string; value: number }>('SELECT name, value FROM booth_counters');
  const count = (name: string, by = 1) => add.run({ name, by });

  return {
    sessionEvent(event) {
      if (event.type === 'session.started') count('sessions.started');
      else if (event.type === 'session.ended') count(event.data?.outcome === 'completed' ? 'sessions.completed' : 'sessions.cancelled');
      else if (event.type === 'session.retake') {
        const checks = Array.isArray(event.data?.checks) ? event.data.checks.filter((c): c is string => typeof c === 'string') : [];
        // A retake asked while every check passed is the customer's own choice.
        for (const check of checks.length > 0 ? checks : ['none']) count(`retakes.${check}`);
      }
    },
    paymentEvent(event) {
      if (typeof event.cents !== 'number' || event.cents <= 0) return;
      if (event.type === 'coin.credited') {
        count('revenueCents', event.cents);
        count(`coins.${event.cents}`);
      } else if (event.type === 'card.charged') {
        count('revenueCents', event.cents); // a card is charged once, after delivery
        count('revenue.cardCents', event.cents);
      }
    },
    snapshot() {
      const rows = new Map(all.all().map((r) => [r.name, r.value]));
      const prefixed = (prefix: string) =>
        Object.fromEntries([...rows].filter(([name]) => name.startsWith(prefix)).map(([name, value]) => [name.slice(prefix.length), value]));
      return {
        sessions: { started: rows.get('sessions.started') ?? 0, completed: rows.get('sessions.completed') ?? 0, cancelled: rows.get('sessions.cancelled') ?? 0 },
        revenueCents: rows.get('revenueCents') ?? 0,
        revenue: { coinCents: (rows.get('revenueCents') ?? 0) - (rows.get('revenue.cardCents') ?? 0), cardCents: rows.get('revenue.cardCents') ?? 0 },
        coins: prefixed('coins.'),
        retakes: prefixed('retakes.'),
      };
    },
  };
}
