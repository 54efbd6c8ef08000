// A small IPP client over HTTP (RFC 8010 §4: an IPP request is an HTTP POST with
// Content-Type application/ipp to the printer URI, ipp:// mapped to http:// port 631).
// Read operations are retried on transport errors; Print-Job never is, because a retry after
// a lost response could print twice: the print queue finds such a job by its name instead.
import { sleep, systemClock, type Clock } from '../clock.ts';
import {
  GroupTag,
  Operation,
  ValueTag,
  decodeMessage,
  encodeMessage,
  groupAttributes,
  statusName,
  type IppAttribute,
  type IppMessage,
  type OutAttribute,
  type OutGroup,
} from './ipp-codec.ts';

export interface IppClientOptions {
  /** Per-request timeout (connect, send, answer). */
  timeoutMs?: number;
  /** Extra attempts of read operations after a transport error. */
  retries?: number;
  /** Pause before each retry, doubled every time. */
  retryDelayMs?: number;
  userName?: string;
  /** Retry pauses run on this clock. */
  clock?: Clock;
}

/** The printer answered with a non-successful IPP status. */
export class IppStatusError extends Error {
  constructor(
    readonly status: number,
    readonly operation: string,
    detail?: string,
  ) {
    super(`${operation}: printer answered ${statusName(status)}${detail ? ` (${detail})` : ''}`);
    this.name = 'IppStatusError';
  }
}

/** The printer could not be reached or did not answer in time. */
export class IppTransportError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IppTransportError';
  }
}

/** `ipp://host[:port]/path` → `http://host:port/path` (ipps → https, port 631 by default). */
export function httpUrlOf(printerUri: string): string {
  let url: URL;
  try {
    url = new URL(printerUri);
  } catch {
    throw new Error(`printer URI "${printerUri}" is not a URI`);
  }
  if (url.protocol !== 'ipp:' && url.protocol !== 'ipps:') throw new Error(`printer URI "${printerUri}" must start with ipp:// or ipps://`);
  const scheme = url.protocol === 'ipps:' ? 'https' : 'http';
  return `${scheme}://${url.hostname}:${url.port || '631'}${url.pathname}${url.search}`;
}

const NAME_OF: Record<number, string> = Object.fromEntries(Object.entries(Operation).map(([k, v]) => [v, k]));

let nextRequestId = 1;

export class IppClient {
  readonly httpUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly userName: string;
  private readonly clock: Clock;

  constructor(
    readonly printerUri: string,
    options: IppClientOptions = {},
  ) {
    this.httpUrl = httpUrlOf(printerUri);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.userName = options.userName ?? 'cabine';
    this.clock = options.clock ?? systemClock;
  }

  private operationAttributes(extra: OutAttribute[]): OutGroup {
    return {
      tag: GroupTag.operation,
      attributes: [
        { name: 'attributes-charset', tag: ValueTag.charset, values: ['utf-8'] },
        { name: 'attributes-natural-language', tag: ValueTag.naturalLanguage, values: ['en'] },
        { name: 'printer-uri', tag: ValueTag.uri, values: [this.printerUri] },
        { name: 'requesting-user-name', tag: ValueTag.nameWithoutLanguage, values: [this.userName] },
        ...extra,
      ],
    };
  }

