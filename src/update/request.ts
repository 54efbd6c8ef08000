// The hand-over between the booth (user cabine, no privileges) and the updater (root): once
// the booth has downloaded and checked a bundle asked for by the fleet, it writes
// data.dir/update/request.json; systemd's cabine-update.path sees it and starts
// cabine-update.service, which runs `cabine update apply-request`. The updater trusts nothing
// of it but a file name inside data.dir/update/incoming: the bundle is verified again against
// the release key before anything is unpacked.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RELEASE_VERSION_RE } from '../fleet/schemas.ts';

export const updateDir = (dataDir: string) => join(dataDir, 'update');
export const incomingDir = (dataDir: string) => join(updateDir(dataDir), 'incoming');
export const requestFile = (dataDir: string) => join(updateDir(dataDir), 'request.json');

const requestSchema = z
  .object({
    version: z.string().regex(RELEASE_VERSION_RE),
    /** File name inside incoming/, never a path. */
    bundle: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z._+-]{0,80}\.bundle$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    requestedAt: z.string().max(40),
  })
  .strict();
export type UpdateRequest = z.infer<typeof requestSchema>;

export function writeRequest(dataDir: string, request: UpdateRequest): void {
  const file = requestFile(dataDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(requestSchema.parse(request))}\n`, { mode: 0o640 });
  renameSync(`${file}.tmp`, file);
}

export function pendingRequest(dataDir: string): boolean {
  return existsSync(requestFile(dataDir));
}

/**
 * Takes the request (the file is removed, so the path unit does not start the updater again)
 * and returns it with the bundle's full path; throws with a clear reason when it is malformed.
 */
export function takeRequest(dataDir: string): UpdateRequest & { bundlePath: string } {
  const file = requestFile(dataDir);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    rmSync(file, { force: true });
    throw new Error(`${file}: unreadable update request (${(err as Error).message})`, { cause: err });
  }
  rmSync(file, { force: true });
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: malformed update request: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`);
  return { ...parsed.data, bundlePath: join(incomingDir(dataDir), parsed.data.bundle) };
}
