// provisioning/provision.sh run against a directory laid out like a fresh Raspberry Pi OS
// Lite: what it writes, and that a second run changes nothing it should keep.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';

const script = new URL('../../provisioning/provision.sh', import.meta.url).pathname;
const tools = ['useradd', 'dtc', 'openssl', 'systemctl'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);

function freshPiOs(): string {
  const root = mkdtempSync(join(tmpdir(), 'cabine-root-'));
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'boot/firmware'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000::/home/pi:/bin/bash\n');
  writeFileSync(join(root, 'etc/shadow'), 'root:*:19000:0:99999:7:::\npi:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\ndialout:x:20:pi\nvideo:x:44:pi\naudio:x:29:pi\npi:x:1000:\n');
  writeFileSync(join(root, 'etc/gshadow'), 'root:*::\ndialout:*::pi\nvideo:*::pi\naudio:*::pi\npi:!::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc/fstab'), 'PARTUUID=1-01 /boot/firmware vfat defaults 0 2\nPARTUUID=1-02 / ext4 defaults,noatime 0 1\n');
  writeFileSync(join(root, 'boot/firmware/config.txt'), '[all]\narm_64bit=1\n');
  writeFileSync(join(root, 'boot/firmware/cmdline.txt'), 'console=serial0,115200 console=tty1 root=PARTUUID=1-02 rootfstype=ext4 fsck.repair=yes rootwait\n');
  return root;
}

function provision(root: string, ...args: string[]) {
  return spawnSync('bash', [script, '--root', root, ...args], { encoding: 'utf8', timeout: 120_000 });
}

t.test('provisions a booth into a directory, idempotently', { skip: tools ? false : 'useradd/dtc/openssl/systemctl missing' }, async (t) => {
  const root = freshPiOs();
  const first = provision(root, '--booth-id', 'PARIS-0042', '--fleet-url', 'mqtts://fleet.test:8883', '--operator-prefix', '9PMT');
  t.equal(first.status, 0, first.stderr);

  // user and groups
  const passwd = readFileSync(join(root, 'etc/passwd'), 'utf8');
  t.match(passwd, /^cabine:x:\d+:\d+:.*:\/var\/lib\/cabine:\/usr\/sbin\/nologin$/m);
  const group = readFileSync(join(root, 'etc/group'), 'utf8');
  for (const g of ['gpio', 'i2c', 'dialout', 'video']) t.match(group, new RegExp(`^${g}:x:\\d+:.*\\bcabine\\b`, 'm'), `cabine in ${g}`);

  // the config is valid for the booth's own loader
  const config = loadConfig({ file: join(root, 'etc/cabine/config.yaml'), env: {} });
  t.equal(config.booth.id, 'PARIS-0042');
  t.equal(config.booth.operatorPrefix, '9PMT');
  t.equal(config.fleet.url, 'mqtts://fleet.test:8883');
  t.equal(config.data.dir, '/var/lib/cabine');

  // keys: an Ed25519 signing key and an MQTT CSR naming the booth
  const keyPem = readFileSync(join(root, 'var/lib/cabine/keys/record-signing.pem'), 'utf8');
  t.equal(createPrivateKey(keyPem).asymmetricKeyType, 'ed25519');
  const csr = spawnSync('openssl', ['req', '-in', join(root, 'var/lib/cabine/keys/mqtt-client.csr'), '-noout', '-subject', '-verify'], { encoding: 'utf8' });
  t.equal(csr.status, 0, csr.stderr);
  t.match(csr.stdout, /CN\s*=\s*PARIS-0042/);

  // boot: overlay compiled, config fragment once, serial console taken off the kernel
  t.ok(existsSync(join(root, 'boot/firmware/overlays/cabine-booth.dtbo')));
  const bootConfig = readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8');
  t.match(bootConfig, /^arm_64bit=1$/m, 'existing settings kept');
  t.match(bootConfig, /^dtoverlay=cabine-booth$/m);
  t.notMatch(readFileSync(join(root, 'boot/firmware/cmdline.txt'), 'utf8'), /console=serial0/);
  t.match(readFileSync(join(root, 'boot/firmware/cmdline.txt'), 'utf8'), /console=tty1 root=/);

  // udev and units enabled
  t.match(readFileSync(join(root, 'etc/udev/rules.d/99-cabine.rules'), 'utf8'), /SYMLINK\+="cabine-cctalk"/);
  const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
  t.ok(readdirSync(wants).includes('cabine.service'));
  t.ok(readdirSync(wants).includes('cabine-console@ttyAMA0.service'));
  t.match(readlinkSync(join(wants, 'cabine.service')), /cabine\.service$/);
  t.ok(existsSync(join(root, 'opt/cabine/bin/cabine.js')), 'the app is installed');

  // a second run, with a local key added by the operator: nothing doubled, keys kept
  appendFileSync(join(root, 'etc/cabine/config.yaml'), 'payment:\n  priceCents: 650\n');
  const second = provision(root, '--booth-id', 'PARIS-0042', '--fleet-url', 'mqtts://fleet.test:8883', '--operator-prefix', '9PMT');
  t.equal(second.status, 0, second.stderr);
  t.equal(readFileSync(join(root, 'var/lib/cabine/keys/record-signing.pem'), 'utf8'), keyPem, 'signing key never regenerated');
  t.equal(readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8').match(/dtoverlay=cabine-booth/g)?.length, 1);
  t.equal(readFileSync(join(root, 'etc/passwd'), 'utf8').match(/^cabine:/gm)?.length, 1);
  t.equal(loadConfig({ file: join(root, 'etc/cabine/config.yaml'), env: {} }).payment.priceCents, 650, 'local keys survive');
});

t.test('a read-only root puts the data on its own partition', { skip: tools ? false : 'tools missing' }, async (t) => {
  const root = freshPiOs();
  const refused = provision(root, '--booth-id', 'B1', '--readonly-root');
  t.not(refused.status, 0);
  t.match(refused.stderr, /read-only: give --data-partition/);
  const ok = provision(root, '--booth-id', 'B1', '--readonly-root', '--data-partition', '/dev/mmcblk0p3');
  t.equal(ok.status, 0, ok.stderr);
  const fstab = readFileSync(join(root, 'etc/fstab'), 'utf8');
  t.match(fstab, /^\/dev\/mmcblk0p3 \/var\/lib\/cabine ext4 /m);
  provision(root, '--booth-id', 'B1', '--readonly-root', '--data-partition', '/dev/mmcblk0p3');
  t.equal(readFileSync(join(root, 'etc/fstab'), 'utf8').match(/\/var\/lib\/cabine/g)?.length, 1, 'one fstab line after two runs');
});

t.test('bad arguments are refused with a reason', async (t) => {
  const root = freshPiOs();
  t.match(provision(root).stderr, /--booth-id is required/);
  t.match(provision(root, '--booth-id', 'X', '--operator-prefix', 'SOIL').stderr, /without O, I, L, S/);
  t.match(provision(root, '--booth-id', 'bad id').stderr, /letters, digits/);
});
