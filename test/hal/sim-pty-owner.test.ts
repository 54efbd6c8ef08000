// A socat pty pair (src/hal/coin-acceptor/sim-pty.ts) ends with the process that owns it,
// however that process ends: its orderly close, process.exit without close, an uncaught error,
// a signal it does not handle (SIGTERM) and SIGKILL (no JavaScript runs: the kernel ends socat,
// PR_SET_PDEATHSIG). Before each end, the positive control: the owner's socat is found running
// (a child of the owner) and the host end is a real pty; after it, the test waits until no
// socat serving that pair is left (a zombie, dead but not yet reaped, counts as gone).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Child } from '../payment/helpers.ts';
import { until } from './coin-acceptor-harness.ts';

const fixture = new URL('./pty-owner.ts', import.meta.url).pathname;

/** Live processes (not zombies: a zombie's cmdline is empty) whose command line holds `arg`. */
function processesWith(arg: string): { pid: number; ppid: number; command: string }[] {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!command.includes(arg)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      found.push({ pid: Number(entry), ppid, command: command[0] ?? '' });
    } catch {
      // the process ended while being read
    }
  }
  return found;
}

const ends: { how: string; end: (owner: Child) => Promise<unknown>; removesDir: boolean }[] = [
  { how: 'close() then exit', end: (o) => (o.proc.stdin.write('close\n'), o.exited), removesDir: true },
  { how: 'process.exit without close', end: (o) => (o.proc.stdin.write('exit\n'), o.exited), removesDir: true },
  { how: 'an uncaught error', end: (o) => (o.proc.stdin.write('throw\n'), o.exited), removesDir: true },
  { how: 'SIGTERM, not handled', end: (o) => o.kill('SIGTERM'), removesDir: false },
  { how: 'SIGKILL', end: (o) => o.kill('SIGKILL'), removesDir: false },
];

for (const { how, end, removesDir } of ends) {
  t.test(`the owner ends by ${how}: its socat is gone`, async (t) => {
    const owner = new Child(spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['pipe', 'pipe', 'pipe'] }));
    let dir = '';
    let socatArg = '';
    t.teardown(async () => {
      await owner.kill('SIGKILL');
      // On failure, the socat this test made (its pair's unique path) is stopped here.
      if (socatArg) for (const left of processesWith(socatArg)) process.kill(left.pid, 'SIGTERM');
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const paths = await owner.line('pair ready', (l) => typeof l.devicePath === 'string');
    const devicePath = String(paths.devicePath);
    dir = dirname(devicePath);
    socatArg = `pty,raw,echo=0,link=${devicePath}`;
    const socat = processesWith(socatArg);
    t.equal(socat.length, 1, 'one socat serves the pair');
    t.equal(socat[0]?.command, 'socat', 'it is socat itself (setpriv has exec-ed it)');
    t.equal(socat[0]?.ppid, owner.proc.pid, 'a child of the owner');
    t.match(readlinkSync(String(paths.hostPath)), /^\/dev\/pts\/\d+$/, 'the host end is a real pty');

    await end(owner);
    await until(`socat ${socat[0]?.pid} gone`, () => processesWith(socatArg).length === 0, 10000);
    t.pass(`socat ${socat[0]?.pid} ended with its owner`);
    if (removesDir) t.notOk(existsSync(dir), 'the pair\'s directory is removed');
    t.notOk(existsSync(join(dir, 'host')), 'the host link is gone');
  });
}
