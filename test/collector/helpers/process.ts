// `cabine collector` as an operator runs it: a child process on a free port (--listen :0),
// whose first stdout line says where it listens; stopped with SIGTERM by the test.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const bin = join(import.meta.dirname, '../../../bin/cabine.js');

export interface RunningCollector {
  url: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

export async function startCollector(args: string[], env: Record<string, string> = {}): Promise<RunningCollector> {
  const child = spawn(process.execPath, [bin, 'collector', '--listen', '127.0.0.1:0', ...args], { env: { ...process.env, CABINE_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    void exited.then((code) => reject(new Error(`collector exited (${code}) before listening: ${err}`)));
  });
  const { listening } = JSON.parse(line) as { listening: string };
  return {
    url: listening,
    port: Number(new URL(listening).port),
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

export function cabine(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, CABINE_LOG_LEVEL: 'warn', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
