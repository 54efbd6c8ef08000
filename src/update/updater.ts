// Health-gated updates with rollback. Layout under the releases root (default
// /opt/cabine-releases; /opt/cabine is a link to root/current):
//   releases/<version>/   unpacked release trees (the current and the previous one are kept)
//   current -> releases/<v>, previous -> releases/<v>   switched by atomic rename of a new link
//   state.json            the last update: phase, from, to, snapshot, outcome, reason
// apply: verify the bundle (signature before anything is unpacked), unpack, carry node_modules
// over from the current release when the bundle has none and package-lock.json is identical,
// check the new release's models, stop the booth, copy the database, switch, start, then wait
// for the health gate: the new release must write its ready file (its version, a live pid) and
// pass its own self-test within the time limit. Otherwise it rolls back by itself: previous
// release back, database restored from the copy taken before the new release could migrate
// it, booth started again.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { unpackBundle, verifyBundle } from './bundle.ts';
import { readReadyFile } from './ready.ts';

export interface UpdaterOptions {
  root: string;
  dataDir: string;
  /** The operator's release key: needed to apply a bundle. */
  publicKey?: KeyObject;
  /** Shell commands stopping and starting the booth (default: systemctl stop|start cabine). */
  stopCommand: string;
  startCommand: string;
  /** Exits 0 when the booth started by startCommand has crashed since: the gate fails at once. */
  crashedCommand?: string;
  /** Time for the new release to become ready and pass its self-test. */
  healthTimeoutMs: number;
  log?: (line: string) => void;
}

