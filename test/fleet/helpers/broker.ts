// A real Mosquitto for a test file: generated CA, broker certificate, client certificates per
// identity, the fleet ACL, on a free loopback port; killed (and restartable on the same port)
// by the test. Nothing relies on a system service.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { mosquittoAcl, mosquittoConfig, OPERATOR_CN, type AclOptions } from '../../../src/fleet/operator/broker.ts';
import { createCa, issueCertificate, type CertPair } from '../../../src/fleet/operator/pki.ts';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}`);
}

export interface TestBroker {
  port: number;
  url: string;
  dir: string;
  ca: CertPair | undefined;
  /** Client certificate for a CN (booth id or operator), made on first use. */
  identity(cn: string): CertPair;
  operator(): CertPair;
  /** Rewrites the ACL and makes Mosquitto reload it (SIGHUP). */
  setAcl(options: AclOptions): Promise<void>;
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  stderr(): string;
}

export async function startBroker(options: { tls?: boolean; acl?: AclOptions | false; maxConnections?: number } = {}): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-mosquitto-'));
  const tls = options.tls !== false;
  const port = await freePort();
  let ca: CertPair | undefined;
  let server: CertPair | undefined;
  if (tls) {
    ca = createCa(join(dir, 'ca'));
    server = issueCertificate(ca, join(dir, 'broker'), 'broker', 'localhost', 'server', ['localhost', '127.0.0.1']);
  }
  const aclFile = join(dir, 'acl');
  if (options.acl !== false) writeFileSync(aclFile, mosquittoAcl(options.acl));
  const confFile = join(dir, 'mosquitto.conf');
  writeFileSync(
    confFile,
    mosquittoConfig({
      port,
      ...(options.acl !== false ? { aclFile } : {}),
      user: userInfo().username,
      ...(tls && ca && server ? { tls: { caFile: ca.certFile, certFile: server.certFile, keyFile: server.keyFile } } : {}),
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    }),
  );
  const identities = new Map<string, CertPair>();
  let child: ChildProcess | undefined;
  let log = '';

  const broker: TestBroker = {
    port,
    url: `${tls ? 'mqtts' : 'mqtt'}://localhost:${port}`,
    dir,
    ca,
    identity(cn) {
      if (!ca) throw new Error('plain broker: no certificates');
      let pair = identities.get(cn);
      if (!pair) {
        pair = issueCertificate(ca, join(dir, 'clients'), cn.replace(/[^A-Za-z0-9_-]/g, '_'), cn, 'client');
        identities.set(cn, pair);
      }
      return pair;
    },
    operator() {
      return broker.identity(OPERATOR_CN);
    },
    async setAcl(acl) {
      writeFileSync(aclFile, mosquittoAcl(acl));
      child?.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 300));
    },
    async start() {
      if (child) return;
      const proc = spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr?.on('data', (d: Buffer) => {
        log += d.toString();
      });
      child = proc;
      proc.once('exit', () => {
        if (child === proc) child = undefined;
      });
      await waitForPort(port);
    },
    async kill() {
      const proc = child;
      if (!proc) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      child = undefined;
    },
    async stop() {
      await broker.kill();
      rmSync(dir, { recursive: true, force: true });
    },
    stderr: () => log,
  };
  await broker.start();
  return broker;
}
