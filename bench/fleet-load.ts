// Load run: N simulated booths (presence with last will, subscriptions, retained telemetry,
// signed records drained with the booth's window/ack protocol) against one Mosquitto and one
// or more ingest processes (`cabine fleet ingest`, shared subscription). Goal: 10,000 booths,
// >= 5,000 records/s end to end (sent by the booths → verified, stored, acknowledged back).
// The booths run in generator processes (bench/fleet-load-worker.ts) that pre-sign their
// records and speak MQTT with mqtt-packet over raw sockets, so they cost little CPU; their CPU,
// Mosquitto's, the ingest's and the rest of the machine's are printed so a run shows who the
// bottleneck was. Plain TCP on loopback (TLS cost: bench/fleet-latency.ts).
// Record profiles: `small` = a record with no files (~0.6 KB, e.g. a payment or a session
// without its photo); `full` = a session record as the firmware sends it, photo 150 KB +
// signature 20 KB embedded (~0.23 MB on the wire); or --photo/--signature bytes.
// Offered load: --rate R records/s issued evenly over the booths (a fleet in service: what
// throughput and latency it gets), or --rate 0 (default) every record issued at once (the
// replay after an outage: how fast the backlog drains). Latency = issue → ack at the booth.
// Run: node --import tsx bench/fleet-load.ts [--booths 10000] [--records 5] [--profile small|full]
//        [--rate 0] [--workers N (ingest verification threads, default cores)] [--ingests 1]
//        [--generators 2] [--window 32] [--telemetry 60]
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { connectAsync } from 'mqtt';
import { openFleetDb } from '../src/fleet/operator/db.ts';
import { loadOrCreateSigningKey } from '../src/fleet/signing.ts';
import { startBroker } from '../test/fleet/helpers/broker.ts';
import { tempFleetDb } from '../test/fleet/helpers/booth.ts';

const { values: args } = parseArgs({
  options: {
    booths: { type: 'string', default: '10000' },
    records: { type: 'string', default: '5' },
    profile: { type: 'string', default: 'small' },
    photo: { type: 'string' },
    signature: { type: 'string' },
    workers: { type: 'string', default: String(availableParallelism()) },
    ingests: { type: 'string', default: '1' },
    generators: { type: 'string', default: '2' },
    window: { type: 'string', default: '32' },
    telemetry: { type: 'string', default: '60' },
    rate: { type: 'string', default: '0' },
  },
});
const booths = Number(args.booths);
const perBooth = Number(args.records);
const profiles: Record<string, [number, number]> = { small: [0, 0], full: [150_000, 20_000] };
const profile = profiles[args.profile];
if (!profile && (args.photo === undefined || args.signature === undefined)) throw new Error('--profile is small or full (or give --photo and --signature bytes)');
const photoBytes = Number(args.photo ?? profile![0]);
const signatureBytes = Number(args.signature ?? profile![1]);
const generators = Number(args.generators);
const rate = Number(args.rate);
const here = import.meta.dirname;

// --- CPU accounting from /proc (Linux): per process (all threads) and the whole machine
const HZ = 100;
const cpuOf = (pid: number | undefined): number => {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / HZ; // utime + stime (fields 14, 15)
  } catch {
    return 0;
  }
};
const machine = (): { busy: number; total: number } => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / HZ, total: total / HZ };
};
const pidOfMosquitto = (confDir: string): number | undefined => {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('mosquitto') && cmd.includes(confDir)) return Number(entry);
    } catch {
      /* gone */
    }
  }
  return undefined;
};

const broker = await startBroker({ tls: false, acl: false });
const mosquittoPid = pidOfMosquitto(broker.dir);
const fdb = tempFleetDb();
const keyFile = join(fdb.dir, 'shared-signing.pem');
const key = loadOrCreateSigningKey(keyFile);
fdb.db.store.transaction(() => {
  for (let i = 0; i < booths; i++) fdb.db.enrol(`LOAD-${String(i).padStart(5, '0')}`, key.publicKeyPem);
});
fdb.db.close();

// --- the ingest(s), in the same shared-subscription group
const ingests: { proc: ChildProcess; out: string }[] = [];
for (let n = 0; n < Number(args.ingests); n++) {
  // FLEET_LOAD_INGEST_NODE_ARGS: node options for the ingest only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = (process.env.FLEET_LOAD_INGEST_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, join(here, '../bin/cabine.js'), 'fleet', 'ingest', '--data', fdb.dir, '--url', `mqtt://127.0.0.1:${broker.port}`, '--workers', args.workers], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CABINE_LOG_LEVEL: 'info' },
  });
  const ingest = { proc, out: '' };
  proc.stdout!.on('data', (d: Buffer) => (ingest.out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('ingest running')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`ingest exited (${code}): ${err}`)));
  });
  proc.stderr!.removeAllListeners('data');
  proc.stderr!.resume();
  ingests.push(ingest);
}
await new Promise((r) => setTimeout(r, 500)); // SUBACK of the shared subscription

