// The booth's side of a fleet update (the `update` command): it refuses when it cannot update
// (not an installed release, no release key, an update already under way, the release already
// running), else answers at once and, in the background, downloads the bundle (size capped,
// time limited), checks its sha256 against the operator's and its signature against the
// release key, and stages it for the updater (request.ts). It reports where the last update
// is (telemetry `update`), from its own steps and from the updater's state.json, and calls
// onChange whenever that changes (the composition root publishes telemetry and an event).
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import type { commandArgs, UpdateReport } from '../fleet/schemas.ts';
import type { Logger } from '../log.ts';
import { loadPublicKey, verifyBundle } from './bundle.ts';
import { incomingDir, pendingRequest, writeRequest } from './request.ts';
import { readUpdateState, type UpdateState } from './updater.ts';

export type UpdateCommand = z.infer<(typeof commandArgs)['update']>;

export interface UpdateAgentOptions {
  dataDir: string;
  /** The operator's release public key (Ed25519, PEM). */
  releaseKeyFile: string;
  /** The releases root this booth runs from (updater.ts releasesRootOf), or null. */
  releasesRoot: string | null;
  /** The release running. */
  currentVersion: string;
  logger: Logger;
  onChange?: (report: UpdateReport) => void;
  maxBundleBytes?: number;
  downloadTimeoutMs?: number;
  /** How often the updater's state is looked at. */
  pollMs?: number;
}

const PHASES: Record<UpdateState['phase'], UpdateReport['state']> = {
  switching: 'applying',
  checking: 'applying',
  done: 'done',
  'rolled-back': 'rolled-back',
  failed: 'failed',
};

export class UpdateAgent {
  /** This process's own step of the last update (downloading, staged, failed). */
  private local: UpdateReport | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastSent = '';

  constructor(private readonly o: UpdateAgentOptions) {}

  private updaterReport(): UpdateReport | undefined {
    if (!this.o.releasesRoot) return undefined;
    let state: UpdateState | null;
    try {
      state = readUpdateState(this.o.releasesRoot);
    } catch {
      return undefined;
    }
    if (!state) return undefined;
    return { state: PHASES[state.phase], version: state.to, from: state.from, ...(state.reason ? { reason: state.reason.slice(0, 500) } : {}), at: state.endedAt ?? state.startedAt };
  }

  /** The latest of this booth's own steps and the updater's. */
  report(): UpdateReport | undefined {
    const updater = this.updaterReport();
    if (!this.local) return updater;
    if (!updater) return this.local;
    return updater.at >= this.local.at ? updater : this.local;
  }

  private set(report: Omit<UpdateReport, 'at'>): void {
    this.local = { ...report, at: new Date().toISOString() };
    this.changed();
  }

  private changed(): void {
    const report = this.report();
    const text = JSON.stringify(report ?? null);
    if (!report || text === this.lastSent) return;
    this.lastSent = text;
    this.o.onChange?.(report);
  }

  start(): void {
    this.lastSent = JSON.stringify(this.report() ?? null);
    this.timer = setInterval(() => this.changed(), this.o.pollMs ?? 2000);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Accepts an update request and starts it in the background; throws with the reason when it cannot. */
  request(command: UpdateCommand): { version: string; state: UpdateReport['state'] } {
    if (!this.o.releasesRoot) throw new Error('this booth does not run from an installed release (provisioning): it cannot update itself');
    const key = loadPublicKey(this.o.releaseKeyFile);
    if (command.version === this.o.currentVersion) throw new Error(`release ${command.version} is already running`);
    const last = this.report();
    if (last && (last.state === 'downloading' || last.state === 'applying' || (last.state === 'staged' && pendingRequest(this.o.dataDir)))) {
      throw new Error(`an update to ${last.version} is already under way (${last.state})`);
    }
    this.set({ state: 'downloading', version: command.version, from: this.o.currentVersion });
    void this.download(command, key).then(
      () => this.set({ state: 'staged', version: command.version, from: this.o.currentVersion }),
      (err: unknown) => {
        const reason = (err as Error).message;
        this.o.logger.warn({ version: command.version, reason }, 'update not staged');
        this.set({ state: 'failed', version: command.version, from: this.o.currentVersion, reason: reason.slice(0, 500) });
      },
    );
    return { version: command.version, state: 'downloading' };
  }

  private async download(command: UpdateCommand, key: ReturnType<typeof loadPublicKey>): Promise<void> {
    const dir = incomingDir(this.o.dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    // One bundle at a time: earlier downloads (staged and abandoned, or half done) go.
    for (const old of readdirSync(dir)) rmSync(join(dir, old), { force: true, recursive: true });
    const name = `${command.version}.bundle`;
    const part = join(dir, `${name}.part`);
    const max = this.o.maxBundleBytes ?? 2 * 1024 ** 3;
    try {
      const response = await fetch(command.url, { signal: AbortSignal.timeout(this.o.downloadTimeoutMs ?? 30 * 60_000) });
      if (!response.ok || !response.body) throw new Error(`download failed: HTTP ${response.status} ${response.statusText}`);
      const announced = Number(response.headers.get('content-length') ?? NaN);
      if (announced > max) throw new Error(`the bundle is ${announced} bytes, more than ${max}`);
      const hash = createHash('sha256');
      let bytes = 0;
      const body = Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]);
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            bytes += chunk.length;
            if (bytes > max) throw new Error(`the bundle is more than ${max} bytes`);
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(part, { mode: 0o640 }),
      );
      const sha256 = hash.digest('hex');
      if (sha256 !== command.sha256) throw new Error(`the downloaded bundle's sha256 is ${sha256}, the operator gave ${command.sha256}: refused`);
      const verified = await verifyBundle(part, key);
      if (verified.header.version !== command.version) throw new Error(`the bundle is release ${verified.header.version}, ${command.version} was asked for`);
      renameSync(part, join(dir, name));
    } catch (err) {
      rmSync(part, { force: true });
      throw err;
    }
    writeRequest(this.o.dataDir, { version: command.version, bundle: name, sha256: command.sha256, requestedAt: new Date().toISOString() });
    this.o.logger.info({ version: command.version }, 'update staged for the updater');
  }
}
