// The console's commands: one table, each with its usage and help, run against the booth
// through the control client. Plain text output (paged by the session), live commands
// write as events arrive and end on a key.
import { configKeys, parseKeyValue, setPath, validateConfig, type ConfigKey } from '../config/load.ts';
import type { ControlClient } from './client.ts';
import { sessionRefSchema, type BoothStatus, type CoinEvent, type DeviceRow, type TouchEvent } from './protocol.ts';
import type { Terminal } from './terminal.ts';

export interface CommandContext {
  client: ControlClient;
  /** Words after the command name (without --force). */
  args: string[];
  force: boolean;
  /** Adds a line to the command's output (paged when the command ends). */
  out(line?: string): void;
  term: Terminal;
  /** Runs a live display until the technician presses q, Enter, Esc or ^C (or the session ends). */
  live(start: (stopped: Promise<void>) => Promise<void>): Promise<void>;
}

export interface CommandSpec {
  /** Words that name the command, e.g. ['coin', 'test']. */
  words: string[];
  usage: string;
  summary: string;
  /** Longer help (what it does, what it refuses). */
  help: string;
  run(ctx: CommandContext): Promise<void>;
}

export class UsageError extends Error {}

const euros = (cents: number) => `${(cents / 100).toFixed(2)} EUR`;
const ago = (iso: string | null) => (iso ? `${iso} (${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000))} min ago)` : 'none');

function deviceLine(term: Terminal, d: DeviceRow): string {
  const health = d.health === 'ok' ? term.paint('ok', 'green') : d.health === 'fault' || d.health === 'absent' ? term.paint(d.health, 'red') : term.paint(d.health, 'yellow');
  return `  ${d.name.padEnd(13)} ${health.padEnd(term.colour ? 17 : 8)} ${(d.simulated ? 'sim' : 'real').padEnd(5)} ${d.driver}${d.detail ? ` - ${d.detail}` : ''}`;
}

function statusLines(term: Terminal, s: BoothStatus): string[] {
  const lines = [
    `booth     ${s.booth.id} (${s.booth.name}), cabine ${s.booth.version}${s.booth.simulated ? ', simulated devices' : ''}, up ${Math.round(s.booth.uptimeSeconds)} s`,
    `session   ${s.session.step}${s.session.sessionId ? ` ${s.session.sessionId}` : ''}${s.session.inProgress ? ' (customer in the booth)' : ''}${s.session.blocked ? `, blocked on ${s.session.blocked.device}: ${s.session.blocked.message}` : ''}`,
    `sales     ${s.sales.enabled ? term.paint('on', 'green') : term.paint('off', 'red')}${s.sales.reason ? ` - ${s.sales.reason}` : ''}`,
    `network   ${s.network.addresses.length ? s.network.addresses.join(', ') : 'no address'}`,
    `broker    ${s.broker.configured ? `${s.broker.url ?? ''} ${s.broker.connected ? term.paint('connected', 'green') : term.paint('disconnected', 'red')}` : 'no fleet configured'}${s.broker.detail ? ` - ${s.broker.detail}` : ''}`,
    `outbox    ${s.outbox.depth} record(s) waiting${s.outbox.depth ? `, oldest ${ago(s.outbox.oldest)}` : ''}`,
    `disk      ${s.disk.freeMb} MB free in ${s.disk.dir} (sales stop below ${s.disk.minFreeMb} MB)`,
    `cpu temp  ${s.temperatureC === null ? 'not available' : `${s.temperatureC.toFixed(1)} C`}`,
    'devices',
    ...s.devices.map((d) => deviceLine(term, d)),
  ];
  return lines;
}

function parseLevel(text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || !/^\d{1,3}(\.\d+)?$/.test(text) || n > 100) throw new UsageError('light level takes a brightness from 0 to 100 (%)');
  return n;
}

