// A release's self-test, run by the update health gate once the booth says it is ready: the
// booth running is this release and selling, its face models are the manifest's, and its
// database passes SQLite's quick check.
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkModelFiles } from '../vision/models/manifest.ts';
import { readReadyFile, releaseVersion } from './ready.ts';

export async function selfTest(dataDir: string): Promise<string[]> {
  const problems: string[] = [];
  const ready = readReadyFile(dataDir);
  if (!ready) problems.push('the booth is not running (no live ready file)');
  else if (ready.release !== releaseVersion()) problems.push(`the booth running is release ${ready.release}, not ${releaseVersion()}`);
  else if (ready.selling !== 'yes') problems.push(`the booth does not sell: ${ready.selling}`);
  for (const m of checkModelFiles()) if (!m.ok) problems.push(`model ${m.name}: ${m.problem ?? ''}`);
  const dbFile = join(dataDir, 'booth.db');
  if (existsSync(dbFile)) {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      const result = db.pragma('quick_check', { simple: true });
      if (result !== 'ok') problems.push(`database: ${String(result)}`);
    } finally {
      db.close();
    }
  }
  return problems;
}
