// provisioning/provision.sh run against a directory laid out like a fresh Raspberry Pi OS
// Lite: what it writes, and that a second run changes nothing it should keep.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync, appendFileSync, statSync, copyFileSync, rmSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { startEvePrinter } from '../print/ippeveprinter.ts';

const script = new URL('../../provisioning/provision.sh', import.meta.url).pathname;
const repo = new URL('../../', import.meta.url).pathname;
const cabine = join(repo, 'bin/cabine.js');
const tools = ['useradd', 'dtc', 'openssl', 'systemctl'].every((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);

const MODELS = { pi4: 'Raspberry Pi 4 Model B Rev 1.5', pi5: 'Raspberry Pi 5 Model B Rev 1.0' };

function freshPiOs(model: keyof typeof MODELS = 'pi4', image: 'lite' | 'desktop' = 'lite'): string {
  const root = mkdtempSync(join(tmpdir(), 'cabine-root-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'proc/device-tree'), { recursive: true });
  writeFileSync(join(root, 'proc/device-tree/model'), `${MODELS[model]}\0`);
  mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
  if (image === 'desktop') {
    // Raspberry Pi OS with desktop: boots to graphical.target with a display manager.
    symlinkSync('/lib/systemd/system/graphical.target', join(root, 'etc/systemd/system/default.target'));
    symlinkSync('/lib/systemd/system/lightdm.service', join(root, 'etc/systemd/system/display-manager.service'));
  }
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
  const pinFile = join(root, 'pin.txt');
  writeFileSync(pinFile, '482916\n');
  const first = provision(root, '--booth-id', 'PARIS-0042', '--fleet-url', 'mqtts://fleet.test:8883', '--operator-prefix', '9PMT', '--pin-file', pinFile);
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
  t.match(csr.stdout, /^subject\s*=\s*CN\s*=\s*PARIS-0042\s*$/m, 'exactly one CN, the booth id: what `cabine fleet enrol` signs');

  // boot: overlay compiled, config fragment once, serial console taken off the kernel
  const bootConfig = readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8');
  t.match(bootConfig, /^arm_64bit=1$/m, 'existing settings kept');
  t.match(bootConfig, /^\[pi4\]\n(?:.*\n)*?dtoverlay=cabine-booth-pi4$/m);
  t.match(bootConfig, /^gpio=22,27=ip,pu$/m, 'curtain and touch IRQ pulled up by the firmware');
  for (const board of ['pi4', 'pi5']) t.ok(existsSync(join(root, `boot/firmware/overlays/cabine-booth-${board}.dtbo`)), `${board} overlay`);
  t.notMatch(readFileSync(join(root, 'boot/firmware/cmdline.txt'), 'utf8'), /console=serial0/);
  t.match(readFileSync(join(root, 'boot/firmware/cmdline.txt'), 'utf8'), /console=tty1 root=/);

  // udev and units enabled
  t.match(readFileSync(join(root, 'etc/udev/rules.d/99-cabine.rules'), 'utf8'), /SYMLINK\+="cabine-cctalk"/);
  const wants = join(root, 'etc/systemd/system/multi-user.target.wants');
  t.ok(readdirSync(wants).includes('cabine.service'));
  t.ok(readdirSync(wants).includes('cabine-console@ttyAMA0.service'));
  t.match(readlinkSync(join(wants, 'cabine.service')), /cabine\.service$/);
  t.ok(existsSync(join(root, 'opt/cabine/bin/cabine.js')), 'the app is installed');
  const models = spawnSync(process.execPath, [cabine, 'models', 'check', '--dir', join(root, 'opt/cabine/models')], { encoding: 'utf8' });
  t.equal(models.status, 0, `the face models are installed and verified ${models.stdout}`);

  // a Pi 4: ccTalk on UART3, the console's getty and Bluetooth off the console UART
  t.match(readFileSync(join(root, 'etc/udev/rules.d/99-cabine.rules'), 'utf8'), /^KERNEL=="ttyAMA3", SYMLINK\+="cabine-cctalk"/m);
  const system = join(root, 'etc/systemd/system');
  for (const unit of ['serial-getty@ttyAMA0.service', 'serial-getty@serial0.service', 'hciuart.service']) t.equal(readlinkSync(join(system, unit)), '/dev/null', `${unit} masked`);

  // the customer screen at every boot: wanted by multi-user.target, where Lite boots
  t.ok(readdirSync(wants).includes('cabine-kiosk.service'), 'kiosk wanted by multi-user.target');
  t.match(readlinkSync(join(system, 'default.target')), /multi-user\.target$/);

  // owners and modes
  const mode = (p: string) => (statSync(join(root, p)).mode & 0o777).toString(8);
  t.equal(mode('etc/cabine'), '750');
  t.equal(mode('etc/cabine/config.yaml'), '640');
  t.equal(mode('var/lib/cabine'), '750');
  t.equal(mode('var/lib/cabine/keys'), '700');
  t.equal(mode('var/lib/cabine/keys/record-signing.pem'), '600');
  t.equal(mode('var/lib/cabine/console-pin.hash'), '600', 'the technician PIN hash: the booth user only');
  t.notMatch(readFileSync(join(root, 'etc/cabine/config.yaml'), 'utf8'), /pinHash/, 'not in the config');
  t.equal(mode('opt/cabine/bin/cabine.js').slice(-1) === '4' || mode('opt/cabine/bin/cabine.js').slice(-1) === '5', true, 'the app is not writable by others');

  // the updater's layout: /opt/cabine -> cabine-releases/current -> releases/<version>, fleet updates watched
  t.equal(readlinkSync(join(root, 'opt/cabine')), 'cabine-releases/current');
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.equal(readlinkSync(join(root, 'opt/cabine-releases/current')), `releases/${version}`);
  t.ok(readdirSync(wants).includes('cabine-update.path'), 'the update path unit is enabled');
  t.ok(existsSync(join(root, 'var/lib/cabine/update')), 'the booth stages updates in its data dir');

  // a second run, with a local key added by the operator: nothing doubled, keys kept
  appendFileSync(join(root, 'etc/cabine/config.yaml'), 'payment:\n  priceCents: 650\n');
  const second = provision(root, '--booth-id', 'PARIS-0042', '--fleet-url', 'mqtts://fleet.test:8883', '--operator-prefix', '9PMT');
  t.equal(second.status, 0, second.stderr);
  t.equal(readFileSync(join(root, 'var/lib/cabine/keys/record-signing.pem'), 'utf8'), keyPem, 'signing key never regenerated');
  t.equal(readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8').match(/^# >>> cabine >>>$/gm)?.length, 1, 'the fragment once');
  t.equal(readFileSync(join(root, 'etc/passwd'), 'utf8').match(/^cabine:/gm)?.length, 1);
  t.equal(loadConfig({ file: join(root, 'etc/cabine/config.yaml'), env: {} }).payment.priceCents, 650, 'local keys survive');
  t.equal(readlinkSync(join(root, 'opt/cabine')), 'cabine-releases/current', 'still the release link');
  t.ok(existsSync(join(root, 'opt/cabine/bin/cabine.js')));
});

t.test('a Pi 5 Desktop image: the right UARTs, and the kiosk still at every boot', { skip: tools ? false : 'tools missing' }, async (t) => {
  const root = freshPiOs('pi5', 'desktop');
  const run = provision(root, '--booth-id', 'LYON-0001');
  t.equal(run.status, 0, run.stderr);
  t.match(readFileSync(join(root, 'etc/udev/rules.d/99-cabine.rules'), 'utf8'), /^KERNEL=="ttyAMA2", SYMLINK\+="cabine-cctalk"/m, 'ccTalk on UART2 (GPIO 4/5 on the RP1)');
  const system = join(root, 'etc/systemd/system');
  t.equal(readlinkSync(join(system, 'serial-getty@ttyAMA0.service')), '/dev/null');
  t.notOk(existsSync(join(system, 'hciuart.service')), 'Bluetooth left alone: the Pi 5 console UART is not shared with it');
  t.ok(readdirSync(join(system, 'multi-user.target.wants')).includes('cabine-kiosk.service'));
  t.match(readlinkSync(join(system, 'default.target')), /multi-user\.target$/, 'the desktop session no longer takes the screen');
  t.notOk(existsSync(join(system, 'display-manager.service')), 'display manager disabled');
  const bootConfig = readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8');
  t.match(bootConfig, /^\[pi5\]\n(?:[^[].*\n|\n)*?dtoverlay=uart0-pi5$/m, 'uart0-pi5 puts ttyAMA0 on GPIO 14/15');
  t.match(bootConfig, /^\[pi5\]\n(?:[^[].*\n|\n)*?dtoverlay=uart2-pi5$/m);
  t.match(provision(freshPiOs('pi4'), '--booth-id', 'X1', '--model', 'pi3').stderr, /--model must be pi4 or pi5/);
});

t.test('no models, no booth: provisioning refuses to finish without them', { skip: tools ? false : 'tools missing' }, async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'cabine-nomodels-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const refused = provision(freshPiOs(), '--booth-id', 'B2', '--models', empty);
  t.not(refused.status, 0);
  t.match(refused.stderr, /face models missing/);
  // a release's model file altered after its build is refused
  const altered = mkdtempSync(join(tmpdir(), 'cabine-badmodels-'));
  t.teardown(() => rmSync(altered, { recursive: true, force: true }));
  copyFileSync(join(repo, 'models/iris.onnx'), join(altered, 'iris.onnx'));
  appendFileSync(join(altered, 'iris.onnx'), Buffer.from([0]));
  const bad = provision(freshPiOs(), '--booth-id', 'B2', '--models', altered);
  t.not(bad.status, 0);
  t.match(bad.stderr, /not the one this release's manifest records/);
});

t.test('the printer: refused when it does not answer, kept when it does', { skip: tools ? false : 'tools missing' }, async (t) => {
  const root = freshPiOs();
  const silent = provision(root, '--booth-id', 'B3', '--printer-uri', 'ipp://127.0.0.1:9/ipp/print');
  t.not(silent.status, 0);
  t.match(silent.stderr, /does not answer/);
  const eve = await startEvePrinter();
  t.teardown(() => eve.stop());
  const ok = provision(root, '--booth-id', 'B3', '--printer-uri', eve.uri);
  t.equal(ok.status, 0, ok.stderr);
  t.equal(loadConfig({ file: join(root, 'etc/cabine/config.yaml'), env: {} }).printer.uri, eve.uri);
  const again = provision(root, '--booth-id', 'B3');
  t.equal(again.status, 0, again.stderr);
  t.equal(loadConfig({ file: join(root, 'etc/cabine/config.yaml'), env: {} }).printer.uri, eve.uri, 'kept on a re-run that names no printer');
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