const stateSchema = z.object({
  phase: z.enum(['switching', 'checking', 'done', 'rolled-back', 'failed']),
  from: z.string().nullable(),
  to: z.string(),
  snapshot: z.string().nullable(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  reason: z.string().optional(),
});
export type UpdateState = z.infer<typeof stateSchema>;

const DB_FILES = ['booth.db', 'booth.db-wal', 'booth.db-shm'];

/** The last update recorded under a releases root, or null. */
export function readUpdateState(root: string): UpdateState | null {
  const file = join(root, 'state.json');
  if (!existsSync(file)) return null;
  return stateSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/**
 * The releases root this tree is installed in (…/releases/<version>/ → …), or null when it
 * is not an installed release (a git checkout). Node resolves the /opt/cabine link, so the
 * module's own path is the release folder's.
 */
export function releasesRootOf(appDir: string): string | null {
  const parent = resolve(appDir, '..');
  return basename(parent) === 'releases' ? resolve(parent, '..') : null;
}

export class Updater {
  constructor(private readonly o: UpdaterOptions) {}

  private get releasesDir(): string { return join(this.o.root, 'releases'); }
  get dataDir(): string { return this.o.dataDir; }
  private link(name: 'current' | 'previous'): string { return join(this.o.root, name); }
  private log(line: string): void { this.o.log?.(line); }

  /** Version a link points at, or null. */
  version(name: 'current' | 'previous'): string | null {
    try {
      return basename(readlinkSync(this.link(name)));
    } catch {
      return null;
    }
  }

  releases(): string[] {
    return existsSync(this.releasesDir) ? readdirSync(this.releasesDir).filter((d) => !d.endsWith('.tmp')).sort() : [];
  }

  state(): UpdateState | null {
    return readUpdateState(this.o.root);
  }

  /** Records an update that failed before the switch (a bad bundle...), so the booth reports it. */
  recordFailure(version: string, reason: string): UpdateState {
    const now = new Date().toISOString();
    const state: UpdateState = { phase: 'failed', from: this.version('current'), to: version, snapshot: null, startedAt: now, endedAt: now, reason: reason.slice(0, 500) };
    this.saveState(state);
    return state;
  }

  private saveState(state: UpdateState): void {
    const file = join(this.o.root, 'state.json');
    writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }

  /** Points `name` at releases/<version> atomically (a new link renamed over the old). */
  private point(name: 'current' | 'previous', version: string): void {
    const tmp = `${this.link(name)}.tmp`;
    rmSync(tmp, { force: true });
    symlinkSync(join('releases', version), tmp);
    renameSync(tmp, this.link(name));
  }

  private run(command: string, what: string): void {
    const r = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${what} (${command}) failed: ${(r.stderr || r.stdout || String(r.error ?? '')).trim()}`);
  }

  private snapshotDir(version: string | null): string {
    return join(this.o.dataDir, 'update', `db-before-${version ?? 'none'}`);
  }

  private copyDb(fromDir: string, toDir: string): void {
    mkdirSync(toDir, { recursive: true });
    for (const f of DB_FILES) {
      rmSync(join(toDir, f), { force: true });
      if (existsSync(join(fromDir, f))) copyFileSync(join(fromDir, f), join(toDir, f));
    }
  }

  /** Installs a bundle and switches to it behind the health gate. Returns the final state. */
  async apply(bundleFile: string, expectVersion?: string): Promise<UpdateState> {
    if (!this.o.publicKey) throw new Error('no release public key: bundles cannot be checked');
    const bundle = await verifyBundle(bundleFile, this.o.publicKey);
    const version = bundle.header.version;
    if (expectVersion !== undefined && version !== expectVersion) throw new Error(`the bundle is release ${version}, ${expectVersion} was asked for`);
    const from = this.version('current');
    if (version === from) throw new Error(`release ${version} is already the current one`);
    mkdirSync(this.releasesDir, { recursive: true });
    const target = join(this.releasesDir, version);
    if (existsSync(target) && version !== this.version('previous')) rmSync(target, { recursive: true, force: true });
    if (!existsSync(target)) {
      const tmp = `${target}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      unpackBundle(bundle, tmp);
      writeFileSync(join(tmp, 'release.json'), `${JSON.stringify({ version, created: bundle.header.created })}\n`);
      if (!existsSync(join(tmp, 'node_modules'))) this.carryDependencies(tmp, from);
      this.checkModels(tmp);
      renameSync(tmp, target);
    }
    this.log(`release ${version} unpacked and checked`);
    return this.switchTo(version, from, 'update');
  }

  /** Dependencies of a release without node_modules: the current release's, if the lock file is the same. */
  private carryDependencies(dir: string, from: string | null): void {
    const current = from ? join(this.releasesDir, from) : null;
    const sameLock = current && existsSync(join(current, 'node_modules'))
      && readFileSync(join(dir, 'package-lock.json'), 'utf8') === readFileSync(join(current, 'package-lock.json'), 'utf8');
    if (!sameLock || !current) throw new Error('the bundle carries no node_modules and its package-lock.json differs from the current release\'s: build the bundle with node_modules (no internet on the board)');
    const source = join(current, 'node_modules');
    if (lstatSync(source).isSymbolicLink()) {
      symlinkSync(readlinkSync(source), join(dir, 'node_modules'));
    } else {
      // Hard links: no copy of the bytes, and the old release can be deleted later.
      const cp = spawnSync('cp', ['-al', source, join(dir, 'node_modules')], { encoding: 'utf8' });
      if (cp.status !== 0) throw new Error(`cannot carry node_modules over: ${cp.stderr}`);
    }
  }

  private checkModels(dir: string): void {
    const r = spawnSync(process.execPath, [join(dir, 'bin/cabine.js'), 'models', 'check', '--json'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0) throw new Error(`the new release's face models do not check: ${(r.stdout || r.stderr).trim().slice(0, 500)}`);
  }

  private async switchTo(version: string, from: string | null, why: 'update' | 'rollback'): Promise<UpdateState> {
    const snapshot = this.snapshotDir(from);
    const state: UpdateState = { phase: 'switching', from, to: version, snapshot: null, startedAt: new Date().toISOString() };
    this.saveState(state);
    this.run(this.o.stopCommand, 'stopping the booth');
    // The copy is taken with the booth stopped, before the new release can migrate anything.
    this.copyDb(this.o.dataDir, snapshot);
    state.snapshot = snapshot;
    rmSync(join(this.o.dataDir, 'ready.json'), { force: true });
    if (from) this.point('previous', from);
    this.point('current', version);
    state.phase = 'checking';
    this.saveState(state);
    this.log(`${why}: switched ${from ?? '(none)'} -> ${version}; waiting for the health gate`);
    const problem = await this.startAndCheck(version);
    if (!problem) {
      Object.assign(state, { phase: 'done', endedAt: new Date().toISOString() });
      this.saveState(state);
      this.prune();
      this.log(`release ${version} healthy`);
      return state;
    }
    this.log(`release ${version} failed its health gate: ${problem}; rolling back`);
    if (!from) {
      Object.assign(state, { phase: 'failed', endedAt: new Date().toISOString(), reason: problem });
      this.saveState(state);
      return state;
    }
    this.run(this.o.stopCommand, 'stopping the failed release');
    this.copyDb(snapshot, this.o.dataDir);
    this.point('current', from);
    this.point('previous', version);
    rmSync(join(this.o.dataDir, 'ready.json'), { force: true });
    const again = await this.startAndCheck(from);
    Object.assign(state, { phase: again ? 'failed' : 'rolled-back', endedAt: new Date().toISOString(), reason: again ? `${problem}; and the rollback: ${again}` : problem });
    this.saveState(state);
    return state;
  }

  /** Starts the booth and waits for `version` to be ready and pass its self-test; returns the problem, or null. */
  private async startAndCheck(version: string): Promise<string | null> {
    try {
      this.run(this.o.startCommand, 'starting the booth');
    } catch (err) {
      return (err as Error).message;
    }
    const deadline = Date.now() + this.o.healthTimeoutMs;
    let last = 'never became ready';
    while (Date.now() < deadline) {
      if (this.o.crashedCommand && spawnSync('sh', ['-c', this.o.crashedCommand]).status === 0) return 'the booth crashed before it was ready';
      const ready = readReadyFile(this.o.dataDir);
      if (ready && ready.release === version) {
        const test = spawnSync(process.execPath, [join(this.o.root, 'current/bin/cabine.js'), 'update', 'selftest', '--data', this.o.dataDir], {
          encoding: 'utf8', timeout: Math.max(1000, deadline - Date.now()),
        });
        if (test.status === 0) return null;
        last = `self-test failed: ${(test.stderr || test.stdout || String(test.error ?? test.signal ?? test.status)).trim().slice(0, 500)}`;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return `${last} within ${Math.round(this.o.healthTimeoutMs / 1000)} s`;
  }

  /** Manual rollback to the previous release (database restored from the copy taken before it). */
  async rollback(): Promise<UpdateState> {
    const current = this.version('current');
    const previous = this.version('previous');
    if (!current || !previous) throw new Error('no previous release to roll back to');
    const snapshot = this.snapshotDir(previous);
    this.run(this.o.stopCommand, 'stopping the booth');
    if (existsSync(join(snapshot, 'booth.db'))) this.copyDb(snapshot, this.o.dataDir);
    this.point('current', previous);
    this.point('previous', current);
    rmSync(join(this.o.dataDir, 'ready.json'), { force: true });
    const problem = await this.startAndCheck(previous);
    const state: UpdateState = { phase: problem ? 'failed' : 'rolled-back', from: current, to: previous, snapshot, startedAt: new Date().toISOString(), endedAt: new Date().toISOString(), reason: problem ?? 'rolled back by hand' };
    this.saveState(state);
    return state;
  }

  /** Keeps two releases: current and previous. */
  private prune(): void {
    const keep = new Set([this.version('current'), this.version('previous')]);
    for (const r of this.releases()) if (!keep.has(r)) rmSync(join(this.releasesDir, r), { recursive: true, force: true });
  }

  /** Adopts an installed tree as the first release (provisioning). */
  static adopt(root: string, version: string, tree: string): void {
    mkdirSync(join(root, 'releases'), { recursive: true });
    const target = join(root, 'releases', version);
    if (resolve(tree) !== resolve(target)) renameSync(tree, target);
    const tmp = join(root, 'current.tmp');
    rmSync(tmp, { force: true });
    symlinkSync(join('releases', version), tmp);
    renameSync(tmp, join(root, 'current'));
  }
}
