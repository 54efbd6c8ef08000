// One behaviour suite for every FleetStore implementation (like MQTT.js's abstractStoreTest):
// `fleetStoreSuite(t, build)` runs the same cases against a fresh store from `build()`.
// Records are made the way the ingest sees them: sealed by a booth key, then opened and verified.
import type { Test } from 'tap';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exportCodes, exportedCodes } from '../../../src/fleet/operator/export.ts';
import type { FleetStore, StoredRecord } from '../../../src/fleet/operator/store-types.ts';
import { openEnvelope, parseEnvelope, type RecordInput, sealRecord } from '../../../src/fleet/records.ts';
import { loadOrCreateSigningKey, verifyBytes, type SigningKey } from '../../../src/fleet/signing.ts';

export interface BuiltStore {
  store: FleetStore;
  /** Opens the same data again (after `store.close()`). */
  reopen(): Promise<FleetStore>;
  /** Closes what the store did not (temp dirs, databases). */
  cleanup(): Promise<void>;
}

export interface Booth {
  id: string;
  key: SigningKey;
  record(input: Omit<RecordInput, 'files'> & { files?: Record<string, Buffer> }): StoredRecord;
}

const keysDir = mkdtempSync(join(tmpdir(), 'cabine-store-suite-'));
process.once('exit', () => rmSync(keysDir, { recursive: true, force: true }));
let keyCount = 0;

/** A booth with its own signing key; `record()` seals and opens a record as the ingest would. */
export function testBooth(id: string): Booth {
  const key = loadOrCreateSigningKey(join(keysDir, `k${keyCount++}.pem`));
  return {
    id,
    key,
    record(input) {
      const parsed = parseEnvelope(sealRecord(input, id, key));
      if (!parsed.ok) throw new Error(parsed.reason);
      const opened = openEnvelope(parsed.envelope, id, key.publicKey);
      if (!opened.ok) throw new Error(opened.reason);
      return { record: opened.record, keyId: parsed.envelope.keyId, recordText: parsed.envelope.record, sig: parsed.envelope.sig };
    },
  };
}

export const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 7)]);
export const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100, 3)]);

export function sessionRecord(booth: Booth, n: number, at: string, extra: Record<string, unknown> = {}): StoredRecord {
  return booth.record({
    id: `${booth.id}-s${n}`,
    type: 'session',
    at,
    data: { code: `${booth.id.replace(/[^A-Z0-9]/g, '')}C${String(n).padStart(4, '0')}`, sessionId: `s${n}`, expires: '2027-05-23', paidCents: 800, ...extra },
    files: { photo: JPEG, signature: PNG },
  });
}

