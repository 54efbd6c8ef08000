// The customer's screen, served on loopback: a static page, its messages, the voice prompts,
// and a WebSocket carrying the ScreenState (booth → page), live preview frames (binary) and
// the customer's actions (page → booth, validated). Chromium in kiosk mode shows it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '../log.ts';
import { direction, languageNames, messagesFor } from './i18n.ts';
import { customerActionSchema, languages, type Language, type ScreenSource } from './screen.ts';
import { originProblem } from './origin.ts';
import { SessionAudience, withoutPersonalData } from './audience.ts';
import type { VoicePrompts } from './voice.ts';

export interface UiServerOptions {
  port: number;
  host?: string;
  source: ScreenSource;
  logger: Logger;
  voice?: VoicePrompts;
  /** More pages on the same server (the simulator panel in --sim): true when it served the request. */
  routes?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface UiServer {
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const publicDir = new URL('./public/', import.meta.url);
const staticFiles: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
};
const contentTypes: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
/** Browser messages larger than this are dropped: actions are a few bytes. */
const maxActionBytes = 1024;

export function createUiServer(options: UiServerOptions): UiServer {
  const log = options.logger.child({ module: 'ui' });
  const host = options.host ?? '127.0.0.1';
  const clients = new Set<WebSocket>();
  // The customer's photo, signature and code go to the screen of their session only (audience.ts).
  const audience = new SessionAudience<WebSocket>();
  let unsubscribe: (() => void) | undefined;
  let unsubscribePreview: (() => void) | undefined;
  let url = '';

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };

  // Host must be this booth's loopback address (no DNS rebinding); an Origin, which every web
  // page's request carries on WebSocket and cross-site requests, must be this page's own
  // (origin.ts, shared with the simulator panel). No Origin: not a web page (kiosk, curl, tests).
  const refusedRequest = (req: IncomingMessage) => originProblem(req, { changes: req.headers.origin !== undefined }) ?? undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const refused = refusedRequest(req);
    if (refused) {
      log.warn({ host: req.headers.host, origin: req.headers.origin, path: req.url }, `customer screen request refused: ${refused}`);
      return send(res, 403, 'text/plain', 'forbidden');
    }
    if (options.routes && (await options.routes(req, res))) return;
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed');
    const file = staticFiles[path];
    if (file) {
      const body = await readFile(new URL(file, publicDir));
      return send(res, 200, contentTypes[file.split('.').pop() ?? 'html'] ?? 'text/plain', body);
    }
    const i18n = /^\/i18n\/([a-z]{2})\.json$/.exec(path);
    if (i18n && (languages as readonly string[]).includes(i18n[1] ?? '')) {
      const lang = i18n[1] as Language;
      return send(res, 200, 'application/json', JSON.stringify({ lang, dir: direction[lang], names: languageNames, messages: messagesFor(lang) }));
    }
    const voice = /^\/voice\/([a-z]{2})\/([a-z.-]+)\.wav$/.exec(path);
    if (voice && options.voice && (languages as readonly string[]).includes(voice[1] ?? '')) {
      const wav = await options.voice.audio(voice[1] as Language, voice[2] ?? '');
      if (wav) return send(res, 200, 'audio/wav', wav);
    }
    if (path === '/state') return send(res, 200, 'application/json', JSON.stringify(withoutPersonalData(options.source.current())));
    return send(res, 404, 'text/plain', 'not found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'ui request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
    });
  });
  const wss = new WebSocketServer({
    server,
    path: '/ws',
    maxPayload: maxActionBytes,
    // The same Host / Origin rule as HTTP: a page elsewhere cannot drive or watch the booth.
    verifyClient: ({ req }: { req: IncomingMessage }) => {
      const refused = refusedRequest(req);
      if (refused) log.warn({ host: req.headers.host, origin: req.headers.origin }, `customer screen WebSocket refused: ${refused}`);
      return refused === undefined;
    },
  });

  wss.on('connection', (socket) => {
    clients.add(socket);
    socket.send(JSON.stringify({ type: 'state', state: audience.view(options.source.current(), socket) }));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(data));
      } catch {
        socket.send(JSON.stringify({ type: 'error', error: 'not JSON' }));
        return;
      }
      const action = customerActionSchema.safeParse(parsed);
      if (!action.success) {
        socket.send(JSON.stringify({ type: 'error', error: 'unknown action' }));
        return;
      }
      log.debug({ action: action.data }, 'customer action');
      audience.acted(socket, action.data.type, options.source.current().screen);
      options.source.act(action.data);
    });
    const leave = () => {
      clients.delete(socket);
      audience.left(socket);
    };
    socket.on('close', leave);
    socket.on('error', leave);
  });

  return {
    get url() {
      return url;
    },
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      url = `http://${host}:${address.port}/`;
      unsubscribe = options.source.subscribe((state) => {
        audience.published(state, clients);
        const forOwners = JSON.stringify({ type: 'state', state });
        const forOthers = JSON.stringify({ type: 'state', state: withoutPersonalData(state) });
        for (const client of clients) if (client.readyState === client.OPEN) client.send(audience.owns(client) ? forOwners : forOthers);
      });
      unsubscribePreview = options.source.subscribePreview?.((jpeg) => {
        // The live preview is the customer's face: their session's screen only. Frames are
        // dropped for a client that has not drained the previous ones.
        for (const client of clients) if (audience.owns(client) && client.readyState === client.OPEN && client.bufferedAmount < 512 * 1024) client.send(jpeg);
      });
      log.info({ url }, 'customer screen');
    },
    async stop() {
      unsubscribe?.();
      unsubscribePreview?.();
      for (const client of clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
