// The e-photo service over HTTP (fastify, schemas from schemas.ts through
// fastify-type-provider-zod): the pull API for the state's systems (client certificate,
// audited, rate limited per client) and the public customer status.
// TLS: one listener asks every client for a certificate (requestCert) but does not refuse the
// handshake without one (the status page is public); the pull routes refuse with 401 any client
// whose certificate did not verify against --client-ca. Plain HTTP only with insecureHttp (tests
// on one machine); then the client is named after its address.
// Nothing here logs a URL, a code or a request: fastify's request logging is off, and errors
// are logged by kind only. Bad input gets a short JSON answer; nothing about the store leaks.
import type { TLSSocket } from 'node:tls';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { silentLogger, type Logger } from '../log.ts';
import { clientError, ephotoResponse, pullError, pullParams, statusParams, statusQuery, statusResponse } from './schemas.ts';
import { customerStatus, pull } from './service.ts';
import { pickLang, statusPage } from './status-page.ts';
import type { CollectorStore } from './store.ts';

export interface CollectorTls {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA that issues the certificates of the clients allowed to pull. */
  clientCa: string | Buffer;
}

export interface CollectorServerOptions {
  store: CollectorStore;
  logger?: Logger;
  /** TLS with client certificates; required unless insecureHttp. */
  tls?: CollectorTls;
  insecureHttp?: boolean;
  /** Pull calls per client per minute (default 600). */
  pullPerMinute?: number;
  /** Status look-ups per address per minute (default 60). */
  statusPerMinute?: number;
  /** Longest a request may take to arrive whole (default 10 s): slow clients are cut off. */
  requestTimeoutMs?: number;
  /** Largest request head (default 8 KiB): larger gets 431. */
  maxHeaderBytes?: number;
  now?: () => Date;
}

/** The name of a client that may pull, or undefined when it presented no valid certificate. */
function pullClient(request: FastifyRequest, insecure: boolean): string | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return insecure ? `http:${request.ip}` : undefined;
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  const cn = typeof cert.subject?.CN === 'string' ? cert.subject.CN : '?';
  return `${cn} sha256:${cert.fingerprint256.replaceAll(':', '').slice(0, 16).toLowerCase()}`;
}

