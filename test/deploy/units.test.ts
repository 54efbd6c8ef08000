// The unit files pass `systemd-analyze verify` with no complaint at all (it exits 0 even on
// a misspelt setting, so stderr must be empty too), and keep the properties the booth
// relies on.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const unitDir = new URL('../../systemd/', import.meta.url).pathname;
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

function verify(path: string) {
  return spawnSync('systemd-analyze', ['verify', '--man=no', path], { encoding: 'utf8' });
}

t.test('systemd-analyze verify is clean on every unit', { skip: hasAnalyze ? false : 'systemd-analyze not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-units-'));
  for (const name of ['cabine.service', 'cabine-kiosk.service', 'cabine-console@.service', 'cabine-update.service', 'cabine-update.path']) copyFileSync(join(unitDir, name), join(dir, name));
  // A template is verified through one of its instances.
  symlinkSync('cabine-console@.service', join(dir, 'cabine-console@ttyAMA0.service'));
  for (const name of ['cabine.service', 'cabine-kiosk.service', 'cabine-console@ttyAMA0.service', 'cabine-update.service', 'cabine-update.path']) {
    const result = verify(join(dir, name));
    t.equal(result.status, 0, `${name} exit status`);
    t.equal(result.stderr.trim(), '', `${name}: no warning`);
  }
});

t.test('the verifier does catch a broken unit (so the check above can fail)', { skip: hasAnalyze ? false : 'systemd-analyze not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-units-'));
  const broken = readFileSync(join(unitDir, 'cabine.service'), 'utf8').replace('Type=notify', 'Type=notifyy');
  const path = join(dir, 'cabine.service');
  writeFileSync(path, broken);
  t.match(verify(path).stderr, /Failed to parse service type/);
});

t.test('the booth unit keeps its contract', async (t) => {
  const unit = readFileSync(join(unitDir, 'cabine.service'), 'utf8');
  for (const line of ['Type=notify', 'Restart=always', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/cabine', 'NoNewPrivileges=true', 'PrivateTmp=true', 'DevicePolicy=closed']) {
    t.match(unit, new RegExp(`^${line}$`, 'm'), line);
  }
  t.match(unit, /^WatchdogSec=\d+$/m);
  t.match(unit, /^SupplementaryGroups=.*\bgpio\b.*\bi2c\b.*\bdialout\b.*\bvideo\b/m);
  t.notMatch(unit, /^MemoryDenyWriteExecute=/m, 'V8 needs writable+executable pages');
  t.match(unit, /^NotifyAccess=all$/m, 'READY may come from systemd-notify when unix-dgram is missing');
});

t.test('the customer screen is wanted where Pi OS Lite boots', async (t) => {
  const kiosk = readFileSync(join(unitDir, 'cabine-kiosk.service'), 'utf8');
  const wantedBy = /^\[Install\][^[]*^WantedBy=(.+)$/m.exec(kiosk)?.[1]?.split(/\s+/) ?? [];
  t.ok(wantedBy.includes('multi-user.target'), 'multi-user.target (graphical.target pulls it in too)');
  t.notOk(wantedBy.includes('graphical.target'), 'not graphical.target only: Lite never reaches it');
});
