// A job the collector runs now and then every `everyMs` (purge, push): one pass at a time, a
// failed pass logged and retried at the next tick, `stop()` waiting for the pass under way.
import type { Logger } from '../log.ts';

export function runPeriodically(pass: () => Promise<void>, everyMs: number, logger: Logger, what: string): { stop(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const tick = () => {
    running = running
      .then(() => (stopped ? undefined : pass()))
      .catch((err: Error) => logger.error({ message: err.message }, `${what} pass failed; next pass retries`));
  };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