/** Draws touch points on a character grid, scaled from the panel's size. */
export class TouchCanvas {
  private readonly grid: string[][];
  constructor(
    readonly panel: { width: number; height: number },
    readonly cols: number,
    readonly rows: number,
  ) {
    this.grid = Array.from({ length: rows }, () => Array.from({ length: cols }, () => ' '));
  }
  plot(x: number, y: number, mark = '#'): void {
    const c = Math.min(this.cols - 1, Math.max(0, Math.floor((x / this.panel.width) * this.cols)));
    const r = Math.min(this.rows - 1, Math.max(0, Math.floor((y / this.panel.height) * this.rows)));
    this.grid[r]![c] = mark;
  }
  lines(): string[] {
    const border = '+' + '-'.repeat(this.cols) + '+';
    return [border, ...this.grid.map((row) => '|' + row.join('') + '|'), border];
  }
}

function coinLine(e: CoinEvent): string {
  const time = e.at.slice(11, 19);
  if (e.kind === 'credit') return `${time}  coin ${e.coin ?? '?'}  ${e.valueCents !== null ? euros(e.valueCents) : ''}  channel ${e.channel ?? '?'}  ${e.message}`;
  if (e.kind === 'end') return `${time}  ${e.message}`;
  return `${time}  ${e.kind.toUpperCase()}  ${e.message}`;
}

function findKey(key: string): ConfigKey {
  const keys = configKeys();
  const found = keys.find((k) => k.path === key);
  if (found) return found;
  const near = keys.filter((k) => k.path.startsWith(key.split('.')[0] ?? '')).map((k) => k.path);
  throw new UsageError(`unknown config key "${key}"${near.length ? `; keys of that section: ${near.join(', ')}` : ' (see `config get`)'}`);
}

