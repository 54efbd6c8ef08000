// The fleet's X.509 material, made with the openssl CLI (Debian `openssl`): a fleet CA, the
// broker's server certificate, and booth/operator client certificates signed from a CSR.
// openssl rather than an npm X.509 library because every board and operator host has it, it
// is the reference implementation of CSR checks, and provisioning scripts use the same
// commands. Keys are EC P-256 (fast TLS handshakes on a Raspberry Pi).
// A booth's certificate CN is its booth id: the broker (use_identity_as_username) makes the
// CN the MQTT username, and the ACL patterns confine each username to its own topics.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** The CN of a CSR whose self-signature verifies; throws otherwise. */
export function csrCommonName(csrFile: string): string {
  openssl(['req', '-in', csrFile, '-noout', '-verify']);
  const subject = openssl(['req', '-in', csrFile, '-noout', '-subject', '-nameopt', 'RFC2253']).trim();
  const match = /(?:^|[=,])CN=([^,]+)/.exec(subject.replace(/^subject=/, ''));
  if (!match) throw new Error(`the CSR has no CN (${subject})`);
  return match[1]!.trim();
}

export interface SignOptions {
  ca: CertPair;
  csrFile: string;
  outFile: string;
  usage: 'client' | 'server';
  /** Refuse the CSR unless its CN is exactly this. */
  expectCn?: string;
  days?: number;
  /** Server certificates: DNS names and IP addresses. */
  altNames?: string[];
}

/** Signs a CSR with the CA; returns the serial (hex) and the CN. */
export function signCsr(options: SignOptions): { serial: string; cn: string } {
  const cn = csrCommonName(options.csrFile);
  if (options.expectCn !== undefined && cn !== options.expectCn) {
    throw new Error(`the CSR is for "${cn}", not "${options.expectCn}"`);
  }
  const serial = randomBytes(16).toString('hex').replace(/^[89a-f]/, '1');
  const work = mkdtempSync(join(tmpdir(), 'cabine-pki-'));
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
    openssl([
      'x509', '-req', '-in', options.csrFile, '-CA', options.ca.certFile, '-CAkey', options.ca.keyFile,
      '-set_serial', `0x${serial}`, '-days', String(options.days ?? 825), '-sha256', '-extfile', extFile, '-out', options.outFile,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { serial, cn };
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
