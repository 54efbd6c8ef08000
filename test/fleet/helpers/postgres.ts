// A real PostgreSQL server of our own for a test file: `initdb` in a temp dir, `postgres` on a
// free loopback port with trust authentication on 127.0.0.1, its socket in the same dir;
// stopped (fast shutdown) and removed by `stop()`. Nothing relies on a system service.
// PostgreSQL refuses to run as root (CI runs as root): there the server runs as the `postgres`
// user the Debian package creates, through `setpriv` (util-linux), which execs in place, so the
// child we hold IS the postmaster and a signal to it stops the server.
// Missing binaries are an error, not a skip: CI installs the Debian package `postgresql`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './broker.ts';

export interface TestPostgres {
  port: number;
  dir: string;
  /** URL of a database on this server (trust authentication, user postgres). */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Server output so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** The directory holding initdb and postgres: $CABINE_TEST_PG_BIN, else the newest /usr/lib/postgresql/<v>/bin. */
export function postgresBinDir(): string {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
  const fromEnv = process.env.CABINE_TEST_PG_BIN;
  if (fromEnv) {
    if (has(fromEnv)) return fromEnv;
    throw new Error(`CABINE_TEST_PG_BIN=${fromEnv} holds no initdb and postgres`);
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+(\.\d+)?$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (has(join(root, v, 'bin'))) return join(root, v, 'bin');
  throw new Error(
    'PostgreSQL server binaries (initdb, postgres) were not found under /usr/lib/postgresql/*/bin: install the Debian package "postgresql" (apt-get install -y postgresql) or set CABINE_TEST_PG_BIN',
  );
}

interface RunAs {
  prefix: string[];
  uid?: number;
  gid?: number;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return { prefix: [] };
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error('running as root, which PostgreSQL refuses, and there is no "postgres" user to run it as (the Debian package "postgresql" creates it)');
  }
  const u = Number(uid.stdout.trim());
  const g = Number(gid.stdout.trim());
  return { prefix: ['setpriv', `--reuid=${u}`, `--regid=${g}`, '--init-groups', '--'], uid: u, gid: g };
}

function command(as: RunAs, file: string, args: string[]): [string, string[]] {
  const all = [...as.prefix, file, ...args];
  return [all[0] as string, all.slice(1)];
}

async function canConnect(port: number): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface StartPostgresOptions {
  /** fsync on (benchmarks); tests run with fsync off, which changes no visible behaviour. */
  durable?: boolean;
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const as = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'cabine-postgres-'));
  if (as.uid !== undefined && as.gid !== undefined) chownSync(dir, as.uid, as.gid);
  const dataDir = join(dir, 'data');
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const [initCmd, initArgs] = command(as, join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', env, cwd: dir });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.error?.message ?? `exit ${init.status}`}): ${init.stderr}`);
  }

  let child: ChildProcess | undefined;
  let log = '';
  let port = 0;
  const killOnExit = () => child?.kill('SIGQUIT'); // immediate shutdown if the test process dies first
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const [cmd, args] = command(as, join(bin, 'postgres'), [
      '-D', dataDir, '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${dir}`,
      '-c', `fsync=${options.durable ? 'on' : 'off'}`,
      '-c', 'max_connections=40',
      '-c', 'shared_buffers=16MB',
    ]);
    log = '';
    const proc = spawn(cmd, args, { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-20_000));
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let exited = false;
    proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 60_000;
    let ready = false;
    while (!exited && Date.now() < deadline) {
      if (await canConnect(port)) {
        ready = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (ready) break;
    if (!exited) proc.kill('SIGKILL');
    if (attempt >= 3 || !/could not (bind|create listen)|already in use/i.test(log)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres did not start on port ${port}: ${log.slice(-2000)}`);
    }
  }
  process.once('exit', killOnExit);

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    dir,
    url,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name "${name}" is not a plain identifier`);
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    output: () => log,
    async stop() {
      process.removeListener('exit', killOnExit);
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
        proc.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
        const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
