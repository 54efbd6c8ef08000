// Who may talk to the loopback servers (customer screen, simulator panel): requests must name
// this machine's loopback address as Host (a DNS-rebinding page cannot), and anything that
// changes state must come from a page of the same origin (a page on another site cannot drive
// the booth through the visitor's browser). Browsers always send Origin on POST and WebSocket.
import type { IncomingMessage } from 'node:http';

const loopbackNames = ['127.0.0.1', 'localhost', '[::1]'];

/** Why the request may not be served (null: it may). `changes` for anything that acts. */
export function originProblem(req: IncomingMessage, options: { changes: boolean }): string | null {
  const port = req.socket.localPort;
  const host = req.headers.host ?? '';
  const allowed = loopbackNames.map((name) => `${name}:${port}`);
  if (!allowed.includes(host)) return `Host "${host.slice(0, 80)}" is not this booth's loopback address`;
  if (!options.changes) return null;
  const origin = req.headers.origin;
  if (origin !== `http://${host}`) return `Origin "${String(origin ?? '').slice(0, 80)}" is not this page's origin`;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return `cross-site request (${String(site).slice(0, 20)})`;
  return null;
}
