// Validation latency of this tree against another copy of the project (an earlier commit), in
// one process, alternating run by run (ABBA), so both see the same load on a shared machine:
// timing them in turn minutes apart compares the load more than the code. Prints wall and CPU
// (all threads of the process) median, p25 and min for a 2028x1520 capture, and whether both
// give the same report.
// Run: node --import tsx bench/vision-ab.ts OLD_ROOT [--runs N]
// OLD_ROOT: e.g. `git worktree add /tmp/old HEAD~1`, with its node_modules and models linked
// (`ln -s $PWD/node_modules $PWD/models /tmp/old/`).
import os from 'node:os';
import path from 'node:path';
import { boothCapture } from './vision-capture.ts';
import { silentLogger } from '../src/log.ts';
import { createValidator } from '../src/vision/validator.ts';
import type { Validator } from '../src/vision/validator.ts';

const args = process.argv.slice(2);
const oldRoot = args.find((a) => !a.startsWith('--'));
if (!oldRoot) {
  console.error('usage: node --import tsx bench/vision-ab.ts OLD_ROOT [--runs N]');
  process.exit(2);
}
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 40;
const oldModule = (await import(path.resolve(oldRoot, 'src/vision/validator.ts'))) as { createValidator: typeof createValidator };

const still = await boothCapture();
const validators: Record<'old' | 'new', Validator> = {
  old: await oldModule.createValidator({ logger: silentLogger() }),
  new: await createValidator({ logger: silentLogger() }),
};
const wall: Record<'old' | 'new', number[]> = { old: [], new: [] };
const cpu: Record<'old' | 'new', number[]> = { old: [], new: [] };
for (let i = 0; i < 4; i++) for (const v of Object.values(validators)) await v.validate(still);
for (let i = 0; i < runs; i++) {
  for (const k of i % 2 ? (['old', 'new'] as const) : (['new', 'old'] as const)) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await validators[k].validate(still);
    const c = process.cpuUsage(c0);
    cpu[k].push((c.user + c.system) / 1000);
    wall[k].push(performance.now() - t0);
  }
}
const a = await validators.old.validate(still);
const b = await validators.new.validate(still);
const sameVerdicts = JSON.stringify(a.checks.map((c) => [c.id, c.pass])) === JSON.stringify(b.checks.map((c) => [c.id, c.pass]));
const sameValues = JSON.stringify(a.checks.map((c) => c.value)) === JSON.stringify(b.checks.map((c) => c.value));
for (const v of Object.values(validators)) await v.close();

const stats = (v: number[]) => {
  const s = [...v].sort((p, q) => p - q);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { median: r(s[s.length >> 1]!), p25: r(s[s.length >> 2]!), min: r(s[0]!) };
};
console.log(JSON.stringify({
  size: '2028x1520',
  runs,
  old: { root: path.resolve(oldRoot), wallMs: stats(wall.old), cpuMs: stats(cpu.old) },
  new: { wallMs: stats(wall.new), cpuMs: stats(cpu.new) },
  sameVerdicts,
  sameValues,
  loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
  cpus: os.cpus().length,
}, null, 2));
