// Records as they travel, on literal cases, in-process and fast: the wire format of a sealed
// record pinned byte for byte (a fixed key; Ed25519 signatures are deterministic), every reason
// the ingest's verification gives for a refusal, exactly, and what the verdict keeps. A change
// to the envelope, the signed text or a check fails here (docs/testing.md, mutation testing).
import t from 'tap';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyCache, publicKeyOfDer, verifyRecord } from '../../src/fleet/operator/verify-record.ts';
import { mimeOf, openEnvelope, parseEnvelope, sealRecord, sessionRecordInput, sha256Hex } from '../../src/fleet/records.ts';
import { keyIdOf, signBytes, type SigningKey } from '../../src/fleet/signing.ts';

// A fixed booth key (test only), so a sealed record is the same bytes on every run.
const privateKey = createPrivateKey('-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEICbRk9/QibZ6Ce2tQCAV+3KY9THG7m+MZbKAis70BWYB\n-----END PRIVATE KEY-----\n');
const publicKey = createPublicKey(privateKey);
const KEY: SigningKey = { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey) };
const DER = publicKey.export({ type: 'spki', format: 'der' });

const AT = '2026-11-23T10:00:00.000Z';
const CODE = '9CABG8TN1H1P3KDF27JRJR'; // a well-formed e-photo code (docs/codes.md example)
const PHOTO = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2]);
const sealed = sealRecord({ id: 'session-1', type: 'session', at: AT, data: { code: CODE, paidCents: 800 }, files: { photo: PHOTO } }, 'B-1', KEY);

/** Re-signs a changed record text with the booth key: a signed but wrong record. */
function resigned(change: (record: Record<string, unknown>) => void, booth = 'B-1'): Buffer {
  const envelope = JSON.parse(sealed.toString('utf8')) as { record: string; sig: string; booth: string };
  const record = JSON.parse(envelope.record) as Record<string, unknown>;
  change(record);
  const text = JSON.stringify(record);
  return Buffer.from(JSON.stringify({ ...envelope, booth, record: text, sig: signBytes(KEY, Buffer.from(text)) }));
}

function signedText(text: string): Buffer {
  const envelope = JSON.parse(sealed.toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...envelope, record: text, sig: signBytes(KEY, Buffer.from(text)) }));
}

t.test('file types from their first bytes', async (t) => {
  t.equal(mimeOf(Buffer.from([0xff, 0xd8, 0xff])), 'image/jpeg');
  for (const notJpeg of [[0xff, 0xd8], [0x00, 0xd8, 0xff], [0xff, 0x00, 0xff], [0xff, 0xd8, 0x00]]) {
    t.equal(mimeOf(Buffer.from(notJpeg)), 'application/octet-stream', `${notJpeg.join(',')}`);
  }
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  t.equal(mimeOf(Buffer.from([...png, 0])), 'image/png');
  t.equal(mimeOf(Buffer.from(png.slice(0, 7))), 'application/octet-stream', 'a truncated PNG signature');
  t.equal(mimeOf(Buffer.from([...png.slice(0, 7), 0x0b])), 'application/octet-stream');
  t.equal(mimeOf(Buffer.from('%PDF-1.7\n')), 'application/pdf');
  t.equal(mimeOf(Buffer.from('%PDF')), 'application/octet-stream');
  t.equal(mimeOf(Buffer.alloc(0)), 'application/octet-stream');
  t.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'FIPS 180-2 vector');
});

t.test('a sealed record: its exact bytes, signed as the record text', async (t) => {
  const record = `{"id":"session-1","booth":"B-1","type":"session","at":"2026-11-23T10:00:00.000Z","data":{"code":"${CODE}","paidCents":800},`
    + `"files":{"photo":{"mime":"image/jpeg","bytes":6,"sha256":"${createHash('sha256').update(PHOTO).digest('hex')}","base64":"/9j/4AEC"}}}`;
  const envelope = JSON.parse(sealed.toString('utf8')) as Record<string, unknown>;
  t.strictSame(Object.keys(envelope), ['v', 'booth', 'keyId', 'record', 'sig']);
  t.strictSame({ ...envelope, sig: '' }, { v: 1, booth: 'B-1', keyId: KEY.keyId, record, sig: '' });
  t.ok(verify(null, Buffer.from(record), publicKey, Buffer.from(envelope.sig as string, 'base64')), 'the signature is of the record text');
  t.equal(sealed.toString('utf8'), JSON.stringify(envelope), 'plain JSON, UTF-8');

  const before = Date.now();
  const now = JSON.parse((JSON.parse(sealRecord({ id: 'r-2', type: 'payment', data: {} }, 'B-1', KEY).toString()) as { record: string }).record) as { at: string; files: object };
  t.ok(Date.parse(now.at) >= before - 1 && Date.parse(now.at) <= Date.now(), 'at defaults to now');
  t.strictSame(now.files, {}, 'no files: an empty map');
});

