// Mutation testing (StrykerJS, tap runner under tsx, TypeScript checker) of the money and code
// paths: docs/testing.md. Not in CI (minutes per module). One module at a time keeps a run
// short, with only the tests that exercise it:
//   MUTATION=codes npm run mutation        (several: MUTATION=codes,ledger; all: no MUTATION)
import process from 'node:process';

const MODULES = {
  codes: { mutate: ['src/codes/code.ts'], tests: ['test/codes/known-good.test.ts'] },
  ledger: { mutate: ['src/payment/ledger.ts'], tests: ['test/payment/ledger.test.ts', 'test/payment/coin-journal-atomic.test.ts'] },
  // card.test.ts: the desk's card-payment paths (approvals, charge on delivery, release, void);
  // coins-lost.test.ts: the coin-gap incident the desk records (recordGap), across processes;
  // desk-incidents.test.ts: the same in process (Stryker's per-test coverage sees it);
  // desk-apply.test.ts: the acceptance loop (what is re-sent, what the screen hears) and change.
  desk: { mutate: ['src/payment/desk.ts'], tests: ['test/payment/desk-rules.test.ts', 'test/payment/desk.test.ts', 'test/payment/refund.test.ts', 'test/payment/coin-journal-atomic.test.ts', 'test/payment/card.test.ts', 'test/payment/coins-lost.test.ts', 'test/payment/desk-incidents.test.ts', 'test/payment/desk-apply.test.ts'] },
  acceptor: {
    mutate: ['src/hal/coin-acceptor/acceptor.ts', 'src/hal/coin-acceptor/frame.ts', 'src/hal/coin-acceptor/link.ts'],
    // Fast in-process tests; the contract suite (test/hal/contracts/, also over a real pty) is left out: too slow per mutant.
    tests: ['test/hal/cctalk-link.test.ts', 'test/hal/coin-counter.test.ts', 'test/hal/coin-acceptor-driver.test.ts'],
  },
  // The driver alone (acceptor.ts: event counter, credits, alarms, inhibits, reconnection): the
  // 'acceptor' run without the link and frames, which 'cctalk' measures.
  driver: { mutate: ['src/hal/coin-acceptor/acceptor.ts'], tests: ['test/hal/coin-counter.test.ts', 'test/hal/coin-acceptor-driver.test.ts'] },
  // The ccTalk link and frames alone (a shorter run than the whole acceptor).
  cctalk: {
    mutate: ['src/hal/coin-acceptor/link.ts', 'src/hal/coin-acceptor/frame.ts'],
    tests: ['test/hal/cctalk-link.test.ts', 'test/hal/coin-acceptor-driver.test.ts'],
  },
  outbox: { mutate: ['src/store/outbox.ts'], tests: ['test/fleet/outbox.test.ts', 'test/fleet/records-puback.test.ts'] },
  records: { mutate: ['src/fleet/records.ts'], tests: ['test/fleet/record-verify.test.ts'] },
  // The verification itself; verify-pool.ts (threads, chunking, respawn) is left to its own
  // tests (test/fleet/verify-pool.test.ts, 30 s a run: too slow to re-run per mutant).
  verify: { mutate: ['src/fleet/operator/verify-record.ts'], tests: ['test/fleet/record-verify.test.ts', 'test/fleet/verify-key.test.ts'] },
  vision: { mutate: ['src/vision/limits.ts', 'src/vision/frame.ts'], tests: ['test/vision/limits-both-sides.test.ts', 'test/vision/frame.test.ts', 'test/vision/geometry.test.ts'] },
};

const chosen = (process.env.MUTATION ?? Object.keys(MODULES).join(',')).split(',').map((name) => {
  const module = MODULES[name.trim()];
  if (!module) throw new Error(`MUTATION: unknown module "${name}" (one of ${Object.keys(MODULES).join(', ')})`);
  return module;
});

export default {
  packageManager: 'npm',
  testRunner: 'tap',
  tap: {
    testFiles: [...new Set(chosen.flatMap((m) => m.tests))],
    nodeArgs: ['--import', 'tsx', '-r', '{{hookFile}}', '{{testFile}}'],
    forceBail: true,
  },
  // CABINE_MUTATION_CHECK=0 skips the type check of each mutant (faster on a loaded machine;
  // a mutant that does not compile is then run, and usually killed, instead of discarded).
  checkers: process.env.CABINE_MUTATION_CHECK === '0' ? [] : ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // CABINE_MUTATION_EXCLUDE=StringLiteral (comma-separated mutator names): e.g. the vision
  // limits, whose strings are the documented sources printed in docs/vision.md, not behaviour.
  // No mutant inside log calls (stryker.log-ignorer.mjs: log lines are for people, not behaviour).
  appendPlugins: ['./stryker.log-ignorer.mjs'],
  ignorers: ['LogCalls'],
  mutator: { excludedMutations: (process.env.CABINE_MUTATION_EXCLUDE ?? '').split(',').filter(Boolean) },
  // The machine is shared: one checker and one test runner (CABINE_MUTATION_CONCURRENCY).
  concurrency: Number(process.env.CABINE_MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 60000,
  mutate: [...new Set(chosen.flatMap((m) => m.mutate))],
  ignorePatterns: ['models', 'native/libcamera/build', 'docs', 'bench', 'firmware', 'provisioning', 'systemd', 'assets', '.stryker-tmp', 'reports'],
  // event-recorder: one JSON file per tested mutant as it is tested (a long run's survivors can
  // be read before it ends: grep -l '"Survived"' reports/mutation/<module>-events/*).
  reporters: ['clear-text', 'progress-append-only', 'json', 'event-recorder'],
  jsonReporter: { fileName: `reports/mutation/${process.env.MUTATION ?? 'all'}.json` },
  eventReporter: { baseDir: `reports/mutation/${process.env.MUTATION ?? 'all'}-events` },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
