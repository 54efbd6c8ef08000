// The console side of the control socket: typed requests with a timeout, live subscriptions,
// and every answer validated before the console shows it. Connects lazily and again after
// the booth restarts; the session the booth granted at login (a token, kept in memory only)
// is resumed on the new connection, so a console left open survives `restart`.
import { createConnection, type Socket } from 'node:net';
import type { z } from 'zod';
import { LineSplitter } from './lines.ts';
import {
  describeZodError,
  MAX_MESSAGE_BYTES,
  methods,
  serverMessageSchema,
  sessionMethods,
  subscribeResultSchema,
  topics,
  type MethodName,
  type MethodParamsInput,
  type MethodResult,
  type SessionMethodName,
  type SessionMethodParams,
  type SessionMethodResult,
  type TopicEvent,
  type TopicInfo,
  type TopicName,
} from './protocol.ts';

export class BoothUnreachableError extends Error {}
/** The booth no longer knows this console's session (expired while it was away): log in again. */
export class SessionEndedError extends Error {}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface Subscription<T extends TopicName> {
  info: TopicInfo<T>;
  /** Ends the live test on the booth (inhibits the acceptor...). */
  stop(): Promise<void>;
}

/** Requests that take a while on the booth (a still + validation, a print job). */
const SLOW: ReadonlySet<string> = new Set(['cameraTest', 'printTest', 'outboxFlush']);

export class ControlClient {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<number, (data: unknown) => void>();
  /** The session granted at login, resumed on each new connection. */
  private session: { token: string; port: string } | undefined;
  private sessionLost = false;

  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 10_000,
    private readonly slowTimeoutMs = 120_000,
  ) {}

  private connect(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const socket = createConnection(this.socketPath);
      const splitter = new LineSplitter(MAX_MESSAGE_BYTES, (line) => this.onLine(line), () => this.failAll(new Error('the booth sent an over-long message')));
      socket.once('connect', () => {
        const session = this.session;
        if (!session) {
          this.socket = socket;
          this.connecting = undefined;
          resolve(socket);
          return;
        }
        // A new connection (the booth restarted): resume the session before anything else.
        this.exchange(socket, 'resume', { token: session.token, port: session.port })
          .then((raw) => {
            this.socket = socket;
            this.connecting = undefined;
            const resumed = sessionMethods.resume.result.safeParse(raw);
            if (!resumed.success || !resumed.data.resumed) {
              this.session = undefined;
              this.sessionLost = true;
            }
            resolve(socket);
          })
          .catch((err: unknown) => {
            this.connecting = undefined;
            reject(err instanceof Error ? err : new Error(String(err)));
          });
      });
      socket.on('data', (chunk: Buffer) => splitter.push(chunk));
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (this.connecting) {
          this.connecting = undefined;
          const why = err.code === 'ENOENT' ? 'no socket (is the booth running?)' : err.code === 'ECONNREFUSED' ? 'nobody listening (the booth is not running)' : err.message;
          reject(new BoothUnreachableError(`booth not reachable at ${this.socketPath}: ${why}`));
        }
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined;
        this.listeners.clear();
        this.failAll(new BoothUnreachableError('connection to the booth lost'));
      });
    });
    return this.connecting;
  }

  private failAll(error: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(error);
    }
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return; // not ours to answer; the request will time out with a clear message
    }
    const message = serverMessageSchema.safeParse(raw);
    if (!message.success) return;
    const m = message.data;
    if ('event' in m) {
      this.listeners.get(m.subscription)?.(m.data);
      return;
    }
    if (m.id === null) return;
    const pending = this.pending.get(m.id);
    if (!pending) return;
    this.pending.delete(m.id);
    clearTimeout(pending.timer);
    if (m.ok) pending.resolve(m.result);
    else pending.reject(new Error(m.error));
  }

  private async send(method: string, params: unknown): Promise<unknown> {
    const socket = await this.connect();
    if (this.sessionLost && !Object.hasOwn(sessionMethods, method)) {
      this.sessionLost = false;
      throw new SessionEndedError('the booth ended this console session (it expired while the booth was away); log in again');
    }
    return this.exchange(socket, method, params);
  }

  private exchange(socket: Socket, method: string, params: unknown): Promise<unknown> {
    const id = this.nextId++;
    const timeoutMs = SLOW.has(method) ? this.slowTimeoutMs : this.timeoutMs;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the booth did not answer ${method} within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      socket.write(JSON.stringify({ id, method, params }) + '\n');
    });
  }

  /** Login, logout and the login state, answered by the booth's gate (validated too). */
  async sessionRequest<M extends SessionMethodName>(method: M, params: SessionMethodParams<M>): Promise<SessionMethodResult<M>> {
    const result = await this.send(method, params);
    const checked = (sessionMethods[method].result as z.ZodType).safeParse(result);
    if (!checked.success) throw new Error(`the booth answered an invalid ${method}: ${describeZodError(checked.error)}`);
    return checked.data as SessionMethodResult<M>;
  }

  /** Sends the PIN; on success the booth's session token is kept (in memory) for reconnections. */
  async login(pin: string, port: string): Promise<SessionMethodResult<'login'>> {
    const result = await this.sessionRequest('login', { pin, port });
    if (result.outcome === 'ok') {
      this.session = { token: result.token, port };
      this.sessionLost = false;
    }
    return result;
  }

  /** Ends the session on the booth (which records why); the token is forgotten either way. */
  async logout(reason: 'logout' | 'idle-timeout' | 'disconnect'): Promise<void> {
    const had = this.session !== undefined;
    this.session = undefined;
    this.sessionLost = false;
    if (had) await this.sessionRequest('logout', { reason });
  }

  /** One request; the answer is validated against the protocol before it is returned. */
  async request<M extends MethodName>(method: M, params: MethodParamsInput<M>): Promise<MethodResult<M>> {
    const result = await this.send(method, params);
    const checked = (methods[method].result as z.ZodType).safeParse(result);
    if (!checked.success) throw new Error(`the booth answered an invalid ${method}: ${describeZodError(checked.error)}`);
    return checked.data as MethodResult<M>;
  }

  /** Starts a live topic; `onEvent` gets each validated event until `stop()` or a disconnect. */
  async subscribe<T extends TopicName>(topic: T, onEvent: (event: TopicEvent<T>) => void, force = false): Promise<Subscription<T>> {
    const raw = await this.send('subscribe', { topic, ...(force ? { force } : {}) });
    const started = subscribeResultSchema.safeParse(raw);
    if (!started.success) throw new Error(`the booth answered an invalid subscribe: ${describeZodError(started.error)}`);
    const spec = topics[topic];
    const info = (spec.info as z.ZodType).safeParse(started.data.info);
    if (!info.success) throw new Error(`the booth answered an invalid ${topic} start: ${describeZodError(info.error)}`);
    const id = started.data.subscription;
    this.listeners.set(id, (data) => {
      const event = (spec.event as z.ZodType).safeParse(data);
      if (event.success) onEvent(event.data as TopicEvent<T>);
    });
    return {
      info: info.data as TopicInfo<T>,
      stop: async () => {
        this.listeners.delete(id);
        if (!this.socket || this.socket.destroyed) return; // the booth ended it when we left
        await this.send('unsubscribe', { subscription: id });
      },
    };
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
