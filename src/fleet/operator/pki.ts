// The fleet's X.509 material, made with the openssl CLI (Debian `openssl`): a fleet CA, the
// broker's server certificate, and booth/operator client certificates signed from a CSR.
// openssl rather than an npm X.509 library because every board and operator host has it, it
// is the reference implementation of CSR checks, and provisioning scripts use the same
// commands. Keys are EC P-256 (fast TLS handshakes on a Raspberry Pi).
// A booth's certificate CN is its booth id: the broker (use_identity_as_username) makes the
// CN the MQTT username, and the ACL patterns confine each username to its own topics.
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CsrError, soleCommonName } from './csr.ts';

export interface CertPair {
  certFile: string;
  keyFile: string;
}

export function openssl(args: string[]): string {
  try {
    return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (apt-get install openssl)', { cause: err });
    throw new Error(`openssl ${args[0]} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(0, 3).join(' / ')}`, { cause: err });
  }
}

/** A new EC P-256 private key (PEM, mode 0600) unless `keyFile` exists. */
export function ensureKey(keyFile: string): void {
  if (existsSync(keyFile)) return;
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
}

export function createCa(dir: string, cn = 'Cabine fleet CA', days = 3650): CertPair {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'ca.crt');
  ensureKey(keyFile);
  openssl([
    'req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-days', String(days), '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', certFile,
  ]);
  return { certFile, keyFile };
}

export function createCsr(keyFile: string, csrFile: string, cn: string): void {
  ensureKey(keyFile);
  openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-out', csrFile]);
}

/** Largest CSR file read (a P-256 CSR is ~400 bytes; RSA 4096 ~1.7 KB). */
const MAX_CSR_BYTES = 64 * 1024;

/**
 * The CN of a CSR whose self-signature verifies and whose subject is exactly one CN (read from
 * the DER, see csr.ts); throws otherwise.
 */
export function csrCommonName(csrFile: string): string {
  if (statSync(csrFile).size > MAX_CSR_BYTES) throw new CsrError(`the CSR file is larger than ${MAX_CSR_BYTES} bytes`);
  const cn = soleCommonName(readFileSync(csrFile, 'latin1'));
  openssl(['req', '-in', csrFile, '-noout', '-verify']);
  return cn;
}

export interface SignOptions {
  ca: CertPair;
  csrFile: string;
  /** Written (mode 0644: a certificate is public) only once every check has passed. */
  outFile?: string;
  usage: 'client' | 'server';
  /** The CSR is refused unless its subject is exactly this one CN. */
  expectCn: string;
  days?: number;
  /** Server certificates: DNS names and IP addresses. */
  altNames?: string[];
}

/** Signs a CSR with the CA; returns the serial (hex), the CN and the certificate (PEM). */
export function signCsr(options: SignOptions): { serial: string; cn: string; certPem: string } {
  const cn = csrCommonName(options.csrFile);
  if (cn !== options.expectCn) throw new CsrError(`the CSR is for "${cn}", not "${options.expectCn}"`);
  const serial = randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');
  const work = mkdtempSync(join(tmpdir(), 'cabine-pki-'));
  let certPem: string;
  try {
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyAgreement',
      `extendedKeyUsage=${options.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
    ];
    if (options.altNames?.length) {
      ext.push(`subjectAltName=${options.altNames.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}`);
    }
    const extFile = join(work, 'ext.cnf');
    writeFileSync(extFile, ext.join('\n') + '\n');
    const signed = join(work, 'cert.pem');
    openssl([
      'x509', '-req', '-in', options.csrFile, '-CA', options.ca.certFile, '-CAkey', options.ca.keyFile,
      '-set_serial', `0x${serial}`, '-days', String(options.days ?? 825), '-sha256', '-extfile', extFile, '-out', signed,
    ]);
    certPem = readFileSync(signed, 'utf8');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // What was signed is what was checked (the subject is copied from the CSR by openssl).
  const subject = new X509Certificate(certPem).subject;
  if (subject !== `CN=${cn}`) throw new CsrError(`the signed certificate's subject is "${subject}", not CN=${cn}`);
  if (options.outFile) writeFileSync(options.outFile, certPem, { mode: 0o644 });
  return { serial, cn, certPem };
}

/** Key + CSR + signed certificate in `dir` as `<name>.key` / `<name>.crt`. */
export function issueCertificate(ca: CertPair, dir: string, name: string, cn: string, usage: 'client' | 'server', altNames?: string[]): CertPair {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.crt`);
  const csrFile = join(dir, `${name}.csr`);
  createCsr(keyFile, csrFile, cn);
  signCsr({ ca, csrFile, outFile: certFile, usage, expectCn: cn, ...(altNames ? { altNames } : {}) });
  return { certFile, keyFile };
}
