// The booth's device-tree overlays (one per model) compile with dtc and only name lines (no
// node that no driver binds), and config.txt gives the inputs their bias with `gpio=` lines and
// picks each model's UARTs and overlay, all on the lines the config defaults assume.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';

const firmware = new URL('../../firmware/', import.meta.url).pathname;
const hasDtc = spawnSync('dtc', ['--version']).status === 0;
const config = loadConfig({ env: {} });
const { relayLine } = config.lighting;
const curtainLine = config.curtain.line;
const touchLine = config.touch.interruptLine;

/** The [section] blocks of a config.txt: lines under each filter. */
function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current = 'all';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) { current = header[1]!; continue; }
    out.set(current, [...(out.get(current) ?? []), line]);
  }
  return out;
}

for (const [board, lineCount, chip] of [['pi4', 58, 'gpio'], ['pi5', 54, 'rp1_gpio']] as const) {
  t.test(`the ${board} overlay compiles and names the booth's lines`, { skip: hasDtc ? false : 'dtc not installed' }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cabine-dtc-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'overlay.dtbo');
    const compiled = spawnSync('dtc', ['-@', '-q', '-I', 'dts', '-O', 'dtb', '-o', out, join(firmware, `cabine-booth-${board}.dts`)], { encoding: 'utf8' });
    t.equal(compiled.status, 0, compiled.stderr);
    t.equal(compiled.stderr, '', 'no dtc warning');
    const back = spawnSync('dtc', ['-q', '-I', 'dtb', '-O', 'dts', out], { encoding: 'utf8' }).stdout;
    t.match(back, new RegExp(`${chip} = "/fragment@0:target:0"`), `targets the ${chip} controller (fixup)`);
    t.notMatch(back, /pinctrl-0|brcm,pull|compatible = "cabine/, 'no pin group or device node that no driver would apply');
    // dtc prints a string list as one string with \0 separators.
    const names = (/gpio-line-names = "(.*)";/.exec(back)?.[1] ?? '').split('\\0');
    t.equal(names.length, lineCount, `a name for each of the ${lineCount} lines`);
    t.equal(names[relayLine], 'CABINE_LIGHT_RELAY');
    t.equal(names[curtainLine], 'CABINE_CURTAIN');
    t.equal(names[touchLine], 'CABINE_TOUCH_IRQ');
    t.equal(names[14], 'CONSOLE_TXD0');
  });
}

t.test('dtc rejects a broken overlay (the check above can fail)', { skip: hasDtc ? false : 'dtc not installed' }, async (t) => {
  const broken = spawnSync('dtc', ['-@', '-q', '-I', 'dts', '-O', 'dtb', '-o', '/dev/null', '-'], {
    input: readFileSync(join(firmware, 'cabine-booth-pi4.dts'), 'utf8').replace('__overlay__ {', '__overlay__ '),
    encoding: 'utf8',
  });
  t.not(broken.status, 0);
});

t.test('config.txt: bias by gpio= lines, per-model UARTs and overlays', async (t) => {
  const s = sections(readFileSync(join(firmware, 'config.txt'), 'utf8'));
  const all = s.get('all') ?? [];
  for (const line of ['dtparam=i2c_arm=on', 'camera_auto_detect=1']) t.ok(all.includes(line), line);
  // gpio=<pins>=<mode>,<drive?>,<pull>: every input pulled up, the relay a low output pulled down.
  const gpio = all.filter((l) => l.startsWith('gpio=')).map((l) => {
    const [, pins, settings] = /^gpio=([\d,-]+)=(.+)$/.exec(l)!;
    return { pins: pins!.split(',').map(Number), settings: settings!.split(',') };
  });
  const of = (pin: number) => gpio.find((g) => g.pins.includes(pin))?.settings ?? [];
  for (const pin of [curtainLine, touchLine]) t.same(of(pin), ['ip', 'pu'], `BCM ${pin}: input, pull-up`);
  t.same(of(relayLine), ['op', 'dl', 'pd'], `BCM ${relayLine}: output low, pull-down`);
  t.same(s.get('pi4'), ['enable_uart=1', 'dtoverlay=disable-bt', 'dtoverlay=uart3', 'dtoverlay=cabine-booth-pi4']);
  t.same(s.get('pi5'), ['dtoverlay=uart0-pi5', 'dtoverlay=uart2-pi5', 'dtoverlay=cabine-booth-pi5']);
});
