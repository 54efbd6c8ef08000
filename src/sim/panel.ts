// The simulator panel (`/sim`, only in --sim): lets a person play the customer's part on the
// simulated booth, through the simulators' device side only, exactly as the tests and
// `cabine demo` do: the curtain switch's GPIO line, the photo in front of the simulated
// camera, coins into the ccTalk simulator, a stylus on the FT6236 register model, the
// simulated printer's condition. It shows what a person at a real booth would see of the
// devices: the acceptor's and the printer's state, and the printed board.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { CoinAcceptorDevice } from '../hal/coin-acceptor/interface.ts';
import type { PrinterDevice } from '../hal/printer/interface.ts';
import type { SimulatorHandles } from '../hal/simulators.ts';
import type { Config } from '../config/schema.ts';
import { SIM_COIN_TABLE } from '../hal/coin-acceptor/index.ts';
import { SimCurtainSwitch } from '../hal/curtain/index.ts';
import { SimulatedPrinter } from '../hal/printer/index.ts';
import type { Logger } from '../log.ts';
import { originProblem } from '../ui/origin.ts';
import { PanelPen } from './pen.ts';

/** What the panel can do; every request body is checked against this. */
export const panelActionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('curtain'), position: z.enum(['drawn', 'open']) }).strict(),
  z.object({ type: z.literal('camera'), photo: z.string().min(1).max(200) }).strict(),
  z.object({ type: z.literal('camera-next') }).strict(),
  z.object({ type: z.literal('coin'), coin: z.enum(SIM_COIN_TABLE as [string, ...string[]]) }).strict(),
  z
    .object({
      type: z.literal('pen'),
      points: z
        .array(z.object({ event: z.enum(['down', 'contact', 'up']), x: z.number().min(0).max(1), y: z.number().min(0).max(1) }).strict())
        .min(1)
        .max(500),
    })
    .strict(),
  z.object({ type: z.literal('printer'), condition: z.enum(['ok', 'jam', 'paper-empty', 'offline']) }).strict(),
  // The technician loads a new paper roll or ribbon (full).
  z.object({ type: z.literal('printer-refill'), supply: z.enum(['paper', 'ribbon']) }).strict(),
  z.object({ type: z.literal('broker'), link: z.enum(['cut', 'restore']) }).strict(),
  z.object({ type: z.literal('card'), decision: z.enum(['approve', 'deny', 'no-answer']) }).strict(),
  z.object({ type: z.literal('card-cancel') }).strict(),
]);
export type PanelAction = z.infer<typeof panelActionSchema>;

/** The booth's uplink to the fleet broker, as the panel can cut it (see link.ts). */
export interface BrokerLink {
  state(): { configured: boolean; connected: boolean; cut: boolean };
  cut(): void;
  restore(): void;
}

export interface SimPanelOptions {
  /** The booth's simulators and the devices the panel shows. */
  parts: { sim: SimulatorHandles | undefined; printer: PrinterDevice; coinAcceptor: CoinAcceptorDevice };
  config: Config;
  logger: Logger;
  /** Where the session is (shown next to the controls). */
  step: () => string;
  broker?: BrokerLink;
}

export interface SimPanel {
  /** Serves /sim, /sim/*; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  act(action: PanelAction): Promise<string>;
  state(): Promise<PanelState>;
}

export interface PanelState {
  step: string;
  curtain: 'drawn' | 'open';
  camera: { photos: string[]; current: string | null };
  coins: { id: string; cents: number | null; foreign: boolean }[];
  acceptor: { available: boolean; enabled: boolean; inhibitMask: number; jammed: boolean; accepted: Record<string, number>; acceptedCents: number; rejected: number; health: string; detail: string | null };
  lastCoin: { coin: string; result: 'accepted' | 'rejected'; why: string | null } | null;
  printer: {
    simulated: boolean;
    health: string;
    detail: string | null;
    ready: boolean;
    reason: string | null;
    condition: string;
    /** The simulated printer's paper (sheets) and ribbon (prints) left, and full loads; null for a real printer. */
    supplies: { paper: number; ribbon: number; paperCapacity: number; ribbonCapacity: number } | null;
  };
  board: { id: number; url: string } | null;
  pen: { scans: number };
  broker: { configured: boolean; connected: boolean; cut: boolean } | null;
  /** The contactless card reader (MDB simulator), when the booth has one. */
  card: { state: string; enabled: boolean; chargedCents: number; charges: number; voided: number; denied: number; lastTap: string | null } | null;
}

const publicDir = new URL('./public/', import.meta.url);
const assets: Record<string, [string, string]> = {
  '/sim': ['panel.html', 'text/html; charset=utf-8'],
  '/sim/': ['panel.html', 'text/html; charset=utf-8'],
  '/sim/panel.js': ['panel.js', 'text/javascript; charset=utf-8'],
  '/sim/panel.css': ['panel.css', 'text/css; charset=utf-8'],
};
const BOARD_RE = /^job-(\d{6,})-.+\.(png|jpg)$/;
const maxBodyBytes = 64 * 1024;

