// Attack: a booth sends a CSR whose subject names someone else (the operator's CN first, its
// own id second; several CNs; a multi-valued RDN; extra attributes), or asks to be enrolled
// under an operator identity. The real `cabine fleet enrol` with the real openssl refuses each,
// before signing, and leaves nothing on disk or in the fleet store; the honest CSR still enrols.
import t from 'tap';
import { execFile, execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csrSubject, csrDer, soleCommonName } from '../../src/fleet/operator/csr.ts';
import { openFleetStore } from '../../src/fleet/operator/store-open.ts';
import { signCsr } from '../../src/fleet/operator/pki.ts';
import { BOOTH_ID_RE } from '../../src/fleet/topics.ts';
import { loadOrCreateSigningKey } from '../../src/fleet/signing.ts';

const bin = join(import.meta.dirname, '../../bin/cabine.js');
const root = mkdtempSync(join(tmpdir(), 'cabine-sec-ca-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

function cabine(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, CABINE_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const keyFile = join(root, 'booth.key');
execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
function csr(name: string, subj: string, extra: string[] = []): string {
  const file = join(root, `${name}.csr`);
  execFileSync('openssl', ['req', '-new', '-key', keyFile, '-subj', subj, ...extra, '-out', file]);
  return file;
}

const caDir = join(root, 'pki', 'ca');
const ca = { certFile: join(caDir, 'ca.crt'), keyFile: join(caDir, 'ca.key') };
const made = await cabine(['fleet', 'ca', '--dir', join(root, 'pki')]);
if (made.code !== 0) throw new Error(made.stderr);
const signing = loadOrCreateSigningKey(join(root, 'signing.pem'));
const signingPub = join(root, 'signing.pub.pem');
execFileSync('sh', ['-c', `cat > ${signingPub}`], { input: signing.publicKeyPem });
const fleetData = join(root, 'fleet-data');
const outDir = join(root, 'out');
execFileSync('mkdir', ['-p', outDir]);

async function enrolledBooths(): Promise<string[]> {
  const store = await openFleetStore({ dataDir: fleetData });
  try {
    return (await store.booths()).map((b) => b.id);
  } finally {
    await store.close();
  }
}

const attacks: { name: string; booth: string; subj: string; extra?: string[]; reason: RegExp }[] = [
  { name: 'operator CN first, own id second', booth: 'EVIL-01', subj: '/CN=fleet.operator/CN=EVIL-01', reason: /exactly one CN, it has 2 attribute\(s\) in 2 RDN/ },
  { name: 'own id first, operator CN second', booth: 'EVIL-01', subj: '/CN=EVIL-01/CN=fleet.operator', reason: /exactly one CN/ },
  { name: 'the same CN twice', booth: 'EVIL-01', subj: '/CN=EVIL-01/CN=EVIL-01', reason: /exactly one CN/ },
  { name: 'a multi-valued RDN', booth: 'EVIL-01', subj: '/CN=EVIL-01+CN=fleet.operator', extra: ['-multivalue-rdn'], reason: /2 attribute\(s\) in 1 RDN/ },
  { name: 'an organisation beside the CN', booth: 'EVIL-01', subj: '/O=fleet.operator/CN=EVIL-01', reason: /exactly one CN/ },
  { name: 'no CN at all', booth: 'EVIL-01', subj: '/O=EVIL-01', reason: /must be a CN/ },
  { name: 'a CN for another booth', booth: 'EVIL-01', subj: '/CN=VICTIM-02', reason: /the CSR is for "VICTIM-02", not "EVIL-01"/ },
  { name: 'enrol as the operator', booth: 'fleet.operator', subj: '/CN=fleet.operator', reason: /not a booth id/ },
  { name: 'a booth id with a dot', booth: 'a.b', subj: '/CN=a.b', reason: /not a booth id/ },
];

// The two cases through the real CLI (a process each: a few seconds); the rest through
// the same signCsr the CLI calls, in-process.
const viaCli = new Set(['operator CN first, own id second', 'enrol as the operator']);
for (const attack of attacks) {
  t.test(`refused: ${attack.name}`, async (t) => {
    const file = csr(attack.name.replace(/\W+/g, '-'), attack.subj, attack.extra);
    const out = join(outDir, `${attack.booth}.crt`);
    if (viaCli.has(attack.name)) {
      const run = await cabine(['fleet', 'enrol', '--booth', attack.booth, '--csr', file, '--signing-key', signingPub, '--ca-dir', caDir, '--out', out, '--data', fleetData]);
      t.equal(run.code, 1, 'exit 1');
      t.match(run.stderr, attack.reason);
      t.same(await enrolledBooths(), [], 'no booth enrolled');
    } else if (attack.reason.source.includes('not a booth id')) {
      t.notOk(BOOTH_ID_RE.test(attack.booth), 'the id is refused before anything else');
    } else {
      t.throws(() => signCsr({ ca, csrFile: file, outFile: out, usage: 'client', expectCn: attack.booth }), attack.reason);
    }
    t.notOk(existsSync(out), 'no certificate written');
    t.same(readdirSync(outDir), [], 'nothing at all written beside it');
  });
}

t.test('a second PEM block or trailing bytes are refused by the DER reader', async (t) => {
  const pem = execFileSync('cat', [csr('honest-for-reader', '/CN=EVIL-01')], { encoding: 'utf8' });
  t.equal(soleCommonName(pem), 'EVIL-01');
  t.throws(() => soleCommonName(pem + pem), /exactly one PEM/);
  t.throws(() => soleCommonName(`${pem}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n`), /something besides/);
  const der = csrDer(pem);
  t.throws(() => csrSubject(Buffer.concat([der, Buffer.from([0])])), /one outer SEQUENCE/);
  t.throws(() => csrSubject(der.subarray(0, der.length - 5)), /truncated/);
  // Indefinite length (BER, not DER): refused.
  const ber = Buffer.from(der);
  ber[1] = 0x80;
  t.throws(() => csrSubject(ber), /indefinite/);
});

t.test('the honest CSR enrols, and the certificate says exactly its id', async (t) => {
  const file = csr('honest', '/CN=GOOD-01');
  const out = join(outDir, 'GOOD-01.crt');
  const run = await cabine(['fleet', 'enrol', '--booth', 'GOOD-01', '--csr', file, '--signing-key', signingPub, '--ca-dir', caDir, '--out', out, '--data', fleetData, '--json']);
  t.equal(run.code, 0, run.stderr);
  t.equal(new X509Certificate(execFileSync('cat', [out])).subject, 'CN=GOOD-01');
  t.same(await enrolledBooths(), ['GOOD-01']);
});