export function fleetStoreSuite(t: Test, build: () => Promise<BuiltStore>): void {
  const withStore = (name: string, fn: (t: Test, store: FleetStore) => Promise<void>) =>
    t.test(name, async (t) => {
      const { store, cleanup } = await build();
      t.teardown(async () => {
        await store.close();
        await cleanup();
      });
      await fn(t, store);
    });

  withStore('enrolment: unknown booth, keys, re-enrolment, bad input', async (t, store) => {
    t.equal(await store.boothKey('NOPE-1'), undefined, 'an unknown booth has no key');
    t.same(await store.booths(), [], 'nobody enrolled yet');
    const a = testBooth('ENR-A');
    const { keyId } = await store.enrol(a.id, a.key.publicKeyPem, '0A1B');
    t.equal(keyId, a.key.keyId, 'key id of the enrolled key');
    const key = await store.boothKey(a.id);
    t.ok(key, 'enrolled booth has a key');
    t.same(await store.boothKeyDer(a.id), key!.export({ type: 'spki', format: 'der' }), 'its SPKI DER, read without parsing');
    t.equal(await store.boothKeyDer('NOPE-1'), undefined, 'no DER for an unknown booth');
    const data = Buffer.from('hello');
    t.ok(verifyBytes(key!, data, (await import('node:crypto')).sign(null, data, a.key.privateKey).toString('base64')), 'it is the booth\'s key');
    const rows = await store.booths();
    t.equal(rows.length, 1);
    t.match(rows[0], { id: 'ENR-A', key_id: keyId, cert_serial: '0A1B' });

    const b = testBooth('ENR-A'); // same booth, new key (re-provisioned)
    await store.enrol(b.id, b.key.publicKeyPem);
    t.same((await store.booths()).map((r) => [r.id, r.key_id, r.cert_serial]), [['ENR-A', b.key.keyId, null]], 're-enrolment replaces the key');
    t.same(await store.boothKeyDer(b.id), b.key.publicKey.export({ type: 'spki', format: 'der' }), 'the DER follows the re-enrolment');

    await t.rejects(store.enrol('bad/id', a.key.publicKeyPem), /booth id "bad\/id" is not valid/);
    await t.rejects(store.enrol('ENR-B', 'not a key'), Error, 'garbage PEM is refused');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await t.rejects(store.enrol('ENR-B', rsa), /Ed25519/, 'a non-Ed25519 key is refused');
    t.equal((await store.booths()).length, 1, 'nothing stored by the refused enrolments');
  });

  withStore('idempotent by id: new, duplicates across and within batches, deliveries counted', async (t, store) => {
    const b = testBooth('IDEM-1');
    const r1 = sessionRecord(b, 1, '2026-01-01T10:00:00.000Z');
    const r2 = b.record({ id: 'IDEM-1-p1', type: 'payment', at: '2026-01-01T10:01:00.000Z', data: { cents: 200 } });
    const r3 = sessionRecord(b, 3, '2026-01-01T10:02:00.000Z');
    t.same(await store.storeBatch([r1, r2]), ['new', 'new'], 'both new');
    t.same(await store.storeBatch([r1]), ['duplicate'], 'stored again: a duplicate');
    t.same(await store.storeBatch([r3, r2, r3, r3]), ['new', 'duplicate', 'duplicate', 'duplicate'], 'first of a repeated id is new, the rest duplicates');
    t.same(await store.storeBatch([]), [], 'an empty batch');
    t.same(await store.recordIds(), ['IDEM-1-p1', 'IDEM-1-s1', 'IDEM-1-s3'], 'each record once, in byte order');
    t.same(await store.counts(), { records: 3, codes: 2, rejects: 0, deliveries: 7 }, 'every delivery counted');
    t.equal(await store.recordText(r1.record.id), r1.recordText, 'the signed text is kept byte for byte');
    t.equal(await store.recordText('absent'), undefined);
  });

  withStore('keyed by (booth, id): the same id from another booth is its own record; another text under a stored (booth, id) is a conflict', async (t, store) => {
    const victim = testBooth('KEY-V');
    const attacker = testBooth('KEY-X');
    const honest = victim.record({ id: 'shared-1', type: 'payment', at: '2026-01-01T10:00:00.000Z', data: { cents: 200 } });
    const squat = attacker.record({ id: 'shared-1', type: 'payment', at: '2026-01-01T09:00:00.000Z', data: { cents: 1 } });
    t.same(await store.storeBatch([squat]), ['new'], 'the attacker\'s record is stored under the attacker');
    t.same(await store.storeBatch([honest]), ['new'], 'the victim\'s record with the same id is new: it is stored, not taken for a duplicate');
    t.equal(await store.recordText('shared-1', 'KEY-V'), honest.recordText, 'each booth\'s text under its own key');
    t.equal(await store.recordText('shared-1', 'KEY-X'), squat.recordText);
    const rewritten = victim.record({ id: 'shared-1', type: 'payment', at: '2026-01-01T10:00:00.000Z', data: { cents: 999 } });
    t.same(await store.storeBatch([rewritten]), ['conflict'], 'another text under a stored (booth, id): a conflict');
    t.same(await store.storeBatch([honest]), ['duplicate'], 'the same text: a duplicate');
    const fresh = victim.record({ id: 'fresh-1', type: 'payment', at: '2026-01-01T11:00:00.000Z', data: { cents: 1 } });
    const fresh2 = victim.record({ id: 'fresh-1', type: 'payment', at: '2026-01-01T11:00:00.000Z', data: { cents: 2 } });
    t.same(await store.storeBatch([fresh, fresh2, fresh]), ['new', 'conflict', 'duplicate'], 'within one batch: the first text is stored, another is a conflict');
    t.equal(await store.recordText('shared-1', 'KEY-V'), honest.recordText, 'the stored record is unchanged');
    t.same(await store.counts(), { records: 3, codes: 0, rejects: 0, deliveries: 5 }, 'a conflict is no delivery');
  });

  withStore('redelivered: stored for the same booth only, each delivery counted, nothing else changes', async (t, store) => {
    const a = testBooth('REDL-A');
    const r1 = sessionRecord(a, 1, '2026-01-01T10:00:00.000Z');
    const r2 = sessionRecord(a, 2, '2026-01-01T10:01:00.000Z');
    t.same(await store.redelivered([]), [], 'nothing asked');
    t.same(await store.redelivered([{ booth: 'REDL-A', id: r1.record.id }]), [false], 'not stored yet');
    t.same(await store.counts(), { records: 0, codes: 0, rejects: 0, deliveries: 0 }, 'a miss stores nothing');
    await store.storeBatch([r1, r2]);
    t.same(
      await store.redelivered([
        { booth: 'REDL-A', id: r1.record.id },
        { booth: 'REDL-B', id: r1.record.id },
        { booth: 'REDL-A', id: 'REDL-A-absent' },
        { booth: 'REDL-A', id: r1.record.id },
        { booth: 'REDL-A', id: r2.record.id },
      ]),
      [true, false, false, true, true],
      'an id stored for another booth is not a redelivery of this booth',
    );
    t.same(await store.counts(), { records: 2, codes: 2, rejects: 0, deliveries: 5 }, 'three more deliveries counted, repeats included');
    t.same(
      await store.redelivered([
        { booth: 'REDL-A', id: r1.record.id, sig: r1.sig },
        { booth: 'REDL-A', id: r1.record.id, sig: r2.sig },
      ]),
      [true, false],
      'with a signature: a match only when it is the stored one (another text is no redelivery)',
    );
    t.equal((await store.counts()).deliveries, 6, 'only the match counted');
    t.equal(await store.recordText(r1.record.id), r1.recordText, 'the stored record is unchanged');
  });

  withStore('codes extracted from new session records only', async (t, store) => {
    const b = testBooth('CODE-1');
    const s1 = sessionRecord(b, 1, '2026-02-01T09:00:00.000Z');
    const noCode = b.record({ id: 'CODE-1-nocode', type: 'session', at: '2026-02-01T09:01:00.000Z', data: { sessionId: 'x', code: '' } });
    const payment = b.record({ id: 'CODE-1-pay', type: 'payment', at: '2026-02-01T09:02:00.000Z', data: { code: 'NOTACODE', cents: 800 } });
    const odd = b.record({
      id: 'CODE-1-odd',
      type: 'session',
      at: '2026-02-01T09:03:00.000Z',
      data: { code: 'ODD\u0000CODE', sessionId: 42, expires: null, paidCents: 8.5 },
    });
    const big = b.record({ id: 'CODE-1-big', type: 'session', at: '2026-02-01T09:04:00.000Z', data: { code: 'BIGCODE', sessionId: 'ok\u0000x', paidCents: 1e12 } });
    t.same(await store.storeBatch([s1, noCode, payment, odd, big]), ['new', 'new', 'new', 'new', 'new']);
    const codes = await store.codes();
    t.same(
      codes,
      [
        { code: 'CODE1C0001', record_id: 'CODE-1-s1', booth: 'CODE-1', session_id: 's1', expires: '2027-05-23', paid_cents: 800, issued_at: '2026-02-01T09:00:00.000Z' },
        { code: 'ODD\uFFFDCODE', record_id: 'CODE-1-odd', booth: 'CODE-1', session_id: null, expires: null, paid_cents: null, issued_at: '2026-02-01T09:03:00.000Z' },
        { code: 'BIGCODE', record_id: 'CODE-1-big', booth: 'CODE-1', session_id: 'ok\uFFFDx', paid_cents: null, expires: null, issued_at: '2026-02-01T09:04:00.000Z' },
      ],
      'a session with a code issues it; values that do not fit a column are NULL or U+FFFD there',
    );
    t.match(JSON.parse((await store.recordText('CODE-1-odd'))!), { data: { code: 'ODD\u0000CODE', paidCents: 8.5 } }, 'the record keeps the values as signed');
    t.same(await store.storeBatch([s1]), ['duplicate']);
    t.equal((await store.counts()).codes, 3, 'a duplicate issues no second code');
    // the same code in another booth's record: the first one stays (a code is issued once)
    const other = testBooth('CODE-2');
    const clash = other.record({ id: 'CODE-2-s1', type: 'session', at: '2026-02-02T00:00:00.000Z', data: { code: 'CODE1C0001' } });
    t.same(await store.storeBatch([clash]), ['new'], 'the record is stored');
    t.match((await store.codes()).find((c) => c.code === 'CODE1C0001'), { record_id: 'CODE-1-s1' }, 'the code keeps its first record');
  });

  withStore('rejects aggregated by booth, reason and record id', async (t, store) => {
    await store.reject('REJ-1', undefined, 'booth not enrolled');
    await store.reject('REJ-1', undefined, 'booth not enrolled');
    await store.reject('REJ-1', 'r-9', 'signature does not verify with the booth\'s enrolled key');
    await store.reject('REJ-2', undefined, 'not JSON');
    await store.reject('REJ-1', 'r-9', 'signature does not verify with the booth\'s enrolled key');
    await store.reject('REJ-1', 'r-9', 'file "photo" does not match its size or SHA-256');
    t.equal((await store.counts()).rejects, 6, 'every rejected delivery counted');
    const rows = (await store.rejects()).map((r) => [r.booth, r.record_id, r.reason, r.count]);
    t.same(rows, [
      ['REJ-1', null, 'booth not enrolled', 2],
      ['REJ-1', 'r-9', 'file "photo" does not match its size or SHA-256', 1],
      ['REJ-1', 'r-9', 'signature does not verify with the booth\'s enrolled key', 2],
      ['REJ-2', null, 'not JSON', 1],
    ]);
    const first = (await store.rejects())[0]!;
    t.ok(first.first_at <= first.last_at, 'first and last time kept');
    t.equal((await store.counts()).records, 0, 'a reject stores no record');
  });

  withStore('export: since, booth, CSV and JSON, files', async (t, store) => {
    const a = testBooth('EXP-A');
    const b = testBooth('EXP-B');
    await store.storeBatch([
      sessionRecord(a, 2, '2026-03-02T08:00:00.000Z'),
      sessionRecord(b, 1, '2026-03-01T08:00:00.000Z'),
      sessionRecord(a, 1, '2026-03-01T08:00:00.000Z'),
      sessionRecord(b, 3, '2026-03-03T08:00:00.000Z', { sessionId: 'with,comma "quoted"' }),
    ]);
    const all = await store.codes();
    t.same(all.map((c) => c.record_id), ['EXP-A-s1', 'EXP-B-s1', 'EXP-A-s2', 'EXP-B-s3'], 'oldest first, then by code');
    t.same((await store.codes({ since: '2026-03-02' })).map((c) => c.record_id), ['EXP-A-s2', 'EXP-B-s3'], 'since a date');
    t.same((await store.codes({ since: '2026-03-02T08:00:00.000Z' })).map((c) => c.record_id), ['EXP-A-s2', 'EXP-B-s3'], 'since is inclusive');
    t.same((await store.codes({ booth: 'EXP-B' })).map((c) => c.record_id), ['EXP-B-s1', 'EXP-B-s3'], 'one booth');
    t.same((await store.codes({ booth: 'EXP-B', since: '2026-03-02' })).map((c) => c.record_id), ['EXP-B-s3'], 'both');
    t.same(await store.codes({ booth: 'NOBODY' }), [], 'unknown booth: nothing');

    const csv = await exportCodes(store, { format: 'csv', since: '2026-03-02' });
    const lines = csv.trimEnd().split('\n');
    t.equal(lines[0], 'code,booth,sessionId,recordId,expires,paidCents,issuedAt,photoSha256,signatureSha256,refundedAt,refundReason');
    t.equal(lines.length, 3);
    t.match(lines[2], /^EXPBC0003,EXP-B,"with,comma ""quoted""",EXP-B-s3,2027-05-23,800,2026-03-03T08:00:00.000Z,[0-9a-f]{64},[0-9a-f]{64},,$/, 'CSV quoting');
    const json = JSON.parse(await exportCodes(store, { format: 'json', booth: 'EXP-A' })) as { code: string; recordId: string; paidCents: number }[];
    t.same(json.map((j) => j.recordId), ['EXP-A-s1', 'EXP-A-s2']);
    t.equal(json[0]!.paidCents, 800);

    const dir = mkdtempSync(join(tmpdir(), 'cabine-export-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const rows = await exportedCodes(store, { booth: 'EXP-A', filesDir: dir });
    t.equal(rows.length, 2);
    t.ok(rows[0]!.photoFile && existsSync(rows[0]!.photoFile) && readFileSync(rows[0]!.photoFile).equals(JPEG), 'the photo written as sent');
    t.ok(rows[0]!.signatureFile?.endsWith('.png') && readFileSync(rows[0]!.signatureFile).equals(PNG), 'the signature written as sent');

    // A booth's code reaches a file name: a path in it must not escape the export folder.
    const evil = testBooth('EXP-C');
    await store.storeBatch([sessionRecord(evil, 1, '2026-03-04T08:00:00.000Z', { code: '../../escaped' })]);
    const inner = join(dir, 'inner');
    mkdirSync(inner);
    const escaped = await exportedCodes(store, { booth: 'EXP-C', filesDir: inner });
    t.equal(escaped[0]!.code, '../../escaped', 'the code is exported as sent');
    t.equal(dirname(escaped[0]!.photoFile ?? ''), inner, 'its files stay in the export folder');
    t.match(escaped[0]!.photoFile ?? '', /record-EXP-C\.EXP-C-s1-photo\.jpg$/, 'named after the booth and record id');
    t.notOk(existsSync(join(dir, '..', '..', 'escaped-photo.jpg')), 'nothing written outside');
  });

  withStore('booth activity for status', async (t, store) => {
    const a = testBooth('ACT-A');
    const b = testBooth('ACT-B');
    await store.storeBatch([sessionRecord(a, 1, '2026-04-01T00:00:00.000Z'), sessionRecord(a, 2, '2026-04-02T00:00:00.000Z'), b.record({ id: 'ACT-B-p', type: 'payment', at: '2026-04-03T00:00:00.000Z', data: {} })]);
    t.same(await store.boothActivity(), [
      { booth: 'ACT-A', records: 2, codes: 2, lastRecordAt: '2026-04-02T00:00:00.000Z' },
      { booth: 'ACT-B', records: 1, codes: 0, lastRecordAt: '2026-04-03T00:00:00.000Z' },
    ]);
  });

  withStore('a large batch (2,000 records with photos) in one call', async (t, store) => {
    const b = testBooth('BIG-1');
    const photo = Buffer.concat([JPEG, Buffer.alloc(20_000, 9)]);
    const batch = Array.from({ length: 2000 }, (_, i) => b.record({ id: `big-${String(i).padStart(5, '0')}`, type: 'session', at: '2026-05-01T00:00:00.000Z', data: { code: `BIG${i}` }, files: { photo } }));
    const fresh = await store.storeBatch(batch);
    t.equal(fresh.filter((o) => o === 'new').length, 2000, 'all new');
    t.same(await store.counts(), { records: 2000, codes: 2000, rejects: 0, deliveries: 2000 });
    t.equal(await store.recordText('big-01999'), batch[1999]!.recordText);
  });

  t.test('close and reopen: everything kept, schema not applied twice', async (t) => {
    const built = await build();
    let store = built.store;
    t.teardown(async () => {
      await store.close();
      await built.cleanup();
    });
    t.ok(store.location.length > 0, 'says where it is');
    t.notMatch(store.location, /:[^:@/]+@/, 'no password in the location');
    const b = testBooth('REOPEN-1');
    await store.enrol(b.id, b.key.publicKeyPem);
    await store.storeBatch([sessionRecord(b, 1, '2026-06-01T00:00:00.000Z')]);
    await store.reject('X', undefined, 'not JSON');
    const before = { counts: await store.counts(), codes: await store.codes(), booths: await store.booths(), rejects: await store.rejects() };
    await store.close();
    store = await built.reopen();
    t.same({ counts: await store.counts(), codes: await store.codes(), booths: await store.booths(), rejects: await store.rejects() }, before, 'same content after reopening');
    t.ok(await store.boothKey(b.id), 'the key is read back');
    t.same(await store.storeBatch([sessionRecord(b, 1, '2026-06-01T00:00:00.000Z')]), ['duplicate'], 'still idempotent after reopening');
  });
}