// --- the booths
const t0 = performance.now();
const children: { proc: ChildProcess; next: () => Promise<Record<string, unknown>> }[] = [];
const per = Math.ceil(booths / generators);
for (let g = 0; g < generators; g++) {
  const first = g * per;
  const count = Math.min(per, booths - first);
  if (count <= 0) break;
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'fleet-load-worker.ts'), String(broker.port), String(first), String(count), String(perBooth), keyFile, args.telemetry, String(photoBytes), String(signatureBytes), args.window, String(rate / generators)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  children.push({ proc, next: async () => JSON.parse(String((await lines.next()).value)) as Record<string, unknown> });
}
const hello = await Promise.all(children.map((c) => c.next()));
const connected = hello.reduce((n, m) => n + Number(m.connected ?? 0), 0);
const payloadBytes = hello.reduce((n, m) => n + Number(m.payloadBytes ?? 0), 0);
const connectS = (performance.now() - t0) / 1000;
const total = connected * perBooth;
const avgBytes = total > 0 ? payloadBytes / total : 0;
console.log(`load run on ${availableParallelism()} cores: ${booths} booths, ${perBooth} records each, ${rate > 0 ? `issued at ${rate} records/s` : 'all issued at once'}, record profile ${args.profile} (${(avgBytes / 1024).toFixed(1)} KB per record on the wire), ingest ${args.ingests} process(es) x ${args.workers} verification worker(s), window ${args.window}`);
console.log(`${connected} booths connected, subscribed and warmed up (one record each acknowledged) in ${connectS.toFixed(1)} s (records signed and framed meanwhile), telemetry every ${args.telemetry} s (${Math.round(connected / Number(args.telemetry))} messages/s)`);

// --- the timed phase
const procs = () => ({ ingest: ingests.reduce((s, i) => s + cpuOf(i.proc.pid), 0), mosquitto: cpuOf(mosquittoPid) });
const cpu0 = procs();
const m0 = machine();
const t1 = performance.now();
for (const c of children) c.proc.stdin!.write('go\n');
const results = await Promise.all(children.map((c) => c.next()));
const seconds = (performance.now() - t1) / 1000;
const cpu1 = procs();
const m1 = machine();

const latencies = results.flatMap((r) => r.latencies as number[]).sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
const resent = results.reduce((n, r) => n + Number(r.resent ?? 0), 0);
const cores = (a: number, b: number) => ((b - a) / seconds).toFixed(2);
const perRecord = (cpuS: number) => `${Math.round((cpuS / total) * 1e6)} us`;
const generatorCpu = results.reduce((n, r) => n + Number(r.cpuMs ?? 0) / 1000, 0);
const ours = cpu1.ingest - cpu0.ingest + (cpu1.mosquitto - cpu0.mosquitto) + generatorCpu;
const wall = (m1.total - m0.total) / availableParallelism();
console.log(
  `${total} records sent, verified, stored and acknowledged in ${seconds.toFixed(1)} s: ${Math.round(total / seconds)} records/s, ${(payloadBytes / seconds / 1e6).toFixed(1)} MB/s; send → ack p50 ${q(0.5)} ms, p99 ${q(0.99)} ms; ${resent} resent after the ack timeout`,
);
console.log(
  `  CPU (cores, over the timed phase): ingest ${cores(cpu0.ingest, cpu1.ingest)}, mosquitto ${cores(cpu0.mosquitto, cpu1.mosquitto)}, booth generators ${(generatorCpu / seconds).toFixed(2)}, other processes on the machine ${((m1.busy - m0.busy - ours) / wall).toFixed(2)}, idle ${((m1.total - m0.total - (m1.busy - m0.busy)) / wall).toFixed(2)}`,
);
const ingestCpu = cpu1.ingest - cpu0.ingest;
const pipelineCpu = ours / total;
console.log(
  `  CPU per record: ingest ${perRecord(ingestCpu)}, mosquitto ${perRecord(cpu1.mosquitto - cpu0.mosquitto)}, generators ${perRecord(generatorCpu)} → ${Math.round(1 / pipelineCpu)} records/s per core for the whole pipeline, ${Math.round(1 / (ingestCpu / total))} per core of ingest`,
);
// The operator side alone (ingest + Mosquitto; in the field the booths are other computers): its
// CPU per record, and what that CPU cost allows on this machine's cores if nothing else ran.
// A projection from the measured CPU, labelled as such, not a measured rate.
const operatorCpu = (ingestCpu + (cpu1.mosquitto - cpu0.mosquitto)) / total;
console.log(
  `  operator side (ingest + mosquitto): ${Math.round(operatorCpu * 1e6)} us CPU per record → ${Math.round(availableParallelism() / operatorCpu)} records/s on ${availableParallelism()} free cores (projection from CPU, generator excluded)`,
);
// what the broker dropped (queue of a slow subscriber full): $SYS, refreshed every 10 s
const sys = await connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5, reconnectPeriod: 0 });
const dropped = await new Promise<string>((resolve) => {
  const timer = setTimeout(() => resolve('?'), 3000);
  sys.on('message', (_topic, payload) => {
    clearTimeout(timer);
    resolve(payload.toString());
  });
  void sys.subscribeAsync('$SYS/broker/publish/messages/dropped');
});
await sys.endAsync();
console.log(`  broker: ${dropped} messages dropped (a subscriber's queue full; $SYS, up to 10 s old)${resent > 0 ? ` — the booths sent ${resent} again after their ack timeout` : ''}`);
await Promise.all(children.map((c) => new Promise((r) => (c.proc.exitCode !== null ? r(null) : c.proc.once('exit', r)))));
for (const i of ingests) i.proc.kill('SIGTERM');
await Promise.all(ingests.map((i) => new Promise((r) => (i.proc.exitCode !== null ? r(null) : i.proc.once('exit', r)))));
const db = openFleetDb(fdb.dir);
const counts = db.counts();
for (const i of ingests) console.log(`  ingest: ${i.out.trim()}`);
const expected = total + connected; // + one warm-up record per booth
console.log(`  stored ${counts.records} of ${expected} (${total} + ${connected} warm-up; each once: ${counts.records === expected ? 'yes' : 'NO'}), deliveries ${counts.deliveries}, rejected ${counts.rejects}`);
db.close();
fdb.remove();
await broker.stop();
if (counts.records !== expected) process.exitCode = 1;
