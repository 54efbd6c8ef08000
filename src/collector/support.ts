// What support needs to answer a customer whose code "does not work": everything the operator
// knows of one code (booth, issue, storage, transmission, use, payment, refund, purge, audit),
// and the refund, recorded once and audited. No photo or signature is shown.
import { checkCode } from '../codes/code.ts';
import { expiresAtOf, statusOf } from './lifecycle.ts';
import type { CodeStatusName } from './schemas.ts';
import type { AuditRow, CollectorStore, PushRow, RefundRow } from './store.ts';

export interface CodeReport {
  code: string;
  status: CodeStatusName;
  suggestion?: string;
  booth?: string;
  recordId?: string;
  sessionId?: string | null;
  issuedAt?: string;
  expiresAt?: string;
  storedAt?: string | null;
  /** When and to whom the e-photo went (the pull that used it). */
  transmitted?: { at: string; to: string } | null;
  /** The push queue's rows for the code (one per target). */
  pushes?: PushRow[];
  usedAt?: string | null;
  purgedAt?: string | null;
  paidCents?: number | null;
  /** The booth's payment record for the session (its data), when it reached the operator. */
  payment?: Record<string, unknown> | null;
  refund?: RefundRow | null;
  audit?: AuditRow[];
}

export async function codeReport(store: CollectorStore, typed: string, now = new Date()): Promise<CodeReport> {
  const check = checkCode(typed);
  if (!check.valid) return { code: check.normalised, status: 'invalid', ...(check.suggestion ? { suggestion: check.suggestion } : {}) };
  const code = check.normalised;
  const state = await store.lookup(code);
  if (!state) return { code, status: 'unknown', refund: (await store.refunds()).get(code) ?? null, audit: await store.auditOf(code) };
  const paymentText = state.sessionId ? await store.paymentRecordText(state.booth, state.sessionId) : undefined;
  const payment = paymentText ? ((JSON.parse(paymentText) as { data?: Record<string, unknown> }).data ?? null) : null;
  return {
    code,
    status: statusOf({ issuedAt: state.issuedAt, expires: state.expires, usedAt: state.usedAt, filesPresent: state.purgedAt === null, pushesPending: state.pushesPending }, now),
    booth: state.booth,
    recordId: state.recordId,
    sessionId: state.sessionId,
    issuedAt: state.issuedAt,
    expiresAt: expiresAtOf(state.issuedAt, state.expires),
    storedAt: state.storedAt,
    transmitted: state.usedAt ? { at: state.usedAt, to: state.usedBy ?? '?' } : null,
    pushes: await store.pushRows(code),
    usedAt: state.usedAt,
    purgedAt: state.purgedAt,
    paidCents: state.paidCents,
    payment,
    refund: state.refund,
    audit: await store.auditOf(code),
  };
}

export class RefundRefused extends Error {
  readonly exitCode = 1;
}

/** Records a refund of a known code. A used code (the state's system fetched it) needs `force`. */
export async function recordRefund(store: CollectorStore, typed: string, options: { reason: string; by: string; force?: boolean; now?: Date }): Promise<RefundRow> {
  const reason = options.reason.trim();
  if (reason.length < 3 || reason.length > 500) throw new RefundRefused('--reason must say why, in 3 to 500 characters');
  const check = checkCode(typed);
  if (!check.valid) throw new RefundRefused(`"${typed}" is not a valid code (${check.reason})${check.suggestion ? `; did you mean ${check.suggestion}?` : ''}`);
  const state = await store.lookup(check.normalised);
  if (!state) throw new RefundRefused(`no booth record issued ${check.normalised}: check the booth's outbox (cabine fleet status) before refunding`);
  if (state.refund) throw new RefundRefused(`${check.normalised} was already refunded on ${state.refund.at} by ${state.refund.by} (${state.refund.reason})`);
  if (state.usedAt && !options.force) throw new RefundRefused(`${check.normalised} was used on ${state.usedAt} (fetched by ${state.usedBy ?? '?'}): it worked; give --force to refund anyway`);
  const refund = { at: (options.now ?? new Date()).toISOString(), reason, by: options.by };
  if (!(await store.refund(check.normalised, refund))) throw new RefundRefused(`${check.normalised} was refunded meanwhile`);
  return refund;
}

const euros = (cents: number | null | undefined) => (typeof cents === 'number' ? `${(cents / 100).toFixed(2)} EUR` : '?');

/** The report as support reads it. */
export function formatReport(r: CodeReport): string {
  const lines = [`code         ${r.code}  ${r.status.toUpperCase()}`];
  if (r.suggestion) lines.push(`suggestion   ${r.suggestion} (one character corrected)`);
  if (r.status === 'unknown') lines.push('             no booth record issued this code (yet): a booth offline keeps it in its outbox');
  if (r.booth) {
    lines.push(
      `booth        ${r.booth} (record ${r.recordId ?? '?'}, session ${r.sessionId ?? '?'})`,
      `issued       ${r.issuedAt ?? '?'}`,
      `expires      ${r.expiresAt ?? '?'}`,
      `stored       ${r.storedAt ?? '?'}`,
      `transmitted  ${r.transmitted ? `${r.transmitted.at} to ${r.transmitted.to}` : 'not yet (nobody fetched it)'}`,
      ...(r.pushes ?? []).map((p) => `pushed       ${p.target}: ${p.state}, ${p.attempts} attempt(s)${p.ackedAt ? `, acknowledged ${p.ackedAt}` : ''}${p.lastError ? ` (last error: ${p.lastError})` : ''}`),
      `used         ${r.usedAt ?? 'no'}`,
      `paid         ${euros(r.paidCents)}`,
      `payment      ${r.payment ? JSON.stringify(r.payment) : 'no payment record received'}`,
      `purged       ${r.purgedAt ?? 'no (photo and signature held)'}`,
    );
  }
  if (r.refund !== undefined) lines.push(`refund       ${r.refund ? `${r.refund.at} by ${r.refund.by}: ${r.refund.reason}` : 'none'}`);
  for (const a of r.audit ?? []) lines.push(`audit        ${a.at}  ${a.action} ${a.result}  ${a.client}${a.detail ? `  (${a.detail})` : ''}`);
  return lines.join('\n') + '\n';
}
