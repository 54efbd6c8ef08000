// Session files (photo, signature) under <data.dir>/sessions/<id>/, written so that a power
// cut leaves either the complete previous file or the complete new one: write a temporary
// file, fsync it, rename it over the target, fsync the directory. The journal only refers
// to a file after `save` returned.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeFileDurablyAsync } from '../store/files.ts';
import type { MediaPort } from './ports.ts';

const SESSION_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function createFileMedia(dataDir: string): MediaPort {
  const root = resolve(dataDir, 'sessions');
  return {
    async save(sessionId, name, data) {
      if (!SESSION_ID_RE.test(sessionId)) throw new Error(`invalid session id "${sessionId}"`);
      const dir = join(root, sessionId);
      const target = join(dir, name);
      await writeFileDurablyAsync(target, data);
      return target;
    },
    read: (file) => readFile(file),
  };
}
