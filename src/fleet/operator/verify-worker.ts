// A verification worker of the ingest (verify-pool.ts): receives chunks of deliveries with the
// booth's enrolled public key (SPKI DER) and answers each with its verdict (verify-record.ts).
// Keys are parsed once per booth and kept while the booth's key stays the same.
import { parentPort } from 'node:worker_threads';
import { keyCache, verifyRecord, type Verdict } from './verify-record.ts';

export interface VerifyJob {
  seq: number;
  booth: string;
  payload: Uint8Array;
  /** SPKI DER of the booth's enrolled key; null when the booth is not enrolled. */
  key: Uint8Array | null;
}

export interface VerifyRequest {
  jobs: VerifyJob[];
}

export interface VerifyReply {
  results: { seq: number; verdict: Verdict }[];
}

/** Sent once, when the worker has loaded: a worker that dies after this crashed, it did not fail to start. */
export interface VerifyReady {
  ready: true;
}

const keyOf = keyCache();

function verdictOf(job: VerifyJob): Verdict {
  try {
    return verifyRecord(job.booth, job.payload, keyOf(job.booth, job.key));
  } catch (err) {
    // verifyRecord does not throw on bad input; a throw here is a bug or a bad key, reported as a reject
    return { ok: false, booth: job.booth, reason: `verification failed: ${(err as Error).message}` };
  }
}

const port = parentPort;
if (!port) throw new Error('verify-worker.ts runs as a worker thread of the ingest (verify-pool.ts)');
port.on('message', (request: VerifyRequest) => {
  const reply: VerifyReply = { results: request.jobs.map((job) => ({ seq: job.seq, verdict: verdictOf(job) })) };
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies VerifyReady);