t.test('sealing refuses a bad id and an unreadable file, saying which', async (t) => {
  t.throws(() => sealRecord({ id: 'bad id/with slash', type: 'session', data: {} }, 'B-1', KEY), {
    message: 'record id "bad id/with slash" is not valid (letters, digits, . _ : -, at most 128)',
  });
  const dir = mkdtempSync(join(tmpdir(), 'cabine-record-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.throws(() => sealRecord({ id: 'r-1', type: 'session', data: {}, files: { photo: join(dir, 'missing.jpg') } }, 'B-1', KEY), {
    message: /^record file "photo" cannot be read: ENOENT/,
    cause: { code: 'ENOENT', path: join(dir, 'missing.jpg') },
  }, 'the file system\'s error kept as the cause');
  writeFileSync(join(dir, 'p.pdf'), '%PDF-1.4 x');
  const fromPath = JSON.parse((JSON.parse(sealRecord({ id: 'r-1', type: 'session', data: {}, files: { doc: join(dir, 'p.pdf') } }, 'B-1', KEY).toString()) as { record: string }).record) as { files: unknown };
  t.strictSame(fromPath.files, { doc: { mime: 'application/pdf', bytes: 10, sha256: sha256Hex(Buffer.from('%PDF-1.4 x')), base64: Buffer.from('%PDF-1.4 x').toString('base64') } }, 'a file read from its path');
});

t.test('opening: the booth, the signature, the record, each file, with the exact reason', async (t) => {
  const parse = (b: Buffer) => {
    const p = parseEnvelope(b);
    if (!p.ok) throw new Error(p.reason);
    return p.envelope;
  };
  const opened = openEnvelope(parse(sealed), 'B-1', publicKey);
  if (!opened.ok) throw new Error(opened.reason);
  t.strictSame(opened.files, { photo: PHOTO });
  t.strictSame(opened.record.data, { code: CODE, paidCents: 800 });

  t.strictSame(openEnvelope(parse(sealed), 'B-2', publicKey), { ok: false, reason: 'envelope names booth B-1 on B-2\'s topic' });
  const other = generateKeyPairSync('ed25519').publicKey;
  t.strictSame(openEnvelope(parse(sealed), 'B-1', other), { ok: false, reason: 'signature does not verify with the booth\'s enrolled key', booth: 'B-1' });
  t.strictSame(openEnvelope(parse(signedText('{"id":')), 'B-1', publicKey), { ok: false, reason: 'signed record is not JSON', booth: 'B-1' });
  t.strictSame(openEnvelope(parse(signedText(`${'['.repeat(40)}${']'.repeat(40)}`)), 'B-1', publicKey), { ok: false, reason: 'signed record is nested deeper than 32 levels', booth: 'B-1' });
  t.match(openEnvelope(parse(resigned((r) => { r.type = 'Bad Type'; })), 'B-1', publicKey), { ok: false, reason: /^signed record is invalid: ./, booth: 'B-1' });
  t.strictSame(openEnvelope(parse(resigned((r) => { r.booth = 'B-2'; })), 'B-1', publicKey), { ok: false, reason: 'record names booth B-2', id: 'session-1', booth: 'B-1' });
  const file = (r: Record<string, unknown>) => (r.files as { photo: { bytes: number; sha256: string; base64: string } }).photo;
  t.strictSame(openEnvelope(parse(resigned((r) => { file(r).bytes = 7; })), 'B-1', publicKey),
    { ok: false, reason: 'file "photo" does not match its size or SHA-256', id: 'session-1', booth: 'B-1' }, 'size wrong, hash right');
  t.strictSame(openEnvelope(parse(resigned((r) => { file(r).base64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 3]).toString('base64'); })), 'B-1', publicKey),
    { ok: false, reason: 'file "photo" does not match its size or SHA-256', id: 'session-1', booth: 'B-1' }, 'size right, hash wrong');
});

t.test('parsing an envelope: JSON, its size and depth, then its shape', async (t) => {
  t.strictSame(parseEnvelope(Buffer.from('{')), { ok: false, reason: 'not JSON' });
  t.strictSame(parseEnvelope(Buffer.from(`${'['.repeat(33)}${']'.repeat(33)}`)), { ok: false, reason: 'envelope nested deeper than 32 levels' });
  t.strictSame(parseEnvelope(Buffer.from(`"${'x'.repeat(8 * 1024 * 1024)}"`)), { ok: false, reason: 'envelope larger than 8388608 characters' });
  t.match(parseEnvelope(Buffer.from('{"v":2}')), { ok: false, reason: /^not a record envelope: ./ });
});

