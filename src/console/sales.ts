// The booth's sales switch: `sales off` from the console (or the fleet) stops new sessions
// until `sales on`, and survives a restart. The composition root makes the session's
// BoothHealthPort.canDeliver() answer no while it is off.
import type { Store } from '../store/db.ts';
import { consoleMigrations } from './audit.ts';
import type { SalesState } from './protocol.ts';

export interface SalesSwitch {
  state(): SalesState;
  set(enabled: boolean, reason: string | null): SalesState;
}

export function openSalesSwitch(store: Store): SalesSwitch {
  store.migrate('console', consoleMigrations);
  const get = store.db.prepare<[], { enabled: number; reason: string | null }>("SELECT enabled, reason FROM console_sales WHERE id = 1");
  const put = store.db.prepare<[number, string | null, string]>(
    `INSERT INTO console_sales (id, enabled, reason, at) VALUES (1, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, reason = excluded.reason, at = excluded.at`,
  );
  const state = (): SalesState => {
    const row = get.get();
    return row ? { enabled: row.enabled === 1, reason: row.enabled === 1 ? null : row.reason } : { enabled: true, reason: null };
  };
  return {
    state,
    set(enabled, reason) {
      put.run(enabled ? 1 : 0, enabled ? null : reason, new Date().toISOString());
      return state();
    },
  };
}
