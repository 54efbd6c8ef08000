// Attack (or mistake): console.socket names an existing regular file. The booth's control
// server refuses to start and the file is untouched; a stale socket is still replaced.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlServer } from '../../src/console/server.ts';
import type { ControlGate } from '../../src/console/gate.ts';
import type { ControlHandlers } from '../../src/console/protocol.ts';
import { silentLogger } from '../../src/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'cabine-sec-sock-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const handlers = {} as ControlHandlers; // never called: the server does not get to serve
const gate = {} as ControlGate;

t.test('a regular file at the socket path is refused and kept', async (t) => {
  const victim = join(dir, 'config.yaml');
  writeFileSync(victim, 'booth: { id: X }\n');
  const server = createControlServer({ socketPath: victim, handlers, gate, logger: silentLogger() });
  await t.rejects(server.start(), /exists and is not a socket; not removing it/);
  t.equal(readFileSync(victim, 'utf8'), 'booth: { id: X }\n', 'the file is intact');
});

t.test('a stale socket (nobody listening) is replaced (positive control)', async (t) => {
  const path = join(dir, 'stale.sock');
  const old = createServer();
  await new Promise<void>((resolve) => old.listen(path, resolve));
  // close without removing the file: what a killed booth leaves behind
  (old as unknown as { _handle: { close(): void } })._handle.close();
  const server = createControlServer({ socketPath: path, handlers, gate, logger: silentLogger() });
  await server.start();
  t.teardown(() => server.stop());
  t.equal(server.connections(), 0, 'listening on the old path');
});