t.test('a session record: its data without ids and file paths, its photo and signature, its completion time', async (t) => {
  const full = sessionRecordInput({
    id: 'session-x', type: 'session', sessionId: 'x', code: 'CODE', photoFile: '/p.jpg', signatureFile: '/s.png', boardFile: '/b.png',
    paidCents: 800, note: undefined, completedAt: '2026-11-23T10:00:00.000Z',
  });
  t.strictSame(full, {
    id: 'session-x', type: 'session', at: '2026-11-23T10:00:00.000Z',
    data: { sessionId: 'x', code: 'CODE', paidCents: 800, completedAt: '2026-11-23T10:00:00.000Z' },
    files: { photo: '/p.jpg', signature: '/s.png' },
  });
  t.strictSame(sessionRecordInput({ id: 's', type: 'session', photoFile: '/p.jpg', completedAt: 12 }), {
    id: 's', type: 'session', data: { completedAt: 12 }, files: { photo: '/p.jpg' },
  }, 'no signature, no string completion time: no at (sealing stamps now)');
  t.strictSame(sessionRecordInput({ id: 's', type: 'session', photoFile: '/p.jpg', signatureFile: '', completedAt: '' }), {
    id: 's', type: 'session', data: { completedAt: '' }, files: { photo: '/p.jpg' },
  });
});

t.test('the ingest\'s verdict: the refusal reasons, and what a good record keeps (flat data, files without contents)', async (t) => {
  t.strictSame(verifyRecord('B-1', Buffer.from('{'), publicKey), { ok: false, booth: 'B-1', reason: 'not JSON' });
  t.strictSame(verifyRecord('B-1', sealed, undefined), { ok: false, booth: 'B-1', reason: 'booth not enrolled' });
  t.strictSame(verifyRecord('B-2', sealed, publicKey), { ok: false, booth: 'B-2', id: undefined, reason: 'envelope names booth B-1 on B-2\'s topic' });
  t.strictSame(verifyRecord('B-1', resigned((r) => { r.booth = 'B-2'; }), publicKey), { ok: false, booth: 'B-1', id: 'session-1', reason: 'record names booth B-2' });
  const badCode = { ok: false, booth: 'B-1', id: 'session-1', reason: 'session code is not a well-formed e-photo code' };
  t.strictSame(verifyRecord('B-1', resigned((r) => { r.data = { code: '9CABG8TN1H1P3KDF27JRJS' }; }), publicKey), badCode, 'one check character wrong');
  t.strictSame(verifyRecord('B-1', resigned((r) => { r.data = { code: 42 }; }), publicKey), badCode, 'not a string');
  t.equal(verifyRecord('B-1', resigned((r) => { r.data = {}; }), publicKey).ok, true, 'a session record without a code');
  t.equal(verifyRecord('B-1', resigned((r) => { r.type = 'payment'; r.data = { code: 'ABCD' }; }), publicKey).ok, true, 'only a session\'s code is an e-photo code');

  const nested = resigned((r) => { r.data = { code: CODE, none: null, yes: true, list: [1], obj: { a: 1 } }; });
  // Delivered as a view into a larger buffer (as MQTT hands it over): read at its offset.
  const arena = new Uint8Array(nested.length + 16);
  arena.set(nested, 7);
  const verdict = verifyRecord('B-1', arena.subarray(7, 7 + nested.length), publicKey);
  if (!verdict.ok) throw new Error(verdict.reason);
  const envelope = JSON.parse(nested.toString()) as { keyId: string; record: string; sig: string };
  t.strictSame(verdict.stored, {
    record: {
      id: 'session-1', booth: 'B-1', type: 'session', at: AT,
      data: { code: CODE, none: null, yes: true },
      files: { photo: { mime: 'image/jpeg', bytes: 6, sha256: sha256Hex(PHOTO), base64: '' } },
    },
    keyId: envelope.keyId, recordText: envelope.record, sig: envelope.sig,
  });
});

t.test('keys: an Ed25519 SPKI imported from its raw bytes, cached per booth until its bytes change', async (t) => {
  const imported = publicKeyOfDer(DER);
  t.equal(imported.asymmetricKeyType, 'ed25519');
  t.strictSame(imported.export({ type: 'spki', format: 'der' }), DER);
  const other = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' });
  t.equal(other.length, 44, 'an X25519 SPKI has the same length, another header');
  t.equal(publicKeyOfDer(other).asymmetricKeyType, 'x25519', 'not read as an Ed25519 key');

  const keyOf = keyCache();
  t.equal(keyOf('B-1', null), undefined);
  t.equal(keyOf('B-1', undefined), undefined);
  t.equal(keyOf('B-1', publicKey), publicKey, 'a parsed key is used as is');
  const first = keyOf('B-1', new Uint8Array(DER));
  t.strictSame(first?.export({ type: 'spki', format: 'der' }), DER);
  t.equal(keyOf('B-1', Buffer.from(DER)), first, 'same bytes: the cached key');
  t.not(keyOf('B-2', DER), first, 'cached per booth');
  const DER2 = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  t.strictSame(keyOf('B-1', DER2)?.export({ type: 'spki', format: 'der' }), DER2, 'new bytes: the new key');
});
