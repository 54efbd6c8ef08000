// The ccTalk simulator as a separate program on a real pseudo-terminal pair: socat makes two
// linked ptys, the simulator opens one with `serialport` (as a device would sit on the wire)
// and the booth, a test or `cabine coin monitor` opens the other. It is driven by JSON lines
// (stdin, or a script file): coins, faults, status. See docs/cctalk.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { SerialPortStream } from '@serialport/stream';
import { z } from 'zod';
import { CctalkBusSimulator, type SimOptions, type SimStatus } from './sim.ts';
import { openSerialPort, type ByteDevice } from './transport.ts';

const count = z.number().int().min(1).max(10000).default(1);

/** One control command (a JSON object per line). */
export const simCommandSchema = z.union([
  z.object({ coin: z.string().min(1).max(8) }).strict(),
  z.object({ coins: z.array(z.string().min(1).max(8)).max(1000) }).strict(),
  z.object({ garbage: z.number().int().min(1).max(4096) }).strict(),
  z.object({ fault: z.enum(['drop', 'corrupt', 'no-echo', 'garbage', 'wrong-address']), count }).strict(),
  z.object({ silent: z.boolean() }).strict(),
  z.object({ reset: z.literal(true) }).strict(),
  z.object({ counter: z.number().int().min(0).max(255) }).strict(),
  z.object({ jam: z.boolean() }).strict(),
  z.object({ error: z.number().int().min(0).max(255) }).strict(),
  z.object({ hopperLevel: z.number().int().min(0).max(10000) }).strict(),
  z.object({ fuzz: z.number().min(0).max(1) }).strict(),
  z.object({ status: z.literal(true) }).strict(),
  z.object({ wait: z.number().int().min(0).max(600000) }).strict(),
  z.object({ quit: z.literal(true) }).strict(),
]);
export type SimCommand = z.infer<typeof simCommandSchema>;

export type SimReply = { ok: true; status?: SimStatus; result?: unknown } | { ok: false; error: string };

/** Applies one command to the simulator. `wait` and `quit` are handled by the caller. */
export function applySimCommand(sim: CctalkBusSimulator, command: SimCommand): SimReply {
  if ('coin' in command) return { ok: true, result: sim.insertCoin(command.coin) };
  if ('coins' in command) return { ok: true, result: command.coins.map((c) => sim.insertCoin(c)) };
  if ('garbage' in command) sim.garbage(command.garbage);
  else if ('fault' in command) sim.inject(command.fault, command.count);
  else if ('silent' in command) sim.setSilent(command.silent);
  else if ('reset' in command) sim.resetAcceptor();
  else if ('counter' in command) sim.setCounter(command.counter);
  else if ('jam' in command) sim.setJam(command.jam);
  else if ('error' in command) sim.errorEvent(command.error);
  else if ('hopperLevel' in command) sim.setHopperLevel(command.hopperLevel);
  else if ('fuzz' in command) sim.setFuzz(command.fuzz);
  else if ('status' in command) return { ok: true, status: sim.status() };
  return { ok: true };
}

/** Parses a control line; errors are replies, never exceptions. */
export function parseSimCommand(line: string): SimCommand | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { error: `not JSON: ${line.slice(0, 80)}` };
  }
  const parsed = simCommandSchema.safeParse(json);
  if (!parsed.success) return { error: `unknown command: ${line.slice(0, 80)}` };
  return parsed.data;
}

export interface PtyPair {
  /** The end the host (booth) opens. */
  hostPath: string;
  /** The end the simulator opens. */
  devicePath: string;
  close(): Promise<void>;
}

// socat must end with the process that owns the pair, however that process ends: `close()`
// is its orderly stop; a process that exits without it ends its pairs in an 'exit' hook; and a
// process killed outright (SIGKILL, or a signal it does not handle: no JavaScript runs then)
// has the kernel end socat: `setpriv --pdeathsig` (util-linux) sets PR_SET_PDEATHSIG and execs
// socat, so socat gets SIGTERM when the thread that spawned it (Node's main thread) dies.
// Without setpriv (not Linux) the first two still hold.
let setprivFound: boolean | undefined;
function socatCommand(args: string[]): [string, string[]] {
  setprivFound ??= spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
  return setprivFound ? ['setpriv', ['--pdeathsig', 'TERM', '--', 'socat', ...args]] : ['socat', args];
}

