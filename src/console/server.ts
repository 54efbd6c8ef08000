// The booth side of the control socket: a Unix socket server that validates each request,
// answers nothing but the login until the connection has proven the technician PIN (gate.ts),
// writes each request and its outcome to the audit trail, refuses what would disturb a
// customer while a session runs (unless forced), calls the booth's handlers, validates their
// answer and streams live topics. A malformed or hostile client gets error answers, never a
// crash of the booth.
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { z } from 'zod';
import type { Logger } from '../log.ts';
import type { ControlGate, Grant } from './gate.ts';
import { LineSplitter } from './lines.ts';
import {
  describeZodError,
  envelopeSchema,
  MAX_MESSAGE_BYTES,
  methods,
  sessionMethods,
  subscribeParamsSchema,
  topics,
  unsubscribeParamsSchema,
  type ControlHandlers,
  type MethodName,
  type MethodParams,
  type SessionMethodName,
  type TopicName,
  type Unwatch,
} from './protocol.ts';

export interface ControlServerOptions {
  socketPath: string;
  handlers: ControlHandlers;
  /** The PIN, the sessions it grants and the audit trail. */
  gate: ControlGate;
  logger: Logger;
}

export interface ControlServer {
  readonly socketPath: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Open console connections (for status and tests). */
  connections(): number;
}

/** Above this much unsent output, live events to a slow client are dropped (counted). */
const MAX_PENDING_EVENT_BYTES = 1024 * 1024;

class RequestError extends Error {}

/** At most one audit entry for requests refused before login, per this many ms (a flood cannot fill the disk). */
const UNAUTHENTICATED_AUDIT_MS = 10_000;

