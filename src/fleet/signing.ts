// The booth's record-signing key: Ed25519 (node:crypto), PEM in data.dir unless configured.
// Created once, with mode 0600, written through a temp file + rename so a power cut never
// leaves half a key. The public key is what `cabine fleet enrol` registers at the fleet.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileDurably } from '../store/files.ts';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
}

/** First 16 hex digits of the SHA-256 of the public key's SPKI DER. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}


function fromPrivate(privateKey: KeyObject): SigningKey {
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new Error(`the record-signing key must be Ed25519, got ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  }
  const publicKey = createPublicKey(privateKey);
  return {
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/** Loads the Ed25519 key in `file`, generating it first if the file does not exist. */
export function loadOrCreateSigningKey(file: string): SigningKey {
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileDurably(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (err) {
    throw new Error(`cannot read the record-signing key ${file}: ${(err as Error).message}`, { cause: err });
  }
  return fromPrivate(key);
}

export function parsePublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`expected an Ed25519 public key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

/**
 * The SPKI DER bytes of a public key PEM (`-----BEGIN PUBLIC KEY-----`), by decoding its base64
 * body: no OpenSSL key parse (~0.3 ms per key), which the ingest would otherwise pay once per
 * booth on its main thread only to hand the key to a verification worker. Throws on anything
 * that is not an SPKI PEM; the key itself is checked where it is parsed (enrolment, workers).
 */
export function spkiDerOfPem(pem: string): Buffer {
  const m = /^\s*-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+?)\r?\n?-----END PUBLIC KEY-----\s*$/.exec(pem);
  if (!m?.[1]) throw new Error('not an SPKI public key PEM');
  return Buffer.from(m[1].replace(/[\r\n]/g, ''), 'base64');
}

export function signBytes(key: SigningKey, data: Buffer): string {
  return sign(null, data, key.privateKey).toString('base64');
}

export function verifyBytes(publicKey: KeyObject, data: Buffer, signatureB64: string): boolean {
  const signature = Buffer.from(signatureB64, 'base64');
  if (signature.length !== 64) return false;
  return verify(null, data, publicKey, signature);
}