export const commands: CommandSpec[] = [
  {
    words: ['status'],
    usage: 'status',
    summary: 'session step, devices, network, broker, outbox, disk, temperature',
    help: 'Shows the state of the session machine (and whether a customer is in the booth), whether sales are on, every device, the network addresses, the MQTT broker, the records waiting in the outbox, free disk space and the CPU temperature.',
    async run(ctx) {
      for (const line of statusLines(ctx.term, await ctx.client.request('status', {}))) ctx.out(line);
    },
  },
  {
    words: ['devices'],
    usage: 'devices',
    summary: 'each device, its driver, its health and readings',
    help: 'Lists lighting, curtain, touch, camera, coin acceptor and printer: driver, real or simulated, health, the reason when not ok, and what the device reports.',
    async run(ctx) {
      for (const d of await ctx.client.request('devices', {})) {
        ctx.out(deviceLine(ctx.term, d));
        if (d.readings) ctx.out(`      ${Object.entries(d.readings).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`);
      }
    },
  },
  {
    words: ['light'],
    usage: 'light on|off|level N [--force]',
    summary: 'switch the lighting ring, set its brightness (0-100 %)',
    help: 'light on / light off switch the relay of the LED ring; light level N sets the PWM brightness in percent (and switches it on). Refused while a customer session is in progress unless --force.',
    async run(ctx) {
      const [what, value] = ctx.args;
      const params =
        what === 'on' ? { on: true } : what === 'off' ? { on: false } : what === 'level' ? { level: parseLevel(value), on: parseLevel(value) > 0 } : undefined;
      if (!params) throw new UsageError('usage: light on|off|level N');
      const state = await ctx.client.request('light', { ...params, ...(ctx.force ? { force: true } : {}) });
      ctx.out(`light ${state.on ? 'on' : 'off'}, level ${state.level} %`);
    },
  },
  {
    words: ['curtain'],
    usage: 'curtain',
    summary: 'live state of the curtain switch (q to stop)',
    help: 'Shows whether the curtain is drawn, then one line per change as it happens, until you press q, Enter or ^C. Draw and open the curtain to check the switch.',
    async run(ctx) {
      await ctx.live(async (stopped) => {
        const sub = await ctx.client.subscribe('curtain', (e) => ctx.term.writeLine(`${(e.at ?? new Date().toISOString()).slice(11, 19)}  curtain ${e.drawn ? 'DRAWN' : 'open'}`));
        ctx.term.writeLine(`curtain is ${sub.info.drawn ? 'DRAWN' : 'open'} (q to stop)`);
        await stopped;
        await sub.stop();
      });
    },
  },
  {
    words: ['coin', 'test'],
    usage: 'coin test [--force]',
    summary: 'enable the acceptor and show each coin (q to stop, inhibits on exit)',
    help: 'Enables the coin acceptor for every euro coin and shows each coin (value, channel), reject and alarm as it happens. Test coins go to the cash box and are counted there (counters shows them apart), never as a sale nor as credit for a customer. The acceptor is inhibited again when you press q, Enter or ^C, when the console is disconnected, and by the booth itself when a customer session starts or a payment opens. Refused while a customer session is in progress unless --force.',
    async run(ctx) {
      await ctx.live(async (stopped) => {
        let total = 0;
        let endedByBooth!: () => void;
        const boothEnded = new Promise<void>((resolve) => (endedByBooth = resolve));
        const sub = await ctx.client.subscribe(
          'coin',
          (e) => {
            if (e.kind === 'credit' && e.valueCents) total += e.valueCents;
            ctx.term.writeLine(coinLine(e));
            if (e.kind === 'end') endedByBooth();
          },
          ctx.force,
        );
        ctx.term.writeLine(`acceptor ${sub.info.enabled ? 'enabled' : 'NOT enabled'}: ${sub.info.detail} (q to stop)`);
        await Promise.race([stopped, boothEnded]);
        await sub.stop();
        ctx.term.writeLine(`acceptor inhibited; ${euros(total)} inserted during the test (test coins, counted in the cash box)`);
      });
    },
  },
  {
    words: ['touch', 'test'],
    usage: 'touch test [--force]',
    summary: 'draw what is touched on the signature panel in ASCII (q to stop)',
    help: 'Listens to the touch panel and draws each touched point on a character grid scaled to the panel, redrawn as you write; the stroke count shows below. q, Enter or ^C stops. Refused while a customer session is in progress unless --force.',
    async run(ctx) {
      await ctx.live(async (stopped) => {
        const cols = Math.max(20, Math.min(ctx.term.columns - 2, 60));
        const rows = Math.max(6, Math.min(ctx.term.rows - 5, 16));
        let canvas: TouchCanvas | undefined;
        let strokes = 0;
        let points = 0;
        let drawn = false;
        let dirty = false;
        const draw = () => {
          if (!canvas) return;
          const lines = [...canvas.lines(), `strokes ${strokes}, points ${points} (q to stop)`];
          // Cursor back up over the previous drawing (VT100 CUU), then redraw it in place.
          ctx.term.write((drawn ? `\r\x1b[${lines.length}A` : '') + lines.join('\n') + '\n');
          drawn = true;
          dirty = false;
        };
        const timer = setInterval(() => dirty && draw(), 250);
        try {
          const sub = await ctx.client.subscribe(
            'touch',
            (e: TouchEvent) => {
              if (e.kind === 'point') {
                points++;
                canvas?.plot(e.x, e.y);
              } else if (e.kind === 'stroke') strokes++;
              dirty = true;
            },
            ctx.force,
          );
          canvas = new TouchCanvas(sub.info, cols, rows);
          ctx.term.writeLine(`touch panel ${sub.info.width}x${sub.info.height}, write on it:`);
          draw();
          await stopped;
          await sub.stop();
          if (dirty) draw();
        } finally {
          clearInterval(timer);
        }
      });
    },
  },
  {
    words: ['camera', 'test'],
    usage: 'camera test [--force]',
    summary: 'take a still, run the photo validation, show the report',
    help: 'Takes a full-resolution still (saved on the booth under data.dir/console/), runs the ANTS photo checks on it and shows each check: pass or FAIL, measured value, limit, hint. Sit in front of the camera as a customer would. Refused while a customer session is in progress unless --force.',
    async run(ctx) {
      ctx.term.writeLine('taking a still...');
      const r = await ctx.client.request('cameraTest', ctx.force ? { force: true } : {});
      ctx.out(`still ${r.width}x${r.height}, ${Math.round(r.bytes / 1024)} KiB, ${r.file ? `saved as ${r.file}` : 'not kept (checked in memory only)'}`);
      if (!r.validation) {
        ctx.out(`validation: not run - ${r.validationError ?? 'no reason given'}`);
        return;
      }
      ctx.out(`validation: ${r.validation.compliant ? ctx.term.paint('COMPLIANT', 'green') : ctx.term.paint('NOT COMPLIANT', 'red')}`);
      for (const c of r.validation.checks) {
        const value = c.value === undefined ? '' : ` value=${JSON.stringify(c.value)}`;
        const limit = c.limit === undefined ? '' : ` limit=${JSON.stringify(c.limit)}`;
        ctx.out(`  ${c.pass ? 'pass' : ctx.term.paint('FAIL', 'red')}  ${c.id.padEnd(20)}${value}${limit}${!c.pass && c.hint ? `  - ${c.hint}` : ''}`);
      }
    },
  },
  {
    words: ['print', 'test'],
    usage: 'print test [--force]',
    summary: 'print a test page',
    help: 'Sends a test page to the printer and waits for the job to finish (or fail, with the printer\'s reason). Uses a sheet. Refused while a customer session is in progress unless --force.',
    async run(ctx) {
      ctx.term.writeLine('printing a test page...');
      const r = await ctx.client.request('printTest', ctx.force ? { force: true } : {});
      ctx.out(`print job ${r.jobId}: ${r.detail}`);
    },
  },
  {
    words: ['counters'],
    usage: 'counters',
    summary: 'sessions, cash box content per coin, stored credit, money owed',
    help: 'Shows the session counters, the coins in the cash box since the last collection (per value) and the stored credit left by customers who walked away.',
    async run(ctx) {
      const c = await ctx.client.request('counters', {});
      ctx.out(`sessions      ${c.sessions.total} (${c.sessions.completed} completed, ${c.sessions.other} not)`);
      ctx.out(`cash box      ${euros(c.cashBox.totalCents)} since ${c.cashBox.since ?? 'the first coin'}`);
      for (const coin of c.cashBox.coins) ctx.out(`  ${euros(coin.valueCents).padStart(9)}  x ${coin.count}`);
      if (c.cashBox.testCoins.count) ctx.out(`  of which test coins: ${c.cashBox.testCoins.count}, ${euros(c.cashBox.testCoins.cents)} (coin test, not sales)`);
      ctx.out(`stored credit ${euros(c.storedCreditCents)}`);
      ctx.out(`money owed    ${euros(c.refundsOwed.cents)} in ${c.refundsOwed.count} refund claims (failed deliveries)`);
    },
  },
  {
    words: ['cash', 'collect'],
    usage: 'cash collect [--force]',
    summary: 'record the cash-box count and reset it (when emptying the box)',
    help: 'Records a cash collection: the coins counted in the cash box since the last collection are journaled (and sent to the fleet) and the cash-box counters restart from zero. Run it when you empty the box. Refused while a customer session is in progress unless --force.',
    async run(ctx) {
      const r = await ctx.client.request('cashCollect', ctx.force ? { force: true } : {});
      ctx.out(`collection ${r.id} at ${r.at}: ${euros(r.totalCents)} (since ${r.since ?? 'the first coin'})`);
      for (const coin of r.coins) ctx.out(`  ${euros(coin.valueCents).padStart(9)}  x ${coin.count}`);
      ctx.out('cash-box counters reset');
    },
  },
  {
    words: ['refunds'],
    usage: 'refunds',
    summary: 'refund claims owed to customers (failed deliveries)',
    help: 'Lists the refund claims still owed: a customer paid, the board could not be delivered and the hopper could not pay the money back. Each line: the session (first 8 characters), the amount, when, the product, the claim code the customer was given (to match what the customer shows you) and why. Pay the customer, then run `refund paid SESSION`.',
    async run(ctx) {
      const claims = await ctx.client.request('refunds', {});
      if (!claims.length) ctx.out('no refund claim owed');
      for (const c of claims) ctx.out(`${c.sessionId.slice(0, 8)}  ${euros(c.cents).padStart(10)}  ${c.at.replace('T', ' ').slice(0, 16)}  ${(c.product ?? '-').padEnd(8)} code ${c.claimCode ?? '-'}  ${c.reason}`);
      if (claims.length) ctx.out(`${claims.length} claim(s), ${euros(claims.reduce((a, c) => a + c.cents, 0))} owed`);
    },
  },
  {
    words: ['incidents'],
    usage: 'incidents',
    summary: 'coin incidents: acceptor events lost, coins maybe taken and not credited',
    help: 'Lists the open coin incidents: the coin acceptor reported more events than it holds (5) since the booth last read it, so coins may have been taken and not credited (the device cannot say whether the lost events were coins or refusals, nor which coins). Each line: the incident number (the customer quotes it from the payment screen), when, the events lost, the session that was paying. Count the cash box against `counters`, refund the customer, then run `incident closed ID`.',
    async run(ctx) {
      const open = await ctx.client.request('coinIncidents', {});
      if (!open.length) ctx.out('no coin incident open');
      for (const i of open) ctx.out(`#${i.id}  ${i.at.replace('T', ' ').slice(0, 16)}  ${i.missedEvents} events lost (counter ${i.fromCounter} -> ${i.toCounter})  session ${i.sessionId ? i.sessionId.slice(0, 8) : '-'}`);
    },
  },
  {
    words: ['incident', 'closed'],
    usage: 'incident closed ID',
    summary: 'record that a coin incident was checked and its customer refunded',
    help: 'Closes coin incident ID (as `incidents` lists it) once the cash box was counted against the ledger and the customer refunded: it stops counting in the fleet telemetry (coinIncidents), the console audit keeps who did it and when, and a payment.incident-closed event goes to the operator.',
    async run(ctx) {
      const id = Number(ctx.args[0]);
      if (ctx.args.length !== 1 || !Number.isInteger(id) || id < 1) throw new UsageError('usage: incident closed ID (the number `incidents` lists)');
      const i = await ctx.client.request('coinIncidentClosed', { id });
      ctx.out(`coin incident #${i.id} closed (${i.missedEvents} events lost${i.sessionId ? `, session ${i.sessionId.slice(0, 8)}` : ''})`);
    },
  },
  {
    words: ['refund', 'paid'],
    usage: 'refund paid SESSION',
    summary: 'record that a refund claim was paid back to the customer',
    help: 'Marks the refund claim of SESSION (its id, or its first 8 characters as `refunds` shows them) paid: it stops counting as money owed (console counters, fleet telemetry), the console audit keeps who did it and when, and a signed refund-paid record goes to the operator. Name the claim by its session, never by the customer\'s claim code: command lines are audited and the code stays out of every log. A claim is paid once.',
    async run(ctx) {
      const session = ctx.args[0];
      if (!session || ctx.args.length > 1 || !sessionRefSchema.safeParse(session).success) throw new UsageError('usage: refund paid SESSION (the session id or its first 8 characters, as `refunds` lists it)');
      const c = await ctx.client.request('refundPaid', { session });
      ctx.out(`refund claim of session ${c.sessionId} marked paid: ${euros(c.cents)} (${c.paidBy ?? 'console'})`);
    },
  },
  {
    words: ['journal', 'tail'],
    usage: 'journal tail [N]',
    summary: 'the last N journal entries (sessions, console), default 20',
    help: 'Shows the last N entries (default 20, at most 1000) of the booth journal: session facts and console audit, oldest first. Long output is paged.',
    async run(ctx) {
      const raw = ctx.args[0];
      if (raw !== undefined && !/^\d{1,4}$/.test(raw)) throw new UsageError('usage: journal tail [N] (N from 1 to 1000)');
      const limit = raw === undefined ? 20 : Math.min(1000, Math.max(1, Number(raw)));
      const lines = await ctx.client.request('journalTail', { limit });
      if (!lines.length) ctx.out('journal is empty');
      for (const l of lines) ctx.out(`${l.at.replace('T', ' ').slice(0, 19)}  ${l.source.padEnd(8)} ${l.text}`);
    },
  },
  {
    words: ['outbox'],
    usage: 'outbox [flush]',
    summary: 'records waiting for the fleet; flush sends them now',
    help: 'outbox shows how many business records (issued codes, payments, sessions) wait for the fleet\'s acknowledgement and since when; outbox flush asks the booth to send them now (it needs the broker).',
    async run(ctx) {
      if (ctx.args[0] === 'flush') {
        const r = await ctx.client.request('outboxFlush', {});
        ctx.out(`outbox: ${r.depthBefore} -> ${r.depthAfter} waiting; ${r.detail}`);
        return;
      }
      if (ctx.args.length) throw new UsageError('usage: outbox [flush]');
      const r = await ctx.client.request('outbox', {});
      ctx.out(`outbox: ${r.depth} record(s) waiting${r.depth ? `, oldest ${ago(r.oldest)}` : ''}`);
    },
  },
  {
    words: ['config'],
    usage: 'config get [KEY] | config set KEY VALUE [--force]',
    summary: 'read the booth configuration, change a key (validated)',
    help: 'config get shows every key (or one) with its value and meaning; config set KEY VALUE checks the value against the config schema, saves it in the booth\'s settings overlay (data.dir/settings.json, which wins over the config file, so it works when the config file is read-only) and applies it now when the key can change live (the price, the session timings), otherwise at the next `restart`; it says which. The PIN is changed with `cabine console --set-pin`, not here.',
    async run(ctx) {
      const [verb, key, ...rest] = ctx.args;
      if (verb === 'get') {
        if (key !== undefined) findKey(key);
        for (const e of await ctx.client.request('configGet', key !== undefined ? { key } : {})) {
          ctx.out(`${e.key} = ${e.value === undefined ? '(unset)' : JSON.stringify(e.value)}${e.pending !== undefined ? ` (saved: ${JSON.stringify(e.pending)} after \`restart\`)` : ''}`);
          if (key !== undefined) ctx.out(`    ${e.description}`);
        }
        return;
      }
      if (verb === 'set') {
        if (key === undefined || !rest.length) throw new UsageError('usage: config set KEY VALUE');
        const spec = findKey(key);
        if (key === 'console.pinHash' || key === 'console.pinFile') throw new UsageError('the PIN is set with `cabine console --set-pin` on the booth, not with config set');
        const value = rest.join(' ');
        // Checked here first so a typo gets its answer even when the booth is down.
        const probe: Record<string, unknown> = {};
        setPath(probe, key, parseKeyValue(spec, value));
        try {
          validateConfig(probe, 'value');
        } catch (err) {
          throw new UsageError((err as Error).message.replace(/^value is invalid:\n\s*- /, 'invalid value: '));
        }
        const r = await ctx.client.request('configSet', { key, value, ...(ctx.force ? { force: true } : {}) });
        ctx.out(`${r.key} = ${JSON.stringify(r.value)} (${r.applied === 'live' ? 'applied now' : 'takes effect after `restart`'}; ${r.persisted})`);
        return;
      }
      throw new UsageError('usage: config get [KEY] | config set KEY VALUE');
    },
  },
  {
    words: ['network'],
    usage: 'network',
    summary: 'hostname, interfaces and addresses, broker link',
    help: 'Shows the hostname, each network interface with its addresses and MAC, and whether the booth reaches its MQTT broker.',
    async run(ctx) {
      const n = await ctx.client.request('network', {});
      ctx.out(`hostname  ${n.hostname}`);
      for (const i of n.interfaces) ctx.out(`  ${i.name.padEnd(10)} ${i.addresses.join(', ') || 'no address'}${i.mac ? `  (${i.mac})` : ''}`);
      ctx.out(`broker    ${n.broker.configured ? `${n.broker.url ?? ''} ${n.broker.connected ? 'connected' : 'disconnected'}` : 'no fleet configured'}${n.broker.detail ? ` - ${n.broker.detail}` : ''}`);
    },
  },
  {
    words: ['restart'],
    usage: 'restart [--force]',
    summary: 'restart the booth process (the journal resumes any session)',
    help: 'Asks the booth to restart its process (systemd starts it again; any paid session resumes from the journal). The console stays connected and reconnects. Refused while a customer session is in progress unless --force.',
    async run(ctx) {
      const r = await ctx.client.request('restart', ctx.force ? { force: true } : {});
      ctx.out(r.accepted ? `restarting: ${r.message}` : `not restarted: ${r.message}`);
    },
  },
  {
    words: ['sales'],
    usage: 'sales on|off [REASON]',
    summary: 'stop or resume selling (a session in progress is finished)',
    help: 'sales off stops the booth from starting new sessions (the screen says the booth is out of service; a session in progress finishes normally); sales on resumes. The state survives a restart.',
    async run(ctx) {
      const [what, ...reason] = ctx.args;
      if (what !== 'on' && what !== 'off') {
        if (what !== undefined) throw new UsageError('usage: sales on|off [REASON]');
        const s = await ctx.client.request('sales', {});
        ctx.out(`sales ${s.enabled ? 'on' : 'off'}${s.reason ? ` - ${s.reason}` : ''}`);
        return;
      }
      const s = await ctx.client.request('sales', { enabled: what === 'on', ...(reason.length ? { reason: reason.join(' ') } : {}) });
      ctx.out(`sales ${s.enabled ? 'on' : 'off'}${s.reason ? ` - ${s.reason}` : ''}`);
    },
  },
];

/** Finds the command a line names; longest word match first (`coin test` before `coin`). */
export function matchCommand(words: string[]): { spec: CommandSpec; args: string[] } | undefined {
  const sorted = [...commands].sort((a, b) => b.words.length - a.words.length);
  for (const spec of sorted) {
    if (spec.words.every((w, i) => words[i]?.toLowerCase() === w)) return { spec, args: words.slice(spec.words.length) };
  }
  return undefined;
}

/** Splits a command line into words; "double quotes" keep spaces. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? '');
  return words;
}

const SESSION_WORDS = ['help', 'logout', 'exit'];

/** Tab completion: command words, then the sub-words and config keys that fit. */
export function complete(line: string): [string[], string] {
  const endsWithSpace = /\s$/.test(line);
  const words = line.trim() ? line.trim().split(/\s+/) : [];
  const current = endsWithSpace ? '' : (words.pop() ?? '');
  const before = words.map((w) => w.toLowerCase());
  let candidates: string[];
  if (before.length === 0) {
    candidates = [...new Set([...commands.map((c) => c.words[0]!), ...SESSION_WORDS])];
  } else if (before[0] === 'help' && before.length === 1) {
    candidates = [...new Set(commands.map((c) => c.words[0]!))];
  } else if (before[0] === 'config' && before.length === 1) {
    candidates = ['get', 'set'];
  } else if (before[0] === 'config' && before.length === 2 && (before[1] === 'get' || before[1] === 'set')) {
    candidates = configKeys()
      .map((k) => k.path)
      .filter((p) => p !== 'console.pinHash' && p !== 'console.pinFile');
  } else if (before.length === 1) {
    const subs: Record<string, string[]> = { light: ['on', 'off', 'level'], sales: ['on', 'off'], outbox: ['flush'], journal: ['tail'] };
    candidates = subs[before[0]!] ?? commands.filter((c) => c.words[0] === before[0] && c.words[1]).map((c) => c.words[1]!);
  } else {
    candidates = [];
  }
  if (before.length && !['help', 'logout', 'exit'].includes(before[0]!) && !candidates.length) candidates = ['--force'];
  const hits = candidates.filter((c) => c.startsWith(current)).sort();
  return [hits.length === 1 ? [hits[0]! + ' '] : hits, current];
}

export function helpLines(topic: string[]): string[] {
  if (!topic.length) {
    return [
      'commands (help COMMAND for details; Tab completes; q stops live ones):',
      ...commands.map((c) => `  ${c.usage.padEnd(36)} ${c.summary}`),
      `  ${'help [COMMAND]'.padEnd(36)} this list, or the details of one command`,
      `  ${'logout'.padEnd(36)} end the session (the PIN is asked again)`,
    ];
  }
  const found = matchCommand(topic) ?? commands.find((c) => c.words[0] === topic[0]?.toLowerCase()) ?? undefined;
  const spec = found && 'spec' in found ? found.spec : (found as CommandSpec | undefined);
  if (!spec) return [`no command "${topic.join(' ')}"; type help for the list`];
  return [`usage: ${spec.usage}`, '', ...wrap(spec.help, 76)];
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
