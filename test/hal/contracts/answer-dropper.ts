// Test helper: an HTTP proxy in front of a real IPP printer that can lose one answer. The
// request goes through whole (the printer receives the document and queues the job), then the
// connection to the booth is cut instead of answering: what the booth sees when it dies, or its
// link drops, right after sending the document.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnswerDropper {
  /** ipp:// URI of the proxy (same path as the printer's). */
  uri: string;
  /** The next request with this IPP operation-id (0x0002 Print-Job) reaches the printer; its answer is lost. */
  dropNextAnswer(operationId: number): void;
  /** Answers lost so far. */
  dropped(): number;
  close(): Promise<void>;
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

export async function startAnswerDropper(printerUri: string): Promise<AnswerDropper> {
  const target = new URL(printerUri.replace(/^ipp:/, 'http:'));
  let armed: number | undefined;
  let dropped = 0;
  const server: Server = createServer((req, res) => {
    void body(req).then((payload) => {
      // IPP request: version (2 bytes), operation-id (2 bytes), request-id, groups (RFC 8010 §3.1.1).
      const operation = payload.length >= 4 ? payload.readUInt16BE(2) : -1;
      const drop = armed !== undefined && operation === armed;
      if (drop) armed = undefined;
      const upstream = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          void body(answer).then((bytes) => {
            if (drop) {
              dropped++;
              req.socket.destroy(); // the printer answered; the booth never hears it
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(bytes);
          });
        },
      );
      upstream.once('error', () => req.socket.destroy());
      upstream.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `ipp://127.0.0.1:${port}${target.pathname}`,
    dropNextAnswer(operationId) {
      armed = operationId;
    },
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
