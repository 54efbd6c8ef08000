// Where the ingest verifies records: on its own thread (`inlineVerifier`, workers = 0) or on a
// pool of worker threads (`createVerifyPool`), so Ed25519 verification, JSON parsing and file
// hashing use every core while storage and acks stay in order on the main thread.
// Deliveries are sent to the workers in chunks (one postMessage per chunk, not per record).
// A booth's deliveries go to one worker (by a hash of its id) unless that worker is a chunk
// behind the least busy one: each worker then parses a booth's key once (OpenSSL 3 takes
// ~0.2 ms per key, more than the signature check) and a backlog still spreads over all. A worker that dies is replaced
// and its jobs are verified again by another one (verification is a pure function); a job
// that has been in two dead workers is answered as a reject, so one poisonous payload cannot
// take the ingest down in a loop.
// Hand-written rather than a pool library (piscina, workerpool): what is needed is ~150 lines
// (chunking, respawn) and the worker must load TypeScript through tsx, which the ingest sets
// up itself (see `bootstrap`).
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.ts';
import { keyCache, verifyRecord, type Verdict, type VerifyKey } from './verify-record.ts';
import type { VerifyJob, VerifyReply, VerifyRequest } from './verify-worker.ts';

export interface RecordVerifier {
  /** Worker threads verifying (0: on the caller's thread). */
  readonly workers: number;
  /**
   * The verdict on one delivery on `cabine/v1/<booth>/records`; `key`: the booth's enrolled key,
   * parsed or as SPKI DER bytes (FleetStore.boothKeyDer: the ingest's main thread never parses keys).
   */
  verify(booth: string, payload: Buffer, key: VerifyKey): Promise<Verdict>;
  close(): Promise<void>;
}

/** Verification on the calling thread (no pool). */
export function inlineVerifier(): RecordVerifier {
  return {
    workers: 0,
    verify: (() => {
      const keyOf = keyCache();
      return (booth: string, payload: Buffer, key: VerifyKey) => {
        try {
          return Promise.resolve(verifyRecord(booth, payload, keyOf(booth, key)));
        } catch (err) {
          return Promise.resolve<Verdict>({ ok: false, booth, reason: `verification failed: ${(err as Error).message}` });
        }
      };
    })(),
    close: () => Promise.resolve(),
  };
}

/** Default pool size: one worker per core. */
export function defaultVerifyWorkers(): number {
  return availableParallelism();
}

const CHUNK = 64;

// A worker is an eval'd CommonJS snippet that loads verify-worker.ts through tsx's require hook
// (resolved to an absolute path here, so it works from any working directory). tsx's ESM hooks
// do not reach worker threads on Node 20 (neither inherited `--import tsx` nor `register()`
// inside the worker), its CommonJS hook does; the worker's modules have no top-level await.
function bootstrap(): string {
  const workerFile = fileURLToPath(new URL('./verify-worker.ts', import.meta.url));
  const tsxCjs = fileURLToPath(import.meta.resolve('tsx/cjs/api'));
  return `require(${JSON.stringify(tsxCjs)}).register();\nrequire(${JSON.stringify(workerFile)});\n`;
}

interface Job {
  seq: number;
  booth: string;
  payload: Buffer;
  key: Buffer | null;
  tries: number;
  resolve: (verdict: Verdict) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
  /** Has answered at least once (a worker that dies before that did not start). */
  started: boolean;
  lastError?: Error;
}

export interface VerifyPoolOptions {
  /** Longest a delivery waits for others to fill a chunk (default 4 ms; the ingest's batches wait 10). */
  gatherMs?: number;
  /** Told of each worker started (index, and the thread): for supervision and the respawn test. */
  onSpawn?: (index: number, worker: Worker) => void;
}

