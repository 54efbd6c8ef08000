// Power-cut soak: the harness of test/flows/powercut.test.ts for many cycles (default 200).
//   node --import tsx bench/soak-powercut.ts [--cycles N] [--seed N] [--keep]
// Prints one line per cycle on stderr, then the counts as JSON on stdout; exit 1 on any
// violated invariant (the data dir is then kept for a look).
import { parseArgs } from 'node:util';
import { runPowercut } from '../test/flows/powercut-harness.ts';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: process.env.CABINE_POWERCUT_CYCLES ?? '200' },
    seed: { type: 'string', default: process.env.CABINE_POWERCUT_SEED ?? String(Date.now() % 1_000_000_007) },
    keep: { type: 'boolean', default: false },
  },
});
const cycles = Number(values.cycles);
const seed = Number(values.seed);
if (!Number.isInteger(cycles) || cycles < 1) throw new Error(`--cycles must be a positive integer, got ${values.cycles}`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);

const t0 = Date.now();
const result = await runPowercut({ cycles, seed, keep: values.keep, log: (line) => process.stderr.write(line + '\n') });
const seconds = (Date.now() - t0) / 1000;
const { acceptor: _acceptor, ...counts } = result;
process.stdout.write(
  JSON.stringify(
    {
      seed,
      seconds: Math.round(seconds),
      secondsPerCycle: Number((seconds / cycles).toFixed(2)),
      ...counts,
      violations: result.violations.length,
      details: result.violations.slice(0, 20),
    },
    null,
    2,
  ) + '\n',
);
if (result.violations.length > 0) process.exitCode = 1;
