// Signed release bundles. One file:
//   "CABINE-RELEASE 1\n" + <header length>"\n" + <header JSON> + <payload: tar.gz of the release tree>
// The header names the version and the payload's sha256 and size, and carries an Ed25519
// signature (the operator's release key) over the header without its signature. A bundle is
// checked in this order, and nothing is unpacked before every check passed: magic, header
// schema, signature, payload size and sha256, then every tar entry (regular files, folders and
// symlinks staying inside the release only: no absolute path, no "..", no device, no hard
// link). Unpacked with the system's tar into a fresh folder, owner and modes not taken from
// the archive.
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { posix } from 'node:path';
import { z } from 'zod';
import { RELEASE_VERSION_RE } from '../fleet/schemas.ts';

const MAGIC = 'CABINE-RELEASE 1\n';
const MAX_HEADER = 16 * 1024;

export const headerSchema = z.object({
  version: z.string().regex(RELEASE_VERSION_RE, 'letters, digits, . _ + - only'),
  created: z.string(),
  payloadSha256: z.string().regex(/^[0-9a-f]{64}$/),
  payloadBytes: z.number().int().positive(),
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/),
}).strict();
export type BundleHeader = z.infer<typeof headerSchema>;

/** What is signed: the header fields in a fixed order, without the signature. */
function signedBytes(h: Omit<BundleHeader, 'signature'>): Buffer {
  return Buffer.from(JSON.stringify([h.version, h.created, h.payloadSha256, h.payloadBytes]));
}

export function loadPublicKey(path: string): KeyObject {
  const key = createPublicKey(readFileSync(path));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path}: not an Ed25519 public key`);
  return key;
}

/** Top-level entries of an application tree that make a release. */
export const RELEASE_ENTRIES = ['bin', 'src', 'models', 'node_modules', 'native', 'firmware', 'systemd', 'provisioning', 'tools', 'package.json', 'package-lock.json', 'README.md'];

/** Packs `fromDir` into a signed bundle. */
export function buildBundle(options: { fromDir: string; version: string; keyFile: string; out: string }): BundleHeader {
  const key = createPrivateKey(readFileSync(options.keyFile));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${options.keyFile}: not an Ed25519 private key`);
  const entries = RELEASE_ENTRIES.filter((e) => existsSync(posix.join(options.fromDir, e)));
  if (!entries.includes('bin') || !entries.includes('src') || !entries.includes('package.json')) throw new Error(`${options.fromDir}: not a Cabine application tree`);
  const payloadFile = `${options.out}.payload.tmp`;
  const tar = spawnSync('tar', ['-C', options.fromDir, '--owner=0', '--group=0', '--numeric-owner', '--exclude=.git', '-czf', payloadFile, ...entries], { encoding: 'utf8' });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr}`);
  try {
    const payload = readFileSync(payloadFile);
    const unsigned = { version: headerSchema.shape.version.parse(options.version), created: new Date().toISOString(), payloadSha256: createHash('sha256').update(payload).digest('hex'), payloadBytes: payload.length };
    const header: BundleHeader = { ...unsigned, signature: sign(null, signedBytes(unsigned), key).toString('base64') };
    const json = Buffer.from(JSON.stringify(header));
    writeFileSync(options.out, Buffer.concat([Buffer.from(`${MAGIC}${json.length}\n`), json, payload]));
    return header;
  } finally {
    rmSync(payloadFile, { force: true });
  }
}

export interface VerifiedBundle {
  header: BundleHeader;
  file: string;
  payloadOffset: number;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/** Checks the bundle's signature and payload hash. Throws a clear error; reads, never unpacks. */
export async function verifyBundle(file: string, publicKey: KeyObject): Promise<VerifiedBundle> {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  let header: BundleHeader;
  let payloadOffset: number;
  try {
    const head = readAt(fd, 0, MAGIC.length + 16).toString('latin1');
    if (!head.startsWith(MAGIC)) throw new Error(`${file}: not a Cabine release bundle`);
    const lengthLine = /^(\d{1,5})\n/.exec(head.slice(MAGIC.length));
    const headerLength = Number(lengthLine?.[1] ?? NaN);
    if (!lengthLine || !(headerLength > 0 && headerLength <= MAX_HEADER)) throw new Error(`${file}: bad header length`);
    const headerOffset = MAGIC.length + lengthLine[0].length;
    let raw: unknown;
    try {
      raw = JSON.parse(readAt(fd, headerOffset, headerLength).toString('utf8'));
    } catch {
      throw new Error(`${file}: unreadable header`);
    }
    const parsed = headerSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}: bad header: ${parsed.error.issues[0]?.message ?? ''}`);
    header = parsed.data;
    if (!verify(null, signedBytes(header), publicKey, Buffer.from(header.signature, 'base64'))) {
      throw new Error(`${file}: the signature is not the release key's: refused`);
    }
    payloadOffset = headerOffset + headerLength;
    if (size - payloadOffset !== header.payloadBytes) throw new Error(`${file}: payload is ${size - payloadOffset} bytes, the signed header says ${header.payloadBytes}: truncated or altered`);
  } finally {
    closeSync(fd);
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { start: payloadOffset })) hash.update(chunk as Buffer);
  if (hash.digest('hex') !== header.payloadSha256) throw new Error(`${file}: payload sha256 does not match the signed header: altered`);
  return { header, file, payloadOffset };
}

