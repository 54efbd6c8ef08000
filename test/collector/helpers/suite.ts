// One behaviour suite for the e-photo service over any CollectorStore (SQLite, PostgreSQL):
// the pull API's used/expired/unknown/invalid answers, single use under concurrency, the audit,
// the rate limit, and the customer status (JSON and FR/EN HTML, corrections, no personal data).
import type { Test } from 'tap';
import { createHash } from 'node:crypto';
import { buildCollectorServer } from '../../../src/collector/server.ts';
import type { CollectorStore } from '../../../src/collector/store.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { purgeDue } from '../../../src/collector/purge.ts';
import { backoffMs, pushPass } from '../../../src/collector/push.ts';
import { codeReport, recordRefund } from '../../../src/collector/support.ts';
import { exportedCodes } from '../../../src/fleet/operator/export.ts';
import { mistype, PHOTO, seedCode, seedPayment, SIGNATURE, unissuedCode } from './seed.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const monthsAgo = (m: number) => new Date(Date.now() - m * 31 * 86400_000).toISOString();

export function collectorSuite(t: Test, build: () => Promise<{ store: CollectorStore; cleanup: () => Promise<void> }>): void {
  const withServer = (name: string, fn: (t: Test, store: CollectorStore, app: Awaited<ReturnType<typeof buildCollectorServer>>) => Promise<void>, opts: { pullPerMinute?: number } = {}) =>
    t.test(name, async (t) => {
      const { store, cleanup } = await build();
      const app = await buildCollectorServer({ store, insecureHttp: true, pullPerMinute: opts.pullPerMinute ?? 10_000, statusPerMinute: 10_000 });
      t.teardown(async () => {
        await app.close();
        await store.close();
        await cleanup();
      });
      await fn(t, store, app);
    });

  withServer('pull: 200 with photo and signature once, then 410 used; every call audited', async (t, store, app) => {
    const s = await seedCode(store);
    const first = await app.inject({ method: 'GET', url: `/v1/ephotos/${s.code}` });
    t.equal(first.statusCode, 200);
    const body = first.json();
    t.equal(body.code, s.code);
    t.equal(body.booth, 'BOOTH-A');
    t.equal(body.photo.mime, 'image/jpeg');
    t.equal(body.photo.sha256, sha(PHOTO));
    t.same(Buffer.from(body.photo.data, 'base64'), PHOTO, 'photo bytes');
    t.equal(body.signature.mime, 'image/png');
    t.same(Buffer.from(body.signature.data, 'base64'), SIGNATURE, 'signature bytes');
    t.ok(Date.parse(body.expiresAt) - Date.parse(body.issuedAt) >= 181 * 86400_000, 'expires 6 months after issue');
    const second = await app.inject({ method: 'GET', url: `/v1/ephotos/${s.code}` });
    t.equal(second.statusCode, 410);
    t.same(second.json(), { status: 'used' });
    const audit = await store.auditOf(s.code);
    t.same(audit.map((a) => [a.action, a.result]), [['pull', 'delivered'], ['pull', 'used']]);
    t.ok(audit.every((a) => a.client.startsWith('http:')), 'the client is named');
    const state = await store.lookup(s.code);
    t.ok(state?.usedAt, 'use time kept');
  });

  withServer('pull: expired, unknown, invalid, mistyped, booth expiry', async (t, store, app) => {
    const old = await seedCode(store, { issuedAt: monthsAgo(7) });
    const early = await seedCode(store, { expires: new Date(Date.now() - 60_000).toISOString() });
    const get = (code: string) => app.inject({ method: 'GET', url: `/v1/ephotos/${encodeURIComponent(code)}` });
    let r = await get(old.code);
    t.equal(r.statusCode, 410);
    t.same(r.json(), { status: 'expired' });
    r = await get(early.code);
    t.same([r.statusCode, r.json()], [410, { status: 'expired' }], "the booth's earlier expiry counts");
    r = await get(unissuedCode());
    t.same([r.statusCode, r.json()], [404, { status: 'unknown' }]);
    for (const bad of ['ABC', '9PMT', mistype(old.code), old.code.toLowerCase(), `${old.code}X`, 'OOOOOOOOOOOOOOOOOOOOOO', '9PMT-AAAA']) {
      r = await get(bad);
      t.same([r.statusCode, r.json()], [400, { status: 'invalid' }], `"${bad}" is invalid`);
    }
    t.same((await store.auditOf(old.code)).map((a) => a.result), ['expired']);
    t.notOk((await store.lookup(old.code))?.usedAt, 'an expired code is not marked used');
  });

  withServer('pull: twenty clients racing for one code get one 200', async (t, store, app) => {
    const s = await seedCode(store);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => app.inject({ method: 'GET', url: `/v1/ephotos/${s.code}`, remoteAddress: `127.0.0.${i + 1}` })));
    t.equal(answers.filter((a) => a.statusCode === 200).length, 1, 'one delivery');
    t.equal(answers.filter((a) => a.statusCode === 410).length, 19, 'the others: used');
    t.equal((await store.auditOf(s.code)).length, 20, 'twenty audit rows');
  });

  withServer(
    'pull: rate limited per client, the refusal audited, another client unaffected',
    async (t, store, app) => {
      const codes = [unissuedCode(), unissuedCode(), unissuedCode(), unissuedCode()];
      const from = (ip: string, code: string) => app.inject({ method: 'GET', url: `/v1/ephotos/${code}`, remoteAddress: ip });
      const a = [];
      for (const code of codes) a.push((await from('10.0.0.1', code)).statusCode);
      t.same(a, [404, 404, 404, 429]);
      t.equal((await from('10.0.0.2', codes[0] as string)).statusCode, 404, 'another client still served');
      t.same((await store.auditOf(codes[3] as string)).map((x) => [x.client, x.result]), [['http:10.0.0.1', 'rate-limited']]);
    },
    { pullPerMinute: 3 },
  );

  withServer('status: JSON for every state, corrections, normalisation, nothing personal', async (t, store, app) => {
    const active = await seedCode(store);
    const used = await seedCode(store);
    const expired = await seedCode(store, { issuedAt: monthsAgo(7) });
    await app.inject({ method: 'GET', url: `/v1/ephotos/${used.code}` });
    const status = async (typed: string) => {
      const r = await app.inject({ method: 'GET', url: `/status/${encodeURIComponent(typed)}`, headers: { accept: 'application/json' } });
      return { http: r.statusCode, body: r.json(), raw: r.body };
    };
    t.same((await status(active.code)).body, { status: 'active' });
    t.same((await status(used.code)).body, { status: 'used' });
    t.same((await status(expired.code)).body, { status: 'expired' });
    t.same((await status(unissuedCode())).body, { status: 'unknown' });
    const typo = await status(mistype(active.code, 12));
    t.same([typo.http, typo.body], [400, { status: 'invalid', suggestion: active.code }], 'the corrected code is suggested');
    t.same((await status('hello')).body, { status: 'invalid' });
    t.same((await status('x'.repeat(500))).body, { status: 'invalid' }, 'too long');
    // what customers do: lower case, groups of four, O for 0
    const typed = active.code.toLowerCase().replace(/(.{4})(?=.)/g, '$1 ').replaceAll('0', 'o');
    t.same((await status(typed)).body, { status: 'active' }, 'normalised');
    const raw = (await status(active.code)).raw;
    t.notMatch(raw, /BOOTH|sess-|issued|photo/i, 'no booth, session or file in the answer');
    t.same(await store.auditOf(active.code), [], 'status look-ups do not use or audit the code');
  });

  withServer('status: FR/EN page, headers that keep the code private', async (t, store, app) => {
    const s = await seedCode(store);
    const fr = await app.inject({ method: 'GET', url: `/status/${s.code}` });
    t.equal(fr.statusCode, 200);
    t.match(fr.headers['content-type'], /text\/html/);
    t.match(fr.body, /lang="fr"/);
    t.match(fr.body, /est actif/);
    t.match(fr.body, /data-status="active"/);
    t.equal(fr.headers['referrer-policy'], 'no-referrer');
    t.equal(fr.headers['cache-control'], 'no-store');
    t.match(fr.headers['content-security-policy'], /default-src 'none'/);
    const en = await app.inject({ method: 'GET', url: `/status/${s.code}`, headers: { 'accept-language': 'en-GB,en;q=0.9' } });
    t.match(en.body, /lang="en"/);
    t.match(en.body, /is active/);
    t.match((await app.inject({ method: 'GET', url: `/status/${s.code}?lang=en`, headers: { 'accept-language': 'fr' } })).body, /is active/, '?lang wins');
    const typo = await app.inject({ method: 'GET', url: `/status/${mistype(s.code)}?lang=en` });
    t.equal(typo.statusCode, 400);
    t.match(typo.body, /Did you mean/);
    t.match(typo.body, new RegExp(`href="./${s.code}\\?lang=en"`), 'links the corrected code');
    const xss = await app.inject({ method: 'GET', url: `/status/${encodeURIComponent('<script>alert(1)</script>')}` });
    t.notMatch(xss.body, /<script>/, 'what was typed is never echoed raw');
    t.notMatch(fr.body, /BOOTH-A|sess-/, 'nothing personal');
  });

  withServer('a record without its photo is pending, not served', async (t, store, app) => {
    const s = await seedCode(store, { noFiles: true });
    const r = await app.inject({ method: 'GET', url: `/v1/ephotos/${s.code}` });
    t.same([r.statusCode, r.json()], [503, { status: 'pending' }]);
    t.notOk((await store.lookup(s.code))?.usedAt, 'not used');
  });

  withServer('purge: files of used codes after the grace, of unused ones at expiry; status and support still answer', async (t, store, app) => {
    const hour = 3600_000;
    const usedLongAgo = await seedCode(store);
    const usedJustNow = await seedCode(store);
    const expired = await seedCode(store, { issuedAt: monthsAgo(7) });
    const fresh = await seedCode(store);
    const t0 = Date.now();
    await store.use(usedLongAgo.code, 'test-client', new Date(t0 - 30 * hour).toISOString());
    await store.use(usedJustNow.code, 'test-client', new Date(t0 - 1 * hour).toISOString());
    const counts = await purgeDue(store, { graceMs: 24 * hour, now: new Date(t0), window: 1 });
    t.same(counts, { used: 1, expired: 1 }, 'one used beyond the grace, one expired (one at a time)');
    for (const [s, purged] of [[usedLongAgo, true], [usedJustNow, false], [expired, true], [fresh, false]] as const) {
      const record = JSON.parse((await store.recordText(s.code)) ?? '{}') as { files: Record<string, { base64: string; sha256: string }>; data: { code: string } };
      t.equal(record.files.photo?.base64 === '', purged, `${purged ? '' : 'not '}purged: photo`);
      t.equal(record.files.signature?.base64 === '', purged, `${purged ? '' : 'not '}purged: signature`);
      t.equal(record.files.photo?.sha256, sha(PHOTO), 'the hash stays');
      t.equal(record.data.code, s.code, 'the metadata stays');
      t.equal(Boolean((await store.lookup(s.code))?.purgedAt), purged);
    }
    const json = async (code: string) => (await app.inject({ method: 'GET', url: `/status/${code}`, headers: { accept: 'application/json' } })).json();
    t.same(await json(usedLongAgo.code), { status: 'used' }, 'status answers from metadata');
    t.same(await json(expired.code), { status: 'expired' });
    t.same((await store.auditOf(expired.code)).map((a) => [a.action, a.result, a.detail]), [['purge', 'purged', 'expired']], 'audited');
    t.same(await purgeDue(store, { graceMs: 24 * hour, now: new Date(t0) }), { used: 0, expired: 0 }, 'a second pass finds nothing');
    const exported = await exportedCodes(store.fleet, {});
    t.equal(exported.find((e) => e.code === expired.code)?.photoSha256, sha(PHOTO), 'exports still carry the hash');
  });

  withServer('support: the report of a code, its payment record, a refund recorded once and shown', async (t, store) => {
    const s = await seedCode(store, { paidCents: 900 });
    const paymentId = await seedPayment(store, s, 900);
    let report = await codeReport(store, s.code.toLowerCase());
    t.match(report, { code: s.code, status: 'active', booth: 'BOOTH-A', recordId: s.recordId, sessionId: s.sessionId, paidCents: 900, transmitted: null, usedAt: null, refund: null });
    t.ok(report.storedAt, 'storage time');
    t.match(report.payment, { sessionId: s.sessionId, outcome: 'settled', dueCents: 900 }, `the payment record ${paymentId}`);
    await t.rejects(recordRefund(store, s.code, { reason: 'x', by: 'support:ann' }), /--reason must say why/);
    const refund = await recordRefund(store, s.code, { reason: 'customer typed it at ANTS, refused', by: 'support:ann' });
    t.equal(refund.by, 'support:ann');
    await t.rejects(recordRefund(store, s.code, { reason: 'again', by: 'support:bob' }), /already refunded/, 'once');
    report = await codeReport(store, s.code);
    t.match(report.refund, { reason: 'customer typed it at ANTS, refused', by: 'support:ann' });
    t.same(report.audit?.map((a) => [a.action, a.result]), [['refund', 'refunded']], 'audited');
    const exported = await exportedCodes(store.fleet, { refunds: await store.refunds() });
    t.match(exported.find((e) => e.code === s.code), { refundedAt: refund.at, refundReason: refund.reason }, 'in exports');

    const used = await seedCode(store);
    await store.use(used.code, 'ants', new Date().toISOString());
    t.match(await codeReport(store, used.code), { status: 'used', transmitted: { to: 'ants' } });
    await t.rejects(recordRefund(store, used.code, { reason: 'says it failed', by: 'support:ann' }), /was used .* --force/, 'a used code needs --force');
    t.ok(await recordRefund(store, used.code, { reason: 'says it failed', by: 'support:ann', force: true }));
    await t.rejects(recordRefund(store, unissuedCode(), { reason: 'never seen', by: 'support:ann' }), /no booth record issued/);
    await t.rejects(recordRefund(store, mistype(s.code), { reason: 'typo', by: 'support:ann' }), new RegExp(`did you mean ${s.code}`));
    t.match(await codeReport(store, mistype(s.code)), { status: 'invalid', suggestion: s.code });
    t.match(await codeReport(store, unissuedCode()), { status: 'unknown', refund: null });
  });

  withServer('push: a target that fails, hangs and gets a code twice; every code acknowledged once, with backoff, across a restart', async (t, store, app) => {
    // `later` was issued 20 days ago by a booth that was offline since: older than the feed's
    // 14-day look-back by issue, new to the collector, so it must still be pushed.
    const [failing, hanging, twice] = [await seedCode(store), await seedCode(store), await seedCode(store)];
    const later = await seedCode(store, { issuedAt: new Date(Date.now() - 20 * 86400_000).toISOString() });
    const old = await seedCode(store, { issuedAt: monthsAgo(7) });
    // The target: remembers what it took by idempotency key; fails `failing` twice, never
    // answers `hanging` the first time, and for `twice` takes it but answers too late, so the
    // same code comes again (answered 409: already have it).
    const taken = new Map<string, { code: string; photo: { data: string } }>();
    const seen: string[] = [];
    const hung: ServerResponse[] = [];
    const target = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const key = String(req.headers['idempotency-key']);
        seen.push(key);
        const tries = seen.filter((k) => k === key).length;
        if (key === failing.code && tries <= 2) return void res.writeHead(500).end('boom');
        if (key === hanging.code && tries === 1) return void hung.push(res);
        if (taken.has(key)) return void res.writeHead(409).end();
        taken.set(key, JSON.parse(body) as { code: string; photo: { data: string } });
        if (key === twice.code && tries === 1) return void hung.push(res);
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    t.teardown(() => {
      for (const res of hung) res.destroy();
      target.close();
    });
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/ephotos`;
    let clock = Date.now();
    const options = { target: { url }, timeoutMs: 2500, backoffBaseMs: 60_000, backoffMaxMs: 3600_000, now: () => new Date(clock), random: () => 0.5 };

    const status = async (code: string) => (await app.inject({ method: 'GET', url: `/status/${code}`, headers: { accept: 'application/json' } })).json();
    let pass = await pushPass(store, options);
    t.equal(pass.queued, 5, 'every code stored since the look-back queued, the late one and the expired one included');
    t.same(pass, { queued: 5, acknowledged: 1, failed: 3, abandoned: 1 }, 'the expired one abandoned, the late one acknowledged');
    t.same(await status(failing.code), { status: 'pending' }, 'pending until the target acknowledges');
    t.same(await status(later.code), { status: 'active' }, 'acknowledged: active');
    let rows = await store.pushRows(failing.code);
    t.match(rows, [{ state: 'sent', attempts: 1, lastError: 'HTTP 500' }]);
    t.equal(Date.parse(rows[0]!.nextAt) - clock, 60_000, 'first retry after the base delay');
    t.match(await store.pushRows(hanging.code), [{ state: 'sent', lastError: /no answer within 2500 ms/ }]);

    t.same(await pushPass(store, options), { queued: 0, acknowledged: 0, failed: 0, abandoned: 0 }, 'nothing due before the backoff');
    clock += 61_000;
    pass = await pushPass(store, options);
    t.same(pass, { queued: 0, acknowledged: 2, failed: 1, abandoned: 0 }, 'hanging and twice go through; failing fails again');
    rows = await store.pushRows(failing.code);
    t.equal(Date.parse(rows[0]!.nextAt) - clock, 120_000, 'the delay doubles');
    t.equal(backoffMs(20, 60_000, 3600_000, () => 0.5), 3600_000, 'capped');

    // the queue is durable: a new pass (a restarted collector) picks up where it was
    clock += 121_000;
    pass = await pushPass(store, options);
    t.same(pass, { queued: 0, acknowledged: 1, failed: 0, abandoned: 0 });
    for (const s of [failing, hanging, twice, later]) {
      t.match(await store.pushRows(s.code), [{ state: 'acknowledged', target: url }], `${s.code} acknowledged`);
      t.same(await status(s.code), { status: 'active' });
      t.equal(taken.get(s.code)?.code, s.code, 'the target holds it once');
      t.same(Buffer.from(taken.get(s.code)?.photo.data ?? '', 'base64'), PHOTO);
    }
    t.equal(seen.filter((k) => k === twice.code).length, 2, 'sent twice, taken once (idempotency key)');
    t.equal(taken.size, 4);
    t.match(await store.pushRows(old.code), [{ state: 'abandoned', lastError: 'expired' }], 'an expired code is never pushed');
    t.notOk(taken.has(old.code));
    t.same((await store.auditOf(twice.code)).map((a) => [a.action, a.result]), [['push', 'acknowledged']], 'acknowledgement audited');

    // a code used through the pull API before its push went out is abandoned, not pushed
    const pulled = await seedCode(store);
    await store.use(pulled.code, 'ants', new Date(clock).toISOString());
    pass = await pushPass(store, options);
    t.same(pass, { queued: 1, acknowledged: 0, failed: 0, abandoned: 1 });
    t.match(await store.pushRows(pulled.code), [{ state: 'abandoned', lastError: 'used through the pull API' }]);
  });
}
