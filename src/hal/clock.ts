// The timers a driver uses (debounce, fades, settle delays, retries), injectable so tests
// step time with a fake clock (@sinonjs/fake-timers `createClock()` fits) instead of waiting.

export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin). */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolves after `ms` on `clock`; rejects with the signal's reason if it is aborted first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `fn` every `ms` on `clock` until the returned function is called: a chain of timeouts,
 * so a fake clock steps it like any timer. `unref`: a periodic poll does not keep the process alive.
 */
export function every(clock: Clock, ms: number, fn: () => void, options: { unref?: boolean } = {}): () => void {
  let stopped = false;
  let handle: unknown;
  const arm = () => {
    handle = clock.setTimeout(tick, ms);
    if (options.unref) (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  const tick = () => {
    if (stopped) return;
    fn();
    if (!stopped) arm();
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}
