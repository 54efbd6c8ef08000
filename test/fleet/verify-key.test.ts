// The verifiers' key import: an Ed25519 SPKI DER imported from its raw bytes is the same key as
// OpenSSL's DER parse; other DER goes through the parser (and garbage fails).
import t from 'tap';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { keyCache, publicKeyOfDer } from '../../src/fleet/operator/verify-record.ts';

t.test('an Ed25519 key from its SPKI DER verifies what its private key signed, and nothing else', async (t) => {
  const a = generateKeyPairSync('ed25519');
  const b = generateKeyPairSync('ed25519');
  const der = a.publicKey.export({ type: 'spki', format: 'der' });
  const key = publicKeyOfDer(der);
  t.equal(key.asymmetricKeyType, 'ed25519');
  t.same(key.export({ type: 'spki', format: 'der' }), der, 'the same key');
  const data = Buffer.from('record text');
  t.ok(verify(null, data, key, sign(null, data, a.privateKey)));
  t.notOk(verify(null, data, key, sign(null, data, b.privateKey)), "another booth's signature does not verify");
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' });
  t.equal(publicKeyOfDer(rsa).asymmetricKeyType, 'rsa', 'not Ed25519: parsed by OpenSSL');
  t.throws(() => publicKeyOfDer(Buffer.from('garbage')));
  const short = Buffer.from(der.subarray(0, 43));
  t.throws(() => publicKeyOfDer(short), 'a truncated key is not taken for an Ed25519 one');
});

t.test('the key cache follows a re-enrolment', async (t) => {
  const keyOf = keyCache();
  const a = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  const b = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'der' });
  const k1 = keyOf('B-1', a);
  t.equal(keyOf('B-1', Buffer.from(a)), k1, 'same bytes: the cached key');
  const k2 = keyOf('B-1', b);
  t.not(k2, k1);
  t.same(k2!.export({ type: 'spki', format: 'der' }), b, 'new bytes: the new key');
  t.equal(keyOf('B-1', undefined), undefined, 'not enrolled');
});
