// What the service answers, apart from HTTP: the pull of an e-photo (single use, audited) and
// the customer status of a typed code. The routes (routes.ts) only map these to responses.
import { checkCode, isWellFormed } from '../codes/code.ts';
import { recordSchema } from '../fleet/schemas.ts';
import { expiresAtOf, statusOf } from './lifecycle.ts';
import type { EphotoResponse, StatusResponse } from './schemas.ts';
import type { CodeState, CollectorStore } from './store.ts';

export type PullOutcome =
  | { http: 200; body: EphotoResponse }
  | { http: 400; body: { status: 'invalid' } }
  | { http: 404; body: { status: 'unknown' } }
  | { http: 410; body: { status: 'used' | 'expired' } }
  | { http: 503; body: { status: 'pending' } };

const filesPresent = (state: CodeState) => state.purgedAt === null;

/** The e-photo as served (pull) and pushed: the record's files, without re-encoding. */
export function ephotoOf(state: CodeState, recordText: string | undefined): EphotoResponse | undefined {
  const parsed = recordText === undefined ? undefined : recordSchema.safeParse(JSON.parse(recordText));
  const photo = parsed?.success ? parsed.data.files.photo : undefined;
  const signature = parsed?.success ? parsed.data.files.signature : undefined;
  if (!photo?.base64 || !signature?.base64) return undefined;
  return {
    code: state.code,
    issuedAt: state.issuedAt,
    expiresAt: expiresAtOf(state.issuedAt, state.expires),
    booth: state.booth,
    photo: { mime: photo.mime, sha256: photo.sha256, data: photo.base64 },
    signature: { mime: signature.mime, sha256: signature.sha256, data: signature.base64 },
  };
}

/** Serves the e-photo of `code` to `client` once; every call is audited. */
export async function pull(store: CollectorStore, code: string, client: string, now: Date): Promise<PullOutcome> {
  const at = now.toISOString();
  const refuse = async <T extends Exclude<PullOutcome, { http: 200 }>>(outcome: T): Promise<T> => {
    await store.audit({ at, client, action: 'pull', code, result: outcome.body.status });
    return outcome;
  };
  if (!isWellFormed(code)) return refuse({ http: 400, body: { status: 'invalid' } });
  const state = await store.lookup(code);
  if (!state) return refuse({ http: 404, body: { status: 'unknown' } });
  const status = statusOf({ issuedAt: state.issuedAt, expires: state.expires, usedAt: state.usedAt, filesPresent: filesPresent(state) }, now);
  if (status === 'used' || status === 'expired') return refuse({ http: 410, body: { status } });
  const ephoto = status === 'active' ? ephotoOf(state, await store.recordText(code)) : undefined;
  if (!ephoto) return refuse({ http: 503, body: { status: 'pending' } });
  // The use and its audit row commit together; a concurrent pull that lost the race is "used".
  if (!(await store.use(code, client, at))) return { http: 410, body: { status: 'used' } };
  return { http: 200, body: ephoto };
}

/** The customer's view of what they typed: no personal data, a correction for one mistyped character. */
export async function customerStatus(store: CollectorStore, typed: string, now: Date): Promise<StatusResponse & { code?: string }> {
  const check = checkCode(typed);
  if (!check.valid) return check.suggestion ? { status: 'invalid', suggestion: check.suggestion } : { status: 'invalid' };
  const state = await store.lookup(check.normalised);
  if (!state) return { status: 'unknown', code: check.normalised };
  return {
    status: statusOf({ issuedAt: state.issuedAt, expires: state.expires, usedAt: state.usedAt, filesPresent: filesPresent(state), pushesPending: state.pushesPending }, now),
    code: check.normalised,
  };
}
