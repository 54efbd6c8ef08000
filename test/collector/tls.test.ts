// `cabine collector` over TLS with client certificates, as an operator runs it, and the
// attacks on it: no certificate, a certificate from another CA, malformed codes, path tricks
// (%2e%2e, encoded slashes, raw ..), huge headers, a client that never finishes its request.
// Each is refused with a clear status and nothing leaked; the service answers a genuine
// request after all of them. Then support's commands on the same data while it runs.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueCertificate } from '../../src/fleet/operator/pki.ts';
import { openSqliteCollectorStore } from '../../src/collector/store-sqlite.ts';
import { cabine, startCollector } from './helpers/process.ts';
import { mistype, PHOTO, seedCode, seedPayment } from './helpers/seed.ts';

const root = mkdtempSync(join(tmpdir(), 'cabine-collector-tls-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

const ca = createCa(join(root, 'ca'), 'Collector client CA');
const server = issueCertificate(ca, join(root, 'server'), 'server', 'localhost', 'server', ['localhost', '127.0.0.1']);
const state = issueCertificate(ca, join(root, 'state'), 'state', 'ants-client', 'client');
const rogueCa = createCa(join(root, 'rogue-ca'), 'Rogue CA');
const rogue = issueCertificate(rogueCa, join(root, 'rogue'), 'rogue', 'ants-client', 'client');

const data = join(root, 'fleet');
const store = openSqliteCollectorStore(data);
const codes = [await seedCode(store), await seedCode(store), await seedCode(store)];
await seedPayment(store, codes[2]!, 800);
await store.close();

const collector = await startCollector(['--data', data, '--tls-cert', server.certFile, '--tls-key', server.keyFile, '--client-ca', ca.certFile, '--request-timeout', '1']);
t.teardown(() => collector.stop());

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(path: string, opts: { cert?: { certFile: string; keyFile: string }; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: collector.port,
        path,
        method: 'GET',
        ca: readFileSync(ca.certFile),
        servername: 'localhost',
        ...(opts.cert ? { cert: readFileSync(opts.cert.certFile), key: readFileSync(opts.cert.keyFile) } : {}),
        headers: { accept: 'application/json', ...opts.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

t.test('a client certificate of the client CA pulls once; without one, or from another CA: 401', async (t) => {
  const code = codes[0]!.code;
  const none = await get(`/v1/ephotos/${code}`);
  t.equal(none.status, 401);
  t.same(JSON.parse(none.body).status, 'unauthenticated');
  const other = await get(`/v1/ephotos/${code}`, { cert: rogue });
  t.equal(other.status, 401, 'same CN, other CA');
  const ok = await get(`/v1/ephotos/${code}`, { cert: state });
  t.equal(ok.status, 200, ok.body);
  t.same(Buffer.from(JSON.parse(ok.body).photo.data, 'base64'), PHOTO);
  const again = await get(`/v1/ephotos/${code}`, { cert: state });
  t.same([again.status, JSON.parse(again.body)], [410, { status: 'used' }]);
  const status = await get(`/status/${code}`);
  t.same([status.status, JSON.parse(status.body)], [200, { status: 'used' }], 'the status page is public');
});

t.test('malformed codes and path tricks: clear answers, nothing echoed', async (t) => {
  const tricks: [string, number, string][] = [
    ['/v1/ephotos/%2e%2e', 400, 'invalid'],
    ['/v1/ephotos/..%2F..%2Fetc%2Fpasswd', 400, 'invalid'],
    ['/v1/ephotos/%2e%2e%2f%2e%2e%2fstatus', 400, 'invalid'],
    ['/v1/ephotos/../../etc/passwd', 404, 'not-found'],
    ['/v1/ephotos/', 400, 'invalid'],
    [`/v1/ephotos/${'A'.repeat(5000)}`, 400, 'invalid'],
    ['/v1/ephotos/%00%ff%fe', 400, 'invalid'],
    ['/v1/ephotos/%', 400, 'invalid'],
    [`/v1/ephotos/${codes[1]!.code}%2Fx`, 400, 'invalid'],
    [`/v1/ephotos/${mistype(codes[1]!.code)}`, 400, 'invalid'],
    ['/status/%2e%2e%2f%2e%2e', 400, 'invalid'],
    [`/status/${'Z'.repeat(3000)}`, 400, 'invalid'],
    ['/../../../etc/passwd', 404, 'not-found'],
  ];
  for (const [path, status, answer] of tricks) {
    const r = await get(path, { cert: state });
    t.equal(r.status, status, path.slice(0, 60));
    t.equal(JSON.parse(r.body).status, answer, path.slice(0, 60));
    t.notMatch(r.body, /passwd|AAAAAAAAAA|ZZZZZZZZ|stack|Error|sqlite|select/i, 'nothing echoed or leaked');
  }
  t.equal((await get(`/status/${codes[1]!.code}`)).status, 200, 'the code next to the tricks is untouched');
});

t.test('a request head over 8 KiB: 431', async (t) => {
  const r = await get(`/status/${codes[1]!.code}`, { headers: { 'x-padding': 'p'.repeat(20_000) } });
  t.equal(r.status, 431);
});

t.test('a client that never finishes its request is cut off', async (t) => {
  const socket = tlsConnect({ host: '127.0.0.1', port: collector.port, ca: readFileSync(ca.certFile), servername: 'localhost' });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  socket.write(`GET /status/${codes[1]!.code} HTTP/1.1\r\nHost: localhost\r\nX-Slow: `);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.on('error', () => undefined);
  const started = Date.now();
  await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  t.ok(Date.now() - started < 60_000, `closed by the server after ${Date.now() - started} ms`);
  t.notMatch(received, /200 OK/, 'never served');
});

t.test('after every attack the service still serves', async (t) => {
  const r = await get(`/v1/ephotos/${codes[1]!.code}`, { cert: state });
  t.equal(r.status, 200);
});

t.test('support: fleet code and fleet refund on the data the collector serves', async (t) => {
  const code = codes[2]!.code;
  const report = await cabine(['fleet', 'code', code.toLowerCase(), '--data', data, '--json']);
  t.equal(report.code, 0, report.stderr);
  t.match(JSON.parse(report.stdout), { code, status: 'active', booth: 'BOOTH-A', paidCents: 800, payment: { outcome: 'settled' }, refund: null });
  const refund = await cabine(['fleet', 'refund', code, '--reason', 'printer jammed, board not delivered', '--by', 'support:ann', '--data', data]);
  t.equal(refund.code, 0, refund.stderr);
  const human = await cabine(['fleet', 'code', code, '--data', data]);
  t.match(human.stdout, /refund +\S+ by support:ann: printer jammed/);
  t.match(human.stdout, /payment +\{"sessionId"/);
  t.match(human.stdout, /audit .* refund refunded {2}support:ann/);
  const csv = await cabine(['fleet', 'export', '--data', data]);
  t.match(csv.stdout, new RegExp(`${code},.*,printer jammed, board not delivered|${code},.*,"printer jammed, board not delivered"`), 'the refund in the export');
});

t.test('the collector refuses to start without TLS files unless --insecure-http', async (t) => {
  const r = await cabine(['collector', '--data', data, '--listen', '127.0.0.1:0', '--seconds', '1']);
  t.equal(r.code, 1);
  t.match(r.stderr, /--tls-cert, --tls-key and --client-ca/);
});

t.test('no code reached the service log', async (t) => {
  await collector.stop();
  for (const c of codes) t.notMatch(collector.stderr(), c.code);
});
