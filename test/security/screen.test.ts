// Attack: a page on another site, or a DNS-rebinding page (its own name resolving to 127.0.0.1),
// reaches the customer screen's server: reads /state, opens the WebSocket to start a session
// and watch the preview. Refused on HTTP and WebSocket by the Host and Origin checks; the
// booth's own screen (loopback Host, same Origin) is served (positive control).
import t from 'tap';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { silentLogger } from '../../src/log.ts';
import type { CustomerAction, ScreenSource, ScreenState } from '../../src/ui/screen.ts';
import { createUiServer } from '../../src/ui/server.ts';

const state: ScreenState = { screen: 'attract', lang: 'fr', priceCents: 800 };
const actions: CustomerAction[] = [];
const source: ScreenSource = { current: () => state, subscribe: () => () => undefined, act: (a) => actions.push(a) };
const ui = createUiServer({ port: 0, source, logger: silentLogger() });
await ui.start();
t.teardown(() => ui.stop());
const port = Number(new URL(ui.url).port);

function get(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function openWs(headers: Record<string, string>, origin?: string): Promise<'open' | 'refused'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers, ...(origin ? { origin } : {}) });
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'start' }));
      setTimeout(() => {
        ws.close();
        resolve('open');
      }, 100);
    });
    ws.once('error', () => resolve('refused'));
  });
}

t.test('HTTP: a foreign Host or Origin is refused', async (t) => {
  t.equal(await get('/state', { host: `127.0.0.1:${port}` }), 200, 'the booth\'s own screen');
  t.equal(await get('/state', { host: `localhost:${port}`, origin: `http://localhost:${port}` }), 200, 'same origin');
  t.equal(await get('/state', { host: `rebind.evil.example:${port}` }), 403, 'DNS rebinding (foreign Host)');
  t.equal(await get('/state', { host: `127.0.0.1:${port}`, origin: 'http://evil.example' }), 403, 'cross-origin');
  t.equal(await get('/', { host: `127.0.0.1:${port + 1}` }), 403, 'another port');
  t.equal(await get('/state', { host: `127.0.0.1:${port}`, origin: `https://127.0.0.1:${port}` }), 403, 'another scheme');
});

t.test('WebSocket: a foreign Host or Origin cannot drive the booth', async (t) => {
  t.equal(await openWs({}, 'http://evil.example'), 'refused', 'cross-origin page');
  t.equal(await openWs({ host: `rebind.evil.example:${port}` }, `http://rebind.evil.example:${port}`), 'refused', 'DNS rebinding');
  t.same(actions, [], 'no action reached the booth');
  t.equal(await openWs({}, `http://127.0.0.1:${port}`), 'open', 'the booth\'s own page (positive control)');
  t.equal(actions.length, 1, 'its action reached the booth');
});