export function createVerifyPool(size: number, logger: Logger, options: VerifyPoolOptions = {}): RecordVerifier {
  const gatherMs = options.gatherMs ?? 4;
  if (!Number.isInteger(size) || size < 1 || size > 256) throw new Error(`verification workers must be 1 to 256, got ${size}`);
  const log = logger.child({ module: 'fleet.verify' });
  const code = bootstrap();
  const slots: Slot[] = [];
  const waiting: Job[] = [];
  const ders = new WeakMap<KeyObject, Buffer>();
  let seq = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let failedStarts = 0;
  let broken: Error | undefined;

  const derOf = (key: VerifyKey): Buffer | null => {
    if (!key) return null;
    if (key instanceof Uint8Array) return Buffer.isBuffer(key) ? key : Buffer.from(key);
    let der = ders.get(key);
    if (!der) {
      der = key.export({ type: 'spki', format: 'der' });
      ders.set(key, der);
    }
    return der;
  };

  const spawn = (index: number): void => {
    const worker = new Worker(code, { eval: true, name: `cabine-verify-${index}` });
    const slot: Slot = { worker, jobs: new Map(), started: false };
    slots[index] = slot;
    options.onSpawn?.(index, worker);
    worker.on('message', (reply: VerifyReply) => {
      slot.started = true;
      failedStarts = 0;
      for (const { seq: s, verdict } of reply.results) {
        const job = slot.jobs.get(s);
        if (!job) continue;
        slot.jobs.delete(s);
        job.resolve(verdict);
      }
    });
    worker.on('error', (err) => {
      slot.lastError = err;
      log.error({ err, worker: index }, 'verification worker failed');
    });
    worker.on('exit', (exitCode) => {
      if (closed || broken) return;
      const orphans = [...slot.jobs.values()];
      slot.jobs.clear();
      if (!slot.started && ++failedStarts >= 3) {
        // workers cannot even start (a broken install): fail loudly rather than respawn forever
        broken = new Error(`verification workers cannot start: ${slot.lastError?.message ?? `exit code ${exitCode}`}`);
        log.error({ err: broken }, 'verification pool broken');
        for (const job of [...orphans, ...waiting.splice(0), ...slots.flatMap((s) => [...s.jobs.values()])]) job.reject(broken);
        for (const s of slots) void s.worker.terminate();
        return;
      }
      log.error({ worker: index, exitCode, jobs: orphans.length }, 'verification worker exited; starting another');
      spawn(index);
      for (const job of orphans) {
        job.tries++;
        if (job.tries >= 2) job.resolve({ ok: false, booth: job.booth, reason: 'verification worker crashed twice on this record' });
        else waiting.push(job);
      }
      schedule();
    });
  };

  const home = (booth: string): number => {
    let h = 2166136261; // FNV-1a
    for (let i = 0; i < booth.length; i++) h = Math.imul(h ^ booth.charCodeAt(i), 16777619);
    return (h >>> 0) % slots.length;
  };

  const dispatch = (): void => {
    if (timer) clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
    timer = undefined;
    immediate = undefined;
    const load = slots.map((s) => s.jobs.size);
    const chunks: VerifyJob[][] = slots.map(() => []);
    for (const job of waiting.splice(0)) {
      let target = home(job.booth);
      const least = load.indexOf(Math.min(...load));
      if (load[target]! > load[least]! + CHUNK) target = least;
      load[target]!++;
      slots[target]!.jobs.set(job.seq, job);
      chunks[target]!.push({ seq: job.seq, booth: job.booth, payload: job.payload, key: job.key });
    }
    chunks.forEach((jobs, i) => {
      for (let at = 0; at < jobs.length; at += CHUNK) {
        const request: VerifyRequest = { jobs: jobs.slice(at, at + CHUNK) };
        slots[i]!.worker.postMessage(request);
      }
    });
  };

  // A full chunk per worker goes at once; a trickle waits up to gatherMs to fill chunks, since
  // each postMessage costs a wake-up on both sides (measured: ~100 us CPU per record with
  // chunks of one or two at 2,000 records/s, bench/fleet-load.ts).
  function schedule(): void {
    if (closed || immediate) return;
    if (waiting.length >= CHUNK * slots.length) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      immediate = setImmediate(dispatch);
    } else if (!timer) {
      timer = setTimeout(dispatch, gatherMs);
    }
  }

  for (let i = 0; i < size; i++) spawn(i);

  return {
    workers: size,
    verify(booth, payload, key) {
      if (broken) return Promise.reject(broken);
      if (closed) return Promise.reject(new Error('the verification pool is closed'));
      return new Promise<Verdict>((resolve, reject) => {
        waiting.push({ seq: seq++, booth, payload, key: derOf(key), tries: 0, resolve, reject });
        schedule();
      });
    },
    async close() {
      if (closed) return;
      // let what was handed in be answered first (bounded: a stuck worker must not hang the stop)
      const deadline = Date.now() + 10_000;
      while (!broken && (waiting.length > 0 || slots.some((s) => s.jobs.size > 0)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      closed = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      const stopped = new Error('the verification pool is closed');
      for (const job of [...waiting.splice(0), ...slots.flatMap((s) => [...s.jobs.values()])]) job.reject(stopped);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
