// Test helper: a real IPP Everywhere printer, CUPS' ippeveprinter (Debian cups-ipp-utils),
// on a free loopback port with its own spool dir (-k keeps the job files), DNS-SD off.
// It still talks to avahi through dbus when they run, so both are started if absent
// (idempotent; they are system daemons and are left running for other tests).
// Paper is changed through its web form (/media), exactly as a technician would.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IppClient } from '../../src/hal/printer/ipp-client.ts';

export interface EvePrinter {
  uri: string;
  port: number;
  /** Spool directory: `<job-id>-<job-name>.<ext>` per job. */
  dir: string;
  /** Loads `sheets` sheets in every tray (0 = out of paper: media-empty). */
  setPaper(sheets: number): Promise<void>;
  /** The /supplies form as a technician fills it: percent per supply (0: waste, 1: toner). */
  setSupplies(levels: number[]): Promise<void>;
  /** Files kept in the spool dir. */
  jobFiles(): string[];
  stop(): Promise<void>;
}

function running(name: string): boolean {
  return spawnSync('pgrep', ['-x', name]).status === 0;
}

/** Starts dbus and avahi-daemon unless they run (what .ci/run does on a fresh machine). */
export function ensureDaemons(): void {
  if (!running('dbus-daemon')) {
    mkdirSync('/run/dbus', { recursive: true });
    rmSync('/run/dbus/pid', { force: true });
    execFileSync('dbus-daemon', ['--system', '--fork']);
  }
  if (!running('avahi-daemon')) execFileSync('avahi-daemon', ['-D']);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startEvePrinter(options: { formats?: string } = {}): Promise<EvePrinter> {
  if (spawnSync('which', ['ippeveprinter']).status !== 0) {
    throw new Error('ippeveprinter not found: apt-get install -y cups-ipp-utils dbus avahi-daemon');
  }
  ensureDaemons();
  const dir = mkdtempSync(join(tmpdir(), 'cabine-ipp-'));
  const port = await freePort();
  const name = `Cabine Test ${port}`;
  const child = spawn(
    'ippeveprinter',
    ['-r', 'off', '-k', '-d', dir, '-f', options.formats ?? 'image/png,image/jpeg,application/pdf', '-p', String(port), '-M', 'Cabine', '-m', 'Test DyeSub', name],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const uri = `ipp://127.0.0.1:${port}/ipp/print`;
  const client = new IppClient(uri, { timeoutMs: 1000, retries: 0 });
  const deadline = Date.now() + 15_000;
  while (true) {
    if (child.exitCode !== null) throw new Error(`ippeveprinter exited (${child.exitCode}): ${stderr}`);
    try {
      await client.getPrinterAttributes(['printer-state']);
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new Error(`ippeveprinter did not answer on port ${port}: ${(err as Error).message}; ${stderr}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    uri,
    port,
    dir,
    async setPaper(sheets) {
      // Sources: auto, main, manual, by-pass-tray; the form sets index 1 (main) and 3 (by-pass).
      const q = `size1=na_index-4x6_4x6in&type1=photographic&level1=${sheets}&size3=na_index-4x6_4x6in&type3=photographic&level3=${Math.min(sheets, 25)}`;
      const res = await fetch(`http://127.0.0.1:${port}/media?${q}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`ippeveprinter /media answered ${res.status}`);
    },
    async setSupplies(levels) {
      const body = levels.map((l, i) => `supply${i}=${l}`).join('&');
      const res = await fetch(`http://127.0.0.1:${port}/supplies?${body}`);
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`ippeveprinter /supplies answered ${res.status}`);
    },
    jobFiles() {
      return readdirSync(dir).filter((f) => !f.startsWith('.'));
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