const centsOf = (coin: string) => {
  const m = /^EU(\d{3})[A-Z]$/.exec(coin);
  return m ? Number(m[1]) : null;
};

export function createSimPanel(options: SimPanelOptions): SimPanel {
  const log = options.logger.child({ module: 'sim-panel' });
  const { parts, config } = options;
  const sim = parts.sim;
  if (!sim) throw new Error('the simulator panel needs the simulated booth (--sim)');
  const curtain = new SimCurtainSwitch(sim.gpio, config.curtain.line, config.curtain.closedLevel);
  const pen = new PanelPen(sim.touch, { width: config.touch.width, height: config.touch.height });
  const printer = parts.printer instanceof SimulatedPrinter ? parts.printer : undefined;
  let printerCondition = 'ok';
  let lastCoin: PanelState['lastCoin'] = null;
  let lastTap: string | null = null;

  const latestBoard = async (): Promise<{ id: number; file: string } | null> => {
    if (!printer) return null;
    const files = await readdir(printer.dir).catch(() => [] as string[]);
    let best: { id: number; file: string } | null = null;
    for (const file of files) {
      const m = BOARD_RE.exec(file);
      if (m && (!best || Number(m[1]) > best.id)) best = { id: Number(m[1]), file };
    }
    return best;
  };

  const whyRefused = (coin: string): string | null => {
    const status = sim.coins?.status().acceptor;
    if (!status) return null;
    if (status.jammed) return 'the acceptor is jammed';
    const position = SIM_COIN_TABLE.indexOf(coin) + 1;
    if (position === 0) return 'not a coin the acceptor knows';
    if (!status.masterEnabled) return 'the acceptor is inhibited: the booth is not asking for money';
    if (!(status.inhibitMask & (1 << (position - 1)))) return centsOf(coin) === null ? 'a foreign coin: the booth does not accept it' : 'the booth refuses this coin now (larger than what is left to pay: no change given)';
    return null;
  };

  const act = async (action: PanelAction): Promise<string> => {
    switch (action.type) {
      case 'curtain':
        await (action.position === 'drawn' ? curtain.draw({ bounces: 3 }) : curtain.open({ bounces: 3 }));
        return `curtain ${action.position}`;
      case 'camera':
        await sim.camera.selectPhoto(action.photo);
        return `camera shows ${sim.camera.currentPhoto()}`;
      case 'camera-next': {
        const photos = sim.camera.photos();
        const next = photos[(photos.indexOf(sim.camera.currentPhoto() ?? '') + 1) % photos.length];
        if (!next) throw new Error('the camera folder holds no photos');
        await sim.camera.selectPhoto(next);
        return `camera shows ${next}`;
      }
      case 'coin': {
        if (!sim.coins) throw new Error('the coin acceptor is on a serial port (coinAcceptor.port), not the in-process simulator');
        const why = whyRefused(action.coin);
        const result = sim.coins.insertCoin(action.coin);
        lastCoin = { coin: action.coin, result, why: result === 'rejected' ? (why ?? 'refused by the acceptor') : null };
        return `${action.coin} ${result}${lastCoin.why ? `: ${lastCoin.why}` : ''}`;
      }
      case 'pen':
        await pen.draw(action.points);
        return `${action.points.length} points drawn`;
      case 'printer': {
        if (!printer) throw new Error('the printer is a real IPP printer (printer.uri), not the simulated one');
        // Out of paper is the paper level itself (0 sheets: media-empty), not a painted reason.
        if (action.condition === 'paper-empty') {
          await printer.refill({ paper: 0 });
          return 'printer paper taken out (0 sheets)';
        }
        const conditions = {
          ok: { reasons: [], state: 'idle', unreachable: false },
          jam: { reasons: ['media-jam-error'], state: 'idle', unreachable: false },
          offline: { reasons: [], state: 'idle', unreachable: true },
        } as const;
        await printer.simulate({ ...conditions[action.condition], reasons: [...conditions[action.condition].reasons] });
        printerCondition = action.condition;
        return `printer ${action.condition}`;
      }
      case 'printer-refill': {
        if (!printer) throw new Error('the printer is a real IPP printer (printer.uri), not the simulated one');
        await printer.refill({ [action.supply]: 'full' });
        const left = printer.consumableLevels();
        return `new ${action.supply === 'paper' ? 'paper roll' : 'ribbon'} loaded: ${left.paper} sheets, ${left.ribbon} prints of ribbon`;
      }
      case 'card': {
        if (!sim.cards) throw new Error('no simulated card reader on this booth (cardReader)');
        const result = sim.cards.tap({ label: `panel-${action.decision}`, decision: action.decision, delayMs: 300 });
        const told = { session: 'card read: the reader asks the booth for the amount', disabled: 'the reader is not taking cards now (nothing due)', busy: 'the reader is busy with another card', silent: 'the reader does not answer' };
        lastTap = `${action.decision}: ${told[result]}`;
        return `card tapped (${action.decision}): ${told[result]}`;
      }
      case 'card-cancel': {
        if (!sim.cards) throw new Error('no simulated card reader on this booth (cardReader)');
        const cancelled = sim.cards.customerCancel();
        lastTap = cancelled ? 'cancelled on the reader' : lastTap;
        return cancelled ? 'card session cancelled on the reader' : 'no card session to cancel';
      }
      case 'broker': {
        if (!options.broker?.state().configured) throw new Error('no fleet broker configured (fleet.url): nothing to cut');
        if (action.link === 'cut') options.broker.cut();
        else options.broker.restore();
        return `broker link ${action.link}`;
      }
    }
  };

  const state = async (): Promise<PanelState> => {
    const acceptorStatus = parts.coinAcceptor.status();
    const simStatus = sim.coins?.status().acceptor;
    const printerStatus = parts.printer.status();
    const readiness = parts.printer.readiness();
    const board = await latestBoard();
    return {
      step: options.step(),
      curtain: curtain.drawn() ? 'drawn' : 'open',
      camera: { photos: sim.camera.photos(), current: sim.camera.currentPhoto() ?? null },
      coins: SIM_COIN_TABLE.map((id) => ({ id, cents: centsOf(id), foreign: centsOf(id) === null })),
      acceptor: {
        available: simStatus !== undefined,
        enabled: simStatus?.masterEnabled ?? false,
        inhibitMask: simStatus?.inhibitMask ?? 0,
        jammed: simStatus?.jammed ?? false,
        accepted: simStatus?.accepted ?? {},
        acceptedCents: simStatus?.acceptedCents ?? 0,
        rejected: simStatus?.rejected ?? 0,
        health: acceptorStatus.health,
        detail: acceptorStatus.detail ?? null,
      },
      lastCoin,
      printer: {
        simulated: printer !== undefined,
        health: printerStatus.health,
        detail: printerStatus.detail ?? null,
        ready: readiness.ok,
        reason: readiness.ok ? null : readiness.reason,
        condition: printerCondition,
        supplies: printer ? { ...printer.consumableLevels(), paperCapacity: printer.capacity.paper, ribbonCapacity: printer.capacity.ribbon } : null,
      },
      board: board ? { id: board.id, url: `/sim/board/${board.id}` } : null,
      pen: { scans: pen.scans },
      broker: options.broker ? options.broker.state() : null,
      card: sim.cards
        ? (() => {
            const c = sim.cards.status();
            return { state: c.state, enabled: c.enabled, chargedCents: c.charged.reduce((sum, x) => sum + x.cents, 0), charges: c.charged.length, voided: c.voided.length, denied: c.denied, lastTap };
          })()
        : null,
    };
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json', JSON.stringify(body));

  const readBody = (req: IncomingMessage) =>
    new Promise<string | null>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) {
          // Answer now; what else comes is read and dropped, and the connection closed.
          req.removeAllListeners('data');
          req.resume();
          resolve(null);
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (path !== '/sim' && !path.startsWith('/sim/')) return false;
    const changes = req.method !== 'GET' && req.method !== 'HEAD';
    const problem = originProblem(req, { changes });
    if (problem) {
      json(res, 403, { error: problem });
      return true;
    }
    if (req.method === 'GET' && assets[path]) {
      const [file, type] = assets[path];
      send(res, 200, type, await readFile(new URL(file, publicDir)));
      return true;
    }
    if (req.method === 'GET' && path === '/sim/state') {
      json(res, 200, await state());
      return true;
    }
    const boardMatch = /^\/sim\/board\/(\d{1,12})$/.exec(path);
    if (req.method === 'GET' && boardMatch) {
      const board = await latestBoard();
      if (!printer || !board || board.id !== Number(boardMatch[1])) {
        json(res, 404, { error: 'no such board' });
        return true;
      }
      send(res, 200, board.file.endsWith('.png') ? 'image/png' : 'image/jpeg', await readFile(join(printer.dir, board.file)));
      return true;
    }
    if (path === '/sim/action') {
      if (req.method !== 'POST') {
        json(res, 405, { error: 'POST a JSON action' });
        return true;
      }
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        json(res, 415, { error: 'the action must be JSON (content-type: application/json)' });
        return true;
      }
      const body = await readBody(req);
      if (body === null) {
        res.setHeader('connection', 'close');
        json(res, 413, { error: `action larger than ${maxBodyBytes} bytes` });
        return true;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        json(res, 400, { error: 'not JSON' });
        return true;
      }
      const action = panelActionSchema.safeParse(parsed);
      if (!action.success) {
        json(res, 400, { error: `invalid action: ${z.prettifyError(action.error).replace(/\n/g, '; ')}` });
        return true;
      }
      try {
        const message = await act(action.data);
        if (action.data.type !== 'pen') log.info({ action: action.data.type }, message);
        json(res, 200, { ok: true, message });
      } catch (err) {
        json(res, 409, { error: (err as Error).message });
      }
      return true;
    }
    json(res, 404, { error: 'not found' });
    return true;
  };

  return { handle, act, state };
}