export async function buildCollectorServer(options: CollectorServerOptions): Promise<FastifyInstance> {
  if (!options.tls && !options.insecureHttp) throw new Error('the collector needs TLS (certificate, key, client CA) or an explicit insecureHttp');
  const logger = (options.logger ?? silentLogger()).child({ module: 'collector' });
  const now = options.now ?? (() => new Date());
  const insecure = !options.tls;
  const timeout = options.requestTimeoutMs ?? 10_000;
  const maxHeaderSize = options.maxHeaderBytes ?? 8192;
  // How often node looks for requests past their timeout (its default, 30 s, lets a slow
  // client hold a connection 30 s past the limit).
  const connectionsCheckingInterval = Math.max(100, Math.min(1000, timeout / 2));
  const common = {
    logger: false as const,
    // Errors the router raises before any route (a path parameter over maxParamLength, a
    // malformed URL): a short answer that never echoes the path (which holds a code).
    frameworkErrors: (err: { statusCode?: number }, request: FastifyRequest, reply: FastifyReply) => {
      const onCode = /^\/(status|v1\/ephotos)\//.test(request.raw.url ?? '');
      void reply.code(onCode ? 400 : (err.statusCode ?? 400)).send({ status: onCode ? 'invalid' : 'bad-request' });
    },
    requestTimeout: timeout,
    connectionTimeout: timeout * 3,
    keepAliveTimeout: 5_000,
    bodyLimit: 16 * 1024,
    forceCloseConnections: true,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  };
  // One instance type whichever server is under it (the request's socket tells TLS apart).
  const base = (
    options.tls
      ? Fastify({
          ...common,
          https: { cert: options.tls.cert, key: options.tls.key, ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', maxHeaderSize, connectionsCheckingInterval },
        })
      : Fastify({ ...common, http: { maxHeaderSize, connectionsCheckingInterval } })
  ) as unknown as FastifyInstance;
  const app = base.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // A request head that never completes is cut off too (headersTimeout ≤ requestTimeout).
  app.server.headersTimeout = timeout;

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Cabine e-photo service',
        version: '1',
        description: 'Pull API for the state\'s systems (TLS client certificate issued by the CA given to --client-ca) and the public code status. See docs/collector.md.',
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => ({ statusCode: 429, status: 'rate-limited', message: 'too many requests; slow down' }),
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ status: 'not-found' }));
  app.setErrorHandler((err: { statusCode?: number; code?: string; status?: string; message?: string }, _request, reply) => {
    const code = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 429) return reply.code(429).send({ status: 'rate-limited', message: 'too many requests; slow down' });
    if (code >= 500) logger.error({ kind: err.code ?? 'error', message: err.message }, 'collector request failed');
    return reply.code(code).send({ status: code >= 500 ? 'error' : 'bad-request' });
  });

  const clientKey = (request: FastifyRequest) => pullClient(request, insecure) ?? `anonymous:${request.ip}`;

  app.get(
    '/v1/ephotos/:code',
    {
      schema: {
        summary: 'Fetch an e-photo (photo, signature) by its code; the code is then used',
        params: pullParams,
        response: { 200: ephotoResponse, 400: pullError, 401: clientError, 404: pullError, 410: pullError, 429: clientError, 503: pullError },
      },
      attachValidation: true,
      config: {
        rateLimit: {
          max: options.pullPerMinute ?? 600,
          timeWindow: 60_000,
          keyGenerator: clientKey,
          onExceeded: (request: FastifyRequest) => {
            const code = (request.params as { code?: unknown }).code;
            options.store
              .audit({ at: now().toISOString(), client: clientKey(request), action: 'pull', code: typeof code === 'string' ? code : '', result: 'rate-limited' })
              .catch((err: Error) => logger.error({ message: err.message }, 'audit write failed'));
          },
        },
      },
    },
    async (request, reply) => {
      const client = pullClient(request, insecure);
      const code = String((request.params as { code?: unknown }).code ?? '');
      if (!client) {
        await options.store.audit({ at: now().toISOString(), client: `anonymous:${request.ip}`, action: 'pull', code, result: 'unauthenticated' });
        return reply.code(401).send({ status: 'unauthenticated', message: 'a client certificate issued by the service\'s client CA is required' });
      }
      const outcome = await pull(options.store, code, client, now());
      reply.header('cache-control', 'no-store');
      return reply.code(outcome.http).send(outcome.body);
    },
  );

  app.get(
    '/status/:code',
    {
      schema: {
        summary: 'What a typed code is worth now (public): an FR/EN page, or JSON with Accept: application/json',
        params: statusParams,
        querystring: statusQuery,
        response: { 200: statusResponse, 400: statusResponse, 429: clientError },
      },
      attachValidation: true,
      config: { rateLimit: { max: options.statusPerMinute ?? 60, timeWindow: 60_000 } },
    },
    async (request, reply) => {
      const typed = String((request.params as { code?: unknown }).code ?? '');
      const answer = request.validationError && typed.length > 64 ? { status: 'invalid' as const } : await customerStatus(options.store, typed, now());
      const query = request.query as { lang?: unknown } | undefined;
      const lang = pickLang(query?.lang === 'en' || query?.lang === 'fr' ? query.lang : undefined, request.headers['accept-language']);
      // The code is in the URL: no referrer to other sites, no caching anywhere.
      reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('x-content-type-options', 'nosniff');
      const json = { status: answer.status, ...('suggestion' in answer && answer.suggestion ? { suggestion: answer.suggestion } : {}) };
      const http = answer.status === 'invalid' ? 400 : 200;
      const wantsJson = (request.headers.accept ?? '').includes('application/json');
      if (wantsJson) return reply.code(http).send(json);
      reply.header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      return reply
        .code(http)
        .type('text/html; charset=utf-8')
        .serializer((body: unknown) => String(body))
        // HTML through its own serializer, not the JSON schema's
        .send(statusPage(lang, answer.status, 'code' in answer ? answer.code : undefined, json.suggestion) as unknown as typeof json);
    },
  );

  return base;
}