/** Pairs not yet closed, each with the synchronous end it gets if the process exits first. */
const openPairs = new Set<() => void>();
let exitHooked = false;
function endAtExit(end: () => void): () => void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const endPair of openPairs) endPair();
    });
  }
  openPairs.add(end);
  return () => openPairs.delete(end);
}

/** Starts `socat` with two linked raw ptys; resolves once both exist. */
export async function createPtyPair(hostLink?: string): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'cabine-cctalk-'));
  const hostPath = hostLink ?? join(dir, 'host');
  const devicePath = join(dir, 'device');
  const [command, args] = socatCommand(['-d', '-d', `pty,raw,echo=0,link=${devicePath}`, `pty,raw,echo=0,link=${hostPath}`]);
  const socat: ChildProcess = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const forget = endAtExit(() => {
    if (socat.exitCode === null && socat.signalCode === null) socat.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  let stderr = '';
  socat.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => socat.once('error', (err) => reject(new Error(`cannot run socat (apt-get install socat): ${err.message}`))));
  const ready = (async () => {
    for (let i = 0; i < 200; i++) {
      if (existsSync(hostPath) && existsSync(devicePath) && /starting data transfer loop/.test(stderr)) return;
      if (socat.exitCode !== null || socat.signalCode !== null) throw new Error(`socat exited: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`socat did not create the ptys: ${stderr.trim()}`);
  })();
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      if (socat.pid !== undefined && socat.exitCode === null && socat.signalCode === null) {
        socat.kill('SIGTERM');
        await exited;
      }
      forget();
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    await Promise.race([ready, spawnError]);
  } catch (err) {
    await close(); // a pair that never came up is not left running either
    throw err;
  }
  return { hostPath, devicePath, close };
}

export interface PtySimulator {
  sim: CctalkBusSimulator;
  hostPath: string;
  close(): Promise<void>;
}

/** A simulator sitting on the device end of a fresh pty pair. */
export async function startPtySimulator(options: SimOptions & { link?: string } = {}): Promise<PtySimulator> {
  const sim = new CctalkBusSimulator(options);
  const pty = await attachToPty(sim, openSerialPort, options.link);
  return { sim, ...pty };
}

/**
 * Puts a byte-level device simulator (ccTalk bus, MDB interface) on the device end of a fresh
 * pty pair, opened with `open` (the device's line settings); `close` stops it and the pair.
 */
export async function attachToPty(
  sim: ByteDevice & { stop(): void },
  open: (path: string) => Promise<SerialPortStream>,
  link?: string,
): Promise<{ hostPath: string; close(): Promise<void> }> {
  const pair = await createPtyPair(link);
  let port: SerialPortStream;
  try {
    port = await open(pair.devicePath);
  } catch (err) {
    await pair.close();
    throw err;
  }
  port.on('data', (bytes: Buffer) => sim.receive(bytes));
  port.on('error', () => undefined);
  const off = sim.onOutput((bytes) => {
    if (port.isOpen) port.write(bytes);
  });
  return {
    hostPath: pair.hostPath,
    async close() {
      off();
      sim.stop();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await pair.close();
    },
  };
}

/** Runs JSON-line commands from a script file (the `wait` command paces them). */
export async function runScript(sim: CctalkBusSimulator, file: string, out: (reply: unknown) => void): Promise<void> {
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const command = parseSimCommand(line);
    if ('error' in command) throw new Error(`${file}:${i + 1}: ${command.error}`);
    if ('wait' in command) await new Promise((r) => setTimeout(r, command.wait));
    else if (!('quit' in command)) out({ line: i + 1, ...applySimCommand(sim, command) });
  }
}

/** Serves commands from `input` (stdin) until it ends or `quit`; replies on `out`. */
export async function serveControl(sim: CctalkBusSimulator, input: NodeJS.ReadableStream, out: (reply: unknown) => void): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    const command = parseSimCommand(line);
    if ('error' in command) {
      out({ ok: false, error: command.error });
      continue;
    }
    if ('quit' in command) break;
    if ('wait' in command) {
      await new Promise((r) => setTimeout(r, command.wait));
      out({ ok: true });
      continue;
    }
    try {
      out(applySimCommand(sim, command));
    } catch (err) {
      out({ ok: false, error: (err as Error).message });
    }
  }
  rl.close();
}
