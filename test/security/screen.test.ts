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

// Attack: another client of the screen server (a second WebSocket, or a plain GET /state)
// reads the customer's code, photo or signature, during the session or after it. Only the
// screen that started the session gets them, and only until the booth is back on attract.
t.test('the code, photo and signature go to the screen of their session only, until it ends', async (t) => {
  let current: ScreenState = { screen: 'attract', lang: 'fr', priceCents: 800 };
  const listeners = new Set<(s: ScreenState) => void>();
  const frames = new Set<(jpeg: Buffer) => void>();
  const publish = (next: ScreenState) => {
    current = next;
    for (const l of listeners) l(current);
  };
  const live: ScreenSource = {
    current: () => current,
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    subscribePreview: (l) => {
      frames.add(l);
      return () => frames.delete(l);
    },
    act: (a) => {
      if (a.type === 'start' && current.screen === 'attract') publish({ ...current, screen: 'capture' });
    },
  };
  const server = createUiServer({ port: 0, source: live, logger: silentLogger() });
  await server.start();
  t.teardown(() => server.stop());
  const base = new URL(server.url);
  const getState = () =>
    new Promise<ScreenState>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: Number(base.port), path: '/state', headers: { host: base.host } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(JSON.parse(body) as ScreenState));
      });
      req.on('error', reject);
      req.end();
    });
  const connect = async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}ws`);
    const seen = { states: [] as ScreenState[], frames: 0 };
    ws.on('message', (data, isBinary) => {
      if (isBinary) seen.frames++;
      else seen.states.push((JSON.parse(String(data)) as { state: ScreenState }).state);
    });
    await new Promise((resolve) => ws.once('open', resolve));
    t.teardown(() => ws.close());
    return { ws, seen, last: () => seen.states.at(-1) };
  };
  const until = async (what: string, check: () => boolean) => {
    for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
    if (!check()) throw new Error(`timed out waiting for ${what}`);
  };

  const kiosk = await connect();
  const other = await connect(); // connected before the session, but does not start it
  await until('both see attract', () => kiosk.last()?.screen === 'attract' && other.last()?.screen === 'attract');
  kiosk.ws.send(JSON.stringify({ type: 'start' }));
  await until('capture', () => kiosk.last()?.screen === 'capture');
  for (const f of frames) f(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  await until('the preview frame reaches the kiosk', () => kiosk.seen.frames === 1);
  publish({ ...current, screen: 'review', photo: 'data:image/jpeg;base64,AAAA', checks: [] });
  publish({ ...current, screen: 'signature', photo: undefined, strokes: [[{ x: 0.1, y: 0.2 }]] });
  const code = '9CAB7K2MXQ4RZ8TW3HNP5D';
  publish({ screen: 'done', lang: 'fr', priceCents: 800, code, qrSvg: '<svg/>', expires: '2027-06-06' });
  await until('done on the kiosk', () => kiosk.last()?.screen === 'done');
  t.equal(kiosk.last()?.code, code, 'the screen that bought it shows the code (positive control)');
  t.ok(kiosk.seen.states.some((s) => s.photo) && kiosk.seen.states.some((s) => s.strokes), 'and the photo and the signature');
  const late = await connect(); // connects during the session
  await until('done on the other clients', () => other.last()?.screen === 'done' && late.last()?.screen === 'done');
  for (const client of [other, late]) {
    t.notOk(client.seen.states.some((s) => s.code || s.qrSvg || s.photo || s.strokes || s.expires), 'another client never gets the code, photo or signature');
    t.equal(client.seen.frames, 0, 'nor the preview');
  }
  const duringSession = await getState();
  t.equal(duringSession.screen, 'done');
  t.notOk(duringSession.code ?? duringSession.qrSvg, '/state does not carry the code');
  t.notMatch(JSON.stringify(duringSession), code);

  // The session ends: back on attract, and a stale copy of the last state is not shown.
  publish({ screen: 'attract', lang: 'fr', priceCents: 800 });
  await until('attract on the kiosk', () => kiosk.last()?.screen === 'attract');
  t.notMatch(JSON.stringify(await getState()), code, 'not on /state after the session');
  publish({ ...current, code, qrSvg: '<svg/>' }); // even if a late state still carried it
  await until('second attract', () => kiosk.seen.states.filter((s) => s.screen === 'attract').length >= 3);
  t.notOk(kiosk.last()?.code, 'nor on the kiosk once the session is over');
  const after = await connect();
  await until('the new client got its state', () => after.seen.states.length === 1);
  t.notMatch(JSON.stringify(after.seen.states), code, 'nor to a client that connects afterwards');

  // A refund claim code on the fault screen after a failed delivery: the kiosk only.
  kiosk.ws.send(JSON.stringify({ type: 'start' }));
  await until('second session', () => kiosk.last()?.screen === 'capture');
  publish({ screen: 'fault', lang: 'fr', priceCents: 800, fault: { key: 'fault.undelivered', refund: { paidBackCents: 0, claimCents: 800, claimCode: 'R7K2-MXQ4', cardReleased: false } }, sayValues: { code: 'R 7 K 2 M X Q 4' } });
  await until('fault on both', () => kiosk.last()?.screen === 'fault' && other.last()?.screen === 'fault');
  t.equal(kiosk.last()?.fault?.refund?.claimCode, 'R7K2-MXQ4', 'the customer sees their refund claim code');
  t.equal(other.last()?.fault?.refund?.claimCode, null, 'another client does not');
  t.notOk(other.last()?.sayValues);
  t.equal((await getState()).fault?.refund?.claimCode, null, 'nor /state');
});