/** An entry of `tar -tvz` output that may go into a release folder, or why not. */
export function entryProblem(line: string): string | null {
  // "-rw-r--r-- 0/0 123 2026-01-01 00:00 path" ; symlinks end with " -> target"
  const m = /^(\S)\S{9}\s+\S+\s+\d+(?:,\s*\d+)?\s+\S+\s+\S+\s+(.+)$/.exec(line);
  if (!m) return `unreadable entry: ${line}`;
  const type = m[1]!;
  let name = m[2]!;
  let target: string | undefined;
  if (type === 'l') {
    const i = name.indexOf(' -> ');
    if (i < 0) return `unreadable link: ${line}`;
    target = name.slice(i + 4);
    name = name.slice(0, i);
  }
  if (!['-', 'd', 'l'].includes(type)) return `${name}: ${type === 'h' ? 'hard link' : 'special file'} refused`;
  const escapes = (p: string) => p.startsWith('/') || posix.normalize(p).split('/').includes('..');
  if (escapes(name)) return `${name}: path outside the release refused`;
  if (target !== undefined && (target.startsWith('/') || escapes(posix.join(posix.dirname(name), target)))) return `${name} -> ${target}: link outside the release refused`;
  return null;
}

/** Unpacks a verified bundle into `dir` (created; must not exist). */
export function unpackBundle(bundle: VerifiedBundle, dir: string): void {
  if (existsSync(dir)) throw new Error(`${dir} already exists`);
  const payload = `${dir}.payload.tmp`;
  // The payload is copied out once (already verified) so tar reads exactly the checked bytes.
  const fd = openSync(bundle.file, 'r');
  try {
    const out = openSync(payload, 'w', 0o600);
    try {
      const chunk = Buffer.alloc(1 << 20);
      let pos = bundle.payloadOffset;
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, pos);
        if (n === 0) break;
        writeFileSync(out, chunk.subarray(0, n));
        pos += n;
      }
    } finally {
      closeSync(out);
    }
  } finally {
    closeSync(fd);
  }
  try {
    if (createHash('sha256').update(readFileSync(payload)).digest('hex') !== bundle.header.payloadSha256) throw new Error('payload changed after verification');
    const list = spawnSync('tar', ['-tvzf', payload, '--numeric-owner'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    if (list.status !== 0) throw new Error(`the payload is not a valid archive: ${list.stderr}`);
    for (const line of list.stdout.split('\n').filter(Boolean)) {
      const problem = entryProblem(line);
      if (problem) throw new Error(`bundle refused: ${problem}`);
    }
    mkdirSync(dir, { recursive: false, mode: 0o755 });
    const x = spawnSync('tar', ['-xzf', payload, '-C', dir, '--no-same-owner', '--no-same-permissions', '--no-overwrite-dir'], { encoding: 'utf8' });
    if (x.status !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`unpacking failed: ${x.stderr}`);
    }
  } finally {
    rmSync(payload, { force: true });
  }
}
