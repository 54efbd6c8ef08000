// The booth's device-tree overlay compiles with dtc and carries the wiring the config
// defaults assume (relay 17, curtain 27, touch interrupt 22).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';

const firmware = new URL('../../firmware/', import.meta.url).pathname;
const hasDtc = spawnSync('dtc', ['--version']).status === 0;

t.test('the overlay compiles and decompiles with the booth lines', { skip: hasDtc ? false : 'dtc not installed' }, async (t) => {
  const out = join(mkdtempSync(join(tmpdir(), 'cabine-dtc-')), 'cabine-booth.dtbo');
  const compiled = spawnSync('dtc', ['-@', '-q', '-I', 'dts', '-O', 'dtb', '-o', out, join(firmware, 'cabine-booth.dts')], { encoding: 'utf8' });
  t.equal(compiled.status, 0, compiled.stderr);
  t.equal(compiled.stderr, '', 'no dtc warning');
  const back = spawnSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', out], { encoding: 'utf8' });
  t.equal(back.status, 0);
  const config = loadConfig({ env: {} });
  t.match(back.stdout, new RegExp(`brcm,pins = <0x${config.lighting.relayLine.toString(16)}>`), 'relay line');
  t.match(back.stdout, new RegExp(`brcm,pins = <0x${config.curtain.line.toString(16)} 0x${config.touch.interruptLine.toString(16)}>`), 'curtain + touch irq');
  t.match(back.stdout, /brcm,pull = <0x02 0x02>/, 'inputs pulled up');
  t.match(back.stdout, /__fixups__/, 'references the base tree (an overlay)');
  t.match(back.stdout, /CABINE_LIGHT_RELAY/);
  const names = /gpio-line-names = (.*);/.exec(back.stdout)?.[1] ?? '';
  t.equal(names.replace(/^"|"$/g, '').split('\\0').length, 58, 'a name for each of the 58 lines');
});

t.test('dtc rejects a broken overlay (the check above can fail)', { skip: hasDtc ? false : 'dtc not installed' }, async (t) => {
  const broken = spawnSync('dtc', ['-@', '-q', '-I', 'dts', '-O', 'dtb', '-o', '/dev/null', '-'], {
    input: readFileSync(join(firmware, 'cabine-booth.dts'), 'utf8').replace('brcm,pins = <17>;', 'brcm,pins = <17>'),
    encoding: 'utf8',
  });
  t.not(broken.status, 0);
});

t.test('config.txt enables I2C, both UARTs, the camera and the overlay', async (t) => {
  const text = readFileSync(join(firmware, 'config.txt'), 'utf8');
  for (const line of ['dtparam=i2c_arm=on', 'enable_uart=1', 'dtoverlay=disable-bt', 'dtoverlay=uart3', 'camera_auto_detect=1', 'dtoverlay=cabine-booth']) {
    t.match(text, new RegExp(`^${line}$`, 'm'), line);
  }
});
