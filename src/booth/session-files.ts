// The customer's files on the booth live only as long as their session needs them
// (docs/privacy.md): the photo and signature (data.dir/sessions/<id>/), the rendered board
// (data.dir/boards/<id>.png) and the simulated printer's job file (data.dir/printer/) are
// deleted once the session has ended. By then a served session's record, which embeds the
// photo and signature, is in the outbox (durably: it was queued before the code was shown)
// and its board is printed; an abandoned, refused or refunded session has no use for them.
//
// The rule is "nothing but the session in progress": after each session ends and at start
// (after the journal's recovery, so files left by a power cut go too), every session folder,
// board and session print job that is not the current session's is removed. The current
// session, including a paid one waiting for a device to print, keeps its files.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { printJobSession, safeName } from '../print/queue.ts';

export interface SessionFilesOptions {
  dataDir: string;
  /** The simulated printer's folder, when the printer is simulated (its job files are the "paper"). */
  printerDir?: string;
  /** The session in progress (its files are kept), or null. */
  currentSession(): string | null;
  logger: Logger;
}

export interface SweepReport {
  sessions: number;
  boards: number;
  printJobs: number;
  stills: number;
}

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return []; // not created yet
  }
};

export function createSessionFiles(options: SessionFilesOptions): { sweep(): SweepReport } {
  const log = options.logger.child({ module: 'session-files' });
  const sessionsDir = join(options.dataDir, 'sessions');
  const boardsDir = join(options.dataDir, 'boards');
  const remove = (path: string): boolean => {
    try {
      rmSync(path, { recursive: true, force: true });
      return true;
    } catch (err) {
      log.error({ err, path }, 'could not delete a customer file; will try again after the next session');
      return false;
    }
  };
  return {
    sweep() {
      const report: SweepReport = { sessions: 0, boards: 0, printJobs: 0, stills: 0 };
      // Read for each entry: a session that starts during the sweep keeps its files.
      const keep = (sessionId: string) => {
        const current = options.currentSession();
        return current !== null && (sessionId === current || sessionId === safeName(current));
      };
      for (const name of list(sessionsDir)) if (!keep(name) && remove(join(sessionsDir, name))) report.sessions++;
      for (const name of list(boardsDir)) {
        const session = name.replace(/\.png$/, '');
        if (!keep(session) && remove(join(boardsDir, name))) report.boards++;
      }
      // Camera-test stills: no longer written (checked in memory); an older release left them here.
      const consoleDir = join(options.dataDir, 'console');
      for (const name of list(consoleDir)) if (/^camera-test-.*\.jpg$/.test(name) && remove(join(consoleDir, name))) report.stills++;
      if (options.printerDir) {
        for (const name of list(options.printerDir)) {
          const session = printJobSession(name);
          if (session !== undefined && !keep(session) && remove(join(options.printerDir, name))) report.printJobs++;
        }
      }
      if (report.sessions + report.boards + report.printJobs + report.stills > 0) log.info({ ...report }, 'customer files of ended sessions deleted');
      return report;
    },
  };
}