  /** One request/response exchange; throws IppTransportError or IppStatusError. */
  async send(operation: number, groups: OutGroup[], data?: Buffer, options: { idempotent?: boolean; signal?: AbortSignal } = {}): Promise<IppMessage> {
    const opName = NAME_OF[operation] ?? `operation 0x${operation.toString(16)}`;
    const body = encodeMessage({ code: operation, requestId: nextRequestId++ & 0x7fffffff || 1, groups, ...(data ? { data } : {}) });
    const attempts = options.idempotent ? this.retries + 1 : 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(this.clock, this.retryDelayMs * 2 ** (attempt - 1), options.signal);
      options.signal?.throwIfAborted();
      let bytes: Buffer;
      try {
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
        const res = await fetch(this.httpUrl, { method: 'POST', headers: { 'content-type': 'application/ipp' }, body, signal });
        bytes = Buffer.from(await res.arrayBuffer());
        if (!res.ok) {
          lastError = new IppTransportError(`${opName} to ${this.printerUri}: HTTP ${res.status} ${res.statusText}`);
          if (res.status >= 500) continue;
          throw lastError;
        }
        if (!/^application\/ipp\b/i.test(res.headers.get('content-type') ?? '')) {
          throw new IppTransportError(`${opName} to ${this.printerUri}: answer is ${res.headers.get('content-type') ?? 'untyped'}, not application/ipp`);
        }
      } catch (err) {
        if (options.signal?.aborted) throw options.signal.reason;
        if (err instanceof IppTransportError) throw err; // a definite answer that is not IPP: no retry
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
        lastError = new IppTransportError(`${opName} to ${this.printerUri}: ${why}`, { cause: err });
        continue;
      }
      const message = decodeMessage(bytes);
      if (message.code >= 0x0100) {
        const op = groupAttributes(message, GroupTag.operation);
        const detail = firstString(op.get('status-message'));
        throw new IppStatusError(message.code, opName, detail);
      }
      return message;
    }
    throw lastError;
  }

  async getPrinterAttributes(requested: readonly string[], signal?: AbortSignal): Promise<Map<string, IppAttribute>> {
    const group = this.operationAttributes([{ name: 'requested-attributes', tag: ValueTag.keyword, values: [...requested] }]);
    const res = await this.send(Operation.getPrinterAttributes, [group], undefined, { idempotent: true, ...(signal ? { signal } : {}) });
    return groupAttributes(res, GroupTag.printer);
  }

  /** Print-Job: sends the document, returns the job attributes (job-id, job-state...). */
  async printJob(
    document: Buffer,
    params: { format: string; jobName: string; jobAttributes?: OutAttribute[] },
    signal?: AbortSignal,
  ): Promise<Map<string, IppAttribute>> {
    const groups: OutGroup[] = [
      this.operationAttributes([
        { name: 'job-name', tag: ValueTag.nameWithoutLanguage, values: [params.jobName] },
        { name: 'document-format', tag: ValueTag.mimeMediaType, values: [params.format] },
      ]),
    ];
    if (params.jobAttributes?.length) groups.push({ tag: GroupTag.job, attributes: params.jobAttributes });
    const res = await this.send(Operation.printJob, groups, document, signal ? { signal } : {});
    return groupAttributes(res, GroupTag.job);
  }

  async getJobAttributes(jobId: number, requested: readonly string[], signal?: AbortSignal): Promise<Map<string, IppAttribute>> {
    const group = this.operationAttributes([
      { name: 'job-id', tag: ValueTag.integer, values: [jobId] },
      { name: 'requested-attributes', tag: ValueTag.keyword, values: [...requested] },
    ]);
    const res = await this.send(Operation.getJobAttributes, [group], undefined, { idempotent: true, ...(signal ? { signal } : {}) });
    return groupAttributes(res, GroupTag.job);
  }

  /**
   * Get-Jobs: one attribute map per job of this requesting-user-name (my-jobs: a shared CUPS
   * queue hides other users' job-names, and another user's job of the same name is not ours).
   * `which` is "completed" or "not-completed".
   */
  async getJobs(which: 'completed' | 'not-completed', requested: readonly string[], signal?: AbortSignal): Promise<Map<string, IppAttribute>[]> {
    const group = this.operationAttributes([
      { name: 'which-jobs', tag: ValueTag.keyword, values: [which] },
      { name: 'my-jobs', tag: ValueTag.boolean, values: [true] },
      { name: 'requested-attributes', tag: ValueTag.keyword, values: [...requested] },
    ]);
    const res = await this.send(Operation.getJobs, [group], undefined, { idempotent: true, ...(signal ? { signal } : {}) });
    const jobs: Map<string, IppAttribute>[] = [];
    res.groups.forEach((g, i) => {
      if (g.tag === GroupTag.job) jobs.push(groupAttributes({ ...res, groups: [res.groups[i] as typeof g] }, GroupTag.job));
    });
    return jobs;
  }

  async cancelJob(jobId: number, signal?: AbortSignal): Promise<void> {
    const group = this.operationAttributes([{ name: 'job-id', tag: ValueTag.integer, values: [jobId] }]);
    await this.send(Operation.cancelJob, [group], undefined, signal ? { signal } : {});
  }
}

/** The first value of an attribute as a string (text, name, keyword...), if it is one. */
export function firstString(attr: IppAttribute | undefined): string | undefined {
  const v = attr?.values[0];
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'text' in v && typeof v.text === 'string') return v.text;
  return undefined;
}

export function strings(attr: IppAttribute | undefined): string[] {
  return (attr?.values ?? []).flatMap((v) => (typeof v === 'string' ? [v] : v && typeof v === 'object' && 'text' in v && typeof v.text === 'string' ? [v.text] : []));
}

/** Every value as text, octet strings included (printer-supply, printer-input-tray: UTF-8 key=value lists). */
export function texts(attr: IppAttribute | undefined): string[] {
  return [...strings(attr), ...(attr?.values ?? []).flatMap((v) => (Buffer.isBuffer(v) ? [v.toString('utf8')] : []))];
}

export function numbers(attr: IppAttribute | undefined): number[] {
  return (attr?.values ?? []).filter((v): v is number => typeof v === 'number');
}

export function firstNumber(attr: IppAttribute | undefined): number | undefined {
  const v = attr?.values[0];
  return typeof v === 'number' ? v : undefined;
}

export function firstBoolean(attr: IppAttribute | undefined): boolean | undefined {
  const v = attr?.values[0];
  return typeof v === 'boolean' ? v : undefined;
}
