// The booth's ready file (data.dir/ready.json): written once the booth is up, read by the
// update health gate. It says which release is running and its pid.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const readySchema = z.object({ release: z.string(), pid: z.number().int().positive(), at: z.string(), selling: z.string() });
export type ReadyFile = z.infer<typeof readySchema>;

/** This release's version: release.json of an installed release, else package.json's. */
export function releaseVersion(): string {
  const app = fileURLToPath(new URL('../../', import.meta.url));
  for (const f of ['release.json', 'package.json']) {
    const path = join(app, f);
    if (existsSync(path)) return z.object({ version: z.string() }).parse(JSON.parse(readFileSync(path, 'utf8'))).version;
  }
  return 'unknown';
}

export function writeReadyFile(dataDir: string, selling: string): void {
  const file = join(dataDir, 'ready.json');
  const ready: ReadyFile = { release: releaseVersion(), pid: process.pid, at: new Date().toISOString(), selling };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(ready)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** The ready file when its process is alive, else null. */
export function readReadyFile(dataDir: string): ReadyFile | null {
  try {
    const ready = readySchema.parse(JSON.parse(readFileSync(join(dataDir, 'ready.json'), 'utf8')));
    process.kill(ready.pid, 0);
    return ready;
  } catch {
    return null;
  }
}
