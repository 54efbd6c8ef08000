// Where the ingest verifies records: on its own thread (`inlineVerifier`, workers = 0) or on a
// pool of worker threads (`createVerifyPool`), so Ed25519 verification, JSON parsing and file
// hashing use every core while storage and acks stay in order on the main thread.
// Deliveries are sent to the workers in chunks (one postMessage per chunk, not per record).
// A booth's deliveries go to one worker (by a hash of its id) unless that worker is a chunk
// behind the least busy one: each worker then parses a booth's key once (OpenSSL 3 takes
// ~0.2 ms per key, more than the signature check) and a backlog still spreads over all. A worker that dies is replaced
// and the jobs it held are verified again in quarantine: one fresh worker at a time, halving the
// group each time a worker dies on it, until the record that kills a worker is alone: that one
// is rejected, every honest record beside it is verified as usual. So one poisonous payload
// can neither take the ingest down in a loop nor take honest records down with it.
// Hand-written rather than a pool library (piscina, workerpool): what is needed is ~150 lines
// (chunking, respawn) and the worker must load TypeScript through tsx, which the ingest sets
// up itself (see `bootstrap`).
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.ts';
import { keyCache, verifyRecord, type Verdict, type VerifyKey } from './verify-record.ts';
import type { VerifyJob, VerifyReady, VerifyReply, VerifyRequest } from './verify-worker.ts';

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
  resolve: (verdict: Verdict) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
  /** Has said it is ready (a worker that dies before that did not start). */
  started: boolean;
  lastError?: Error;
}

export interface VerifyPoolOptions {
  /** Longest a delivery waits for others to fill a chunk (default 4 ms; the ingest's batches wait 10). */
  gatherMs?: number;
  /**
   * Heap bound of each worker, in MB (default 512): a record whose verification needs more kills
   * only its worker (ERR_WORKER_OUT_OF_MEMORY), never the ingest, and goes to quarantine.
   */
  maxHeapMb?: number;
  /** Told of each worker started (index, and the thread): for supervision and the respawn test. */
  onSpawn?: (index: number, worker: Worker) => void;
}

export function createVerifyPool(size: number, logger: Logger, options: VerifyPoolOptions = {}): RecordVerifier {
  const gatherMs = options.gatherMs ?? 4;
  if (!Number.isInteger(size) || size < 1 || size > 256) throw new Error(`verification workers must be 1 to 256, got ${size}`);
  const log = logger.child({ module: 'fleet.verify' });
  const code = bootstrap();
  const resourceLimits = { maxOldGenerationSizeMb: options.maxHeapMb ?? 512 };
  const slots: Slot[] = [];
  const waiting: Job[] = [];
  const ders = new WeakMap<KeyObject, Buffer>();
  let seq = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let failedStarts = 0;
  let broken: Error | undefined;
  /** The records of dead workers, verified one group at a time (see `quarantine`). */
  let quarantined: Promise<void> = Promise.resolve();

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
    const worker = new Worker(code, { eval: true, name: `cabine-verify-${index}`, resourceLimits });
    const slot: Slot = { worker, jobs: new Map(), started: false };
    slots[index] = slot;
    options.onSpawn?.(index, worker);
    worker.on('message', (reply: VerifyReply | VerifyReady) => {
      slot.started = true;
      failedStarts = 0;
      if ('ready' in reply) return;
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
      log.error({ worker: index, exitCode, jobs: orphans.length }, 'verification worker exited; starting another, its records go to quarantine');
      spawn(index);
      if (orphans.length > 0) quarantined = quarantined.then(() => quarantine(orphans));
    });
  };

  /** Verifies `jobs` in a worker of their own; undefined when that worker dies first. */
  const isolated = (jobs: Job[]): Promise<VerifyReply | undefined> =>
    new Promise((resolve) => {
      const worker = new Worker(code, { eval: true, name: 'cabine-verify-quarantine', resourceLimits });
      worker.on('message', (reply: VerifyReply | VerifyReady) => {
        if ('ready' in reply) return;
        resolve(reply);
        void worker.terminate();
      });
      worker.once('error', () => undefined);
      worker.once('exit', () => resolve(undefined));
      worker.postMessage({ jobs: jobs.map((j) => ({ seq: j.seq, booth: j.booth, payload: j.payload, key: j.key })) } satisfies VerifyRequest);
    });

  const quarantine = async (jobs: Job[]): Promise<void> => {
    if (closed) return;
    const reply = await isolated(jobs);
    if (reply) {
      const bySeq = new Map(reply.results.map((r) => [r.seq, r.verdict]));
      for (const job of jobs) job.resolve(bySeq.get(job.seq) ?? { ok: false, booth: job.booth, reason: 'verification worker gave no verdict' });
    } else if (jobs.length === 1) {
      log.error({ booth: jobs[0]!.booth }, 'a record kills verification workers: rejected');
      jobs[0]!.resolve({ ok: false, booth: jobs[0]!.booth, reason: 'the record crashes the verification worker' });
    } else {
      const half = Math.ceil(jobs.length / 2);
      await quarantine(jobs.slice(0, half));
      await quarantine(jobs.slice(half));
    }
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
        waiting.push({ seq: seq++, booth, payload, key: derOf(key), resolve, reject });
        schedule();
      });
    },
    async close() {
      if (closed) return;
      // let what was handed in be answered first (bounded: a stuck worker must not hang the stop)
      const deadline = Date.now() + 10_000;
      while (!broken && (waiting.length > 0 || slots.some((s) => s.jobs.size > 0)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await Promise.race([quarantined, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
      closed = true;
      if (timer) clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      const stopped = new Error('the verification pool is closed');
      for (const job of [...waiting.splice(0), ...slots.flatMap((s) => [...s.jobs.values()])]) job.reject(stopped);
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
