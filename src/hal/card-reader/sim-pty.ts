// The card reader simulator as a separate program on a real pseudo-terminal pair (socat), as
// `cabine sim mdb --pty` runs it, driven by JSON lines on stdin: {"tap":{...card}},
// {"cancel":true}, {"reset":true}, {"silent":bool}, {"fault":"corrupt"|"drop","count":N},
// {"status":true}, {"quit":true}.
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { attachToPty } from '../coin-acceptor/sim-pty.ts';
import { MdbCardReaderSimulator, type CardSimOptions } from './sim.ts';
import { openInterfacePort } from './transport.ts';

export const cardProfileSchema = z
  .object({
    label: z.string().max(40).optional(),
    decision: z.enum(['approve', 'deny', 'no-answer']).optional(),
    fundsCents: z.number().int().min(0).max(65534).optional(),
    delayMs: z.number().int().min(0).max(120_000).optional(),
    approveCents: z.number().int().min(0).max(65534).optional(),
  })
  .strict();

export const cardSimCommandSchema = z.union([
  z.object({ tap: cardProfileSchema }).strict(),
  z.object({ cancel: z.literal(true) }).strict(),
  z.object({ reset: z.literal(true) }).strict(),
  z.object({ silent: z.boolean() }).strict(),
  z.object({ fault: z.enum(['corrupt', 'drop']), count: z.number().int().min(1).max(1000).default(1) }).strict(),
  z.object({ status: z.literal(true) }).strict(),
  z.object({ quit: z.literal(true) }).strict(),
]);
export type CardSimCommand = z.infer<typeof cardSimCommandSchema>;

/** Applies one command; errors are replies, never exceptions. */
export function applyCardSimCommand(sim: MdbCardReaderSimulator, command: CardSimCommand): { ok: true; result?: unknown } {
  if ('tap' in command) return { ok: true, result: sim.tap(command.tap) };
  if ('cancel' in command) return { ok: true, result: sim.customerCancel() };
  if ('reset' in command) sim.resetReader();
  else if ('silent' in command) sim.setSilent(command.silent);
  else if ('fault' in command) sim.inject(command.fault, command.count);
  else if ('status' in command) return { ok: true, result: sim.status() };
  return { ok: true };
}

export interface PtyCardReader {
  sim: MdbCardReaderSimulator;
  hostPath: string;
  close(): Promise<void>;
}

/** A reader simulator on the device end of a fresh pty pair. */
export async function startPtyCardReader(options: CardSimOptions & { link?: string } = {}): Promise<PtyCardReader> {
  const sim = new MdbCardReaderSimulator(options);
  const pty = await attachToPty(sim, openInterfacePort, options.link);
  return { sim, ...pty };
}

/** Serves commands from `input` until it ends or `quit`. */
export async function serveCardControl(sim: MdbCardReaderSimulator, input: NodeJS.ReadableStream, out: (reply: unknown) => void): Promise<void> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const raw of rl) {
    const text = raw.trim();
    if (!text) continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      out({ ok: false, error: `not JSON: ${text.slice(0, 80)}` });
      continue;
    }
    const parsed = cardSimCommandSchema.safeParse(json);
    if (!parsed.success) {
      out({ ok: false, error: `unknown command: ${text.slice(0, 80)}` });
      continue;
    }
    if ('quit' in parsed.data) break;
    out(applyCardSimCommand(sim, parsed.data));
  }
  rl.close();
}