/** A request as the audit trail names it: the method and its parameters (`light on=true`). */
function describeRequest(method: string, params: unknown): string {
  const parts = params && typeof params === 'object' ? Object.entries(params as Record<string, unknown>).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`) : [];
  return [method.slice(0, 64), ...parts].join(' ').slice(0, 300);
}

/** Whether something answers on the socket (a live booth) or it is a stale file. */
function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export function createControlServer(options: ControlServerOptions): ControlServer {
  const { socketPath, handlers, gate } = options;
  const log = options.logger.child({ module: 'console-server' });
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let stopping = false;
  let lastUnauthenticatedAudit = 0;
  let unauthenticatedSinceAudit = 0;

  const call: { [M in MethodName]: (p: MethodParams<M>) => Promise<unknown> } = {
    status: () => handlers.status(),
    devices: () => handlers.devices(),
    session: () => handlers.session(),
    light: (p) => handlers.light({ ...(p.on !== undefined ? { on: p.on } : {}), ...(p.level !== undefined ? { level: p.level } : {}) }),
    curtain: () => handlers.curtain(),
    cameraTest: () => handlers.cameraTest(),
    printTest: () => handlers.printTest(),
    counters: () => handlers.counters(),
    cashCollect: () => handlers.cashCollect(),
    refunds: () => handlers.refunds(),
    refundPaid: (p) => handlers.refundPaid({ session: p.session }),
    coinIncidents: () => handlers.coinIncidents(),
    coinIncidentClosed: (p) => handlers.coinIncidentClosed({ id: p.id }),
    journalTail: (p) => handlers.journalTail({ limit: p.limit }),
    outbox: () => handlers.outbox(),
    outboxFlush: () => handlers.outboxFlush(),
    configGet: (p) => handlers.configGet(p.key !== undefined ? { key: p.key } : {}),
    configSet: (p) => handlers.configSet({ key: p.key, value: p.value }),
    network: () => handlers.network(),
    restart: () => handlers.restart(),
    sales: (p) => handlers.sales({ ...(p.enabled !== undefined ? { enabled: p.enabled } : {}), ...(p.reason !== undefined ? { reason: p.reason } : {}) }),
  };

  async function refuseIfCustomer(what: string, force: boolean | undefined): Promise<void> {
    if (force) return;
    const session = await handlers.session();
    if (session.inProgress) {
      throw new RequestError(`refused: a customer session is in progress (step ${session.step}); ${what} would disturb it (add --force to do it anyway)`);
    }
  }

  function serve(socket: Socket): void {
    sockets.add(socket);
    const subscriptions = new Map<number, Unwatch>();
    let grant: Grant | undefined;
    let nextSubscription = 1;
    let droppedEvents = 0;
    const send = (message: unknown): void => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(JSON.stringify(message) + '\n');
    };
    const answer = (id: number | null, result: { ok: true; result: unknown } | { ok: false; error: string }) => send({ id, ...result });

    const subscribe = async (topic: TopicName, force: boolean | undefined): Promise<unknown> => {
      const spec = topics[topic];
      if (spec.disturbs) await refuseIfCustomer(`${topic} test`, force);
      const id = nextSubscription++;
      const emit = (schema: z.ZodType) => (data: unknown) => {
        const checked = schema.safeParse(data);
        if (!checked.success) {
          log.error({ topic, problem: describeZodError(checked.error) }, 'booth produced an invalid live event; dropped');
          return;
        }
        if (socket.writableLength > MAX_PENDING_EVENT_BYTES) {
          droppedEvents++;
          return;
        }
        send({ event: topic, subscription: id, data: checked.data });
      };
      const started =
        topic === 'curtain'
          ? await handlers.watchCurtain(emit(spec.event))
          : topic === 'coin'
            ? await handlers.coinTest(emit(spec.event))
            : await handlers.touchTest(emit(spec.event));
      if (socket.destroyed) {
        // The console went away while the test was starting: end it at once.
        await started.stop();
        throw new RequestError('connection closed');
      }
      subscriptions.set(id, started.stop);
      const info = spec.info.safeParse(started.info);
      if (!info.success) throw new RequestError(`booth answered an invalid ${topic} start: ${describeZodError(info.error)}`);
      return { subscription: id, info: info.data };
    };

    const endSubscriptions = () => {
      for (const [id, stop] of subscriptions) {
        subscriptions.delete(id);
        Promise.resolve()
          .then(stop)
          .catch((err: unknown) => log.error({ err }, 'ending a live test after the console left failed'));
      }
    };

    /** Login, resume, logout and the login state: the only requests served before login. */
    const session = async (name: SessionMethodName, rawParams: unknown): Promise<unknown> => {
      const params = (sessionMethods[name].params as z.ZodType).safeParse(rawParams);
      if (!params.success) throw new RequestError(`bad params for ${name}: ${describeZodError(params.error)}`);
      const p = params.data as Record<string, string>;
      switch (name) {
        case 'loginState':
          return gate.state();
        case 'login': {
          if (grant) throw new RequestError('already logged in on this connection');
          const { result, grant: granted } = await gate.login(p.pin!, p.port!);
          if (socket.destroyed) return result;
          grant = granted;
          return result;
        }
        case 'resume': {
          if (grant) throw new RequestError('already logged in on this connection');
          grant = gate.resume(p.token!, p.port!);
          return { resumed: grant !== undefined };
        }
        case 'logout': {
          if (!grant) return { ended: false };
          endSubscriptions();
          gate.end(grant, p.reason as 'logout' | 'idle-timeout' | 'disconnect');
          grant = undefined;
          return { ended: true };
        }
      }
    };

    const refuseUnauthenticated = (method: string): never => {
      unauthenticatedSinceAudit++;
      if (Date.now() - lastUnauthenticatedAudit >= UNAUTHENTICATED_AUDIT_MS) {
        gate.record({ kind: 'command', port: 'socket', command: method.slice(0, 64), outcome: 'refused', detail: `not logged in (${unauthenticatedSinceAudit} such request(s) refused)` });
        lastUnauthenticatedAudit = Date.now();
        unauthenticatedSinceAudit = 0;
      }
      throw new RequestError('refused: not logged in (the technician PIN is asked first)');
    };

    const unsubscribe = async (id: number): Promise<unknown> => {
      const stop = subscriptions.get(id);
      if (!stop) throw new RequestError(`no live subscription ${id}`);
      subscriptions.delete(id);
      await stop();
      return { subscription: id, ended: true };
    };

    const handle = async (line: string): Promise<void> => {
      if (!line.trim()) return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        answer(null, { ok: false, error: 'malformed request: not JSON' });
        return;
      }
      const envelope = envelopeSchema.safeParse(raw);
      if (!envelope.success) {
        const id = typeof (raw as { id?: unknown })?.id === 'number' ? ((raw as { id: number }).id) : null;
        answer(Number.isInteger(id) && (id as number) >= 0 ? id : null, { ok: false, error: `malformed request: ${describeZodError(envelope.error)}` });
        return;
      }
      const { id, method } = envelope.data;
      const rawParams = envelope.data.params ?? {};
      let audited: { command: string; grant: Grant } | undefined;
      try {
        let result: unknown;
        if (Object.hasOwn(sessionMethods, method)) {
          answer(id, { ok: true, result: await session(method as SessionMethodName, rawParams) });
          return;
        }
        if (!grant) refuseUnauthenticated(method);
        const current = grant!;
        if (!gate.touch(current)) {
          grant = undefined;
          endSubscriptions();
          gate.end(current, 'idle-timeout', 'session expired on the booth');
          throw new RequestError('refused: the console session expired; log in again');
        }
        // Written by the booth before it acts, so even a request that hangs or kills it is on record.
        audited = { command: describeRequest(method, rawParams), grant: current };
        gate.record({ kind: 'command', port: current.port, command: audited.command, outcome: null, detail: 'started' });
        if (method === 'subscribe') {
          const params = subscribeParamsSchema.safeParse(rawParams);
          if (!params.success) throw new RequestError(`bad params for subscribe: ${describeZodError(params.error)}`);
          result = await subscribe(params.data.topic, params.data.force);
        } else if (method === 'unsubscribe') {
          const params = unsubscribeParamsSchema.safeParse(rawParams);
          if (!params.success) throw new RequestError(`bad params for unsubscribe: ${describeZodError(params.error)}`);
          result = await unsubscribe(params.data.subscription);
        } else if (Object.hasOwn(methods, method)) {
          const name = method as MethodName;
          const spec = methods[name];
          const params = (spec.params as z.ZodType).safeParse(rawParams);
          if (!params.success) throw new RequestError(`bad params for ${name}: ${describeZodError(params.error)}`);
          const parsed = params.data as { force?: boolean };
          if (spec.disturbs) await refuseIfCustomer(name, parsed.force);
          const output = await (call[name] as (p: unknown) => Promise<unknown>)(params.data);
          const checked = (spec.result as z.ZodType).safeParse(output);
          if (!checked.success) {
            log.error({ method: name, problem: describeZodError(checked.error) }, 'handler returned an invalid result');
            throw new RequestError(`booth answered an invalid ${name} result: ${describeZodError(checked.error)}`);
          }
          result = checked.data;
        } else {
          throw new RequestError(`unknown method "${method.slice(0, 64)}"`);
        }
        if (audited) gate.record({ kind: 'command', port: audited.grant.port, command: audited.command, outcome: 'ok', detail: null });
        answer(id, { ok: true, result });
      } catch (err) {
        if (!(err instanceof RequestError)) log.warn({ err, method }, 'control request failed');
        const message = (err as Error).message || String(err);
        if (audited) gate.record({ kind: 'command', port: audited.grant.port, command: audited.command, outcome: /^refused:/.test(message) ? 'refused' : 'error', detail: message.slice(0, 500) });
        answer(id, { ok: false, error: message });
      }
    };

    const splitter = new LineSplitter(
      MAX_MESSAGE_BYTES,
      (line) => void handle(line),
      (bytes) => answer(null, { ok: false, error: `request too long (${bytes} bytes, limit ${MAX_MESSAGE_BYTES}); ignored` }),
    );
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', (err) => log.debug({ err }, 'console connection error'));
    socket.on('close', () => {
      sockets.delete(socket);
      if (droppedEvents) log.warn({ droppedEvents }, 'live events dropped for a slow console');
      endSubscriptions();
      // The console went away without logging out (killed, crashed): on record. Its session
      // stays resumable until it expires (a booth restart closes connections too).
      if (grant && !stopping) gate.record({ kind: 'disconnect', port: grant.port, command: null, outcome: 'ok', detail: 'connection closed without logout' });
    });
  }

  return {
    socketPath,
    async start() {
      stopping = false;
      mkdirSync(dirname(socketPath), { recursive: true });
      if (existsSync(socketPath)) {
        // Only a stale socket is removed: a path that names any other file (a config, a
        // database, by mistake or by a hostile config) is refused, never deleted.
        if (!lstatSync(socketPath).isSocket()) throw new Error(`console.socket ${socketPath} exists and is not a socket; not removing it`);
        if (await socketAlive(socketPath)) throw new Error(`another booth already listens on ${socketPath}`);
        unlinkSync(socketPath);
      }
      const srv = createServer(serve);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(socketPath, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      srv.on('error', (err) => log.error({ err }, 'control socket error'));
      // Owner and group (the console runs as the booth's user or its group), nobody else.
      chmodSync(socketPath, 0o660);
      server = srv;
      log.info({ socket: socketPath }, 'control socket listening');
    },
    async stop() {
      const srv = server;
      server = undefined;
      if (!srv) return;
      stopping = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
      try {
        if (lstatSync(socketPath).isSocket()) unlinkSync(socketPath);
      } catch {
        // already gone
      }
    },
    connections: () => sockets.size,
  };
}
