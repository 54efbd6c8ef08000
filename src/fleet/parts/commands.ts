// Commands: `cmd/<name>` requests (MQTT 5 request/response). The request carries a response
// topic and correlation data; the answer goes there, QoS 1, with the same correlation data.
// Everything from the network is validated (size, JSON, name, arguments with zod) and every
// failure is an error answer, never an exception. A redelivered request (same correlation
// data) is answered from a small cache instead of running twice (no double reboot).
//
// The response topic must lie under `cabine/v1/<booth>/reply/`, the only place the broker ACL
// lets a booth publish answers; a request without a usable response topic cannot be answered
// and is reported as a `cmd.rejected` event instead.
// A retained request is ignored (a retained `cmd/reboot` would otherwise reboot the booth at
// every start, forever). Commands that disturb a customer (`reboot`, `print-test`) are refused
// with `busy` while a session is under way unless the request says `force: true`; `update` is
// refused then whatever the request says. Valid
// requests are rate limited (a bucket of COMMAND_BURST, refilled one every COMMAND_REFILL_MS):
// beyond it the answer is `busy` and nothing runs. (Invalid ones cost a refusal only.)
import type { IPublishPacket } from 'mqtt';
import type { z } from 'zod';
import { commandArgs, type CommandName, type CommandResponse, type FleetEvent } from '../schemas.ts';
import { parseTopic, topics } from '../topics.ts';
import type { FleetPart, PartContext } from './part.ts';

export const MAX_COMMAND_BYTES = 16 * 1024;
export const COMMAND_BURST = 20;
export const COMMAND_REFILL_MS = 1000;
/** Commands that would disturb a customer in the booth. */
const DISTURBING: ReadonlySet<string> = new Set<CommandName>(['reboot', 'print-test']);
/** Commands never run while a customer is in the booth, whatever the request says. */
const NEVER_IN_SESSION: ReadonlySet<string> = new Set<CommandName>(['update']);

export interface CommandOutcome {
  result: unknown;
  /** Runs once the answer was delivered to the broker (reboot). */
  after?: () => void | Promise<void>;
}

export type CommandHandlers = {
  [K in CommandName]: (args: z.infer<(typeof commandArgs)[K]>) => Promise<CommandOutcome> | CommandOutcome;
};

type ErrorCode = Extract<CommandResponse, { ok: false }>['error']['code'];

const errorAnswer = (command: string, code: ErrorCode, message: string): CommandResponse => ({ ok: false, command, error: { code, message } });

export class CommandsPart implements FleetPart {
  readonly name = 'commands';
  private readonly answered = new Map<string, CommandResponse>();
  private readonly stats = { handled: 0, errors: 0 };

  constructor(
    private readonly ctx: PartContext,
    private readonly handlers: CommandHandlers,
    private readonly publishEvent: (event: FleetEvent) => void,
    private readonly timeoutMs = 30_000,
    /** The step of the customer session under way, or undefined when the booth is idle. */
    private readonly sessionStep: () => string | undefined = () => undefined,
  ) {}

  private tokens = COMMAND_BURST;
  private refilledAt = Date.now();

  private takeToken(): boolean {
    const now = Date.now();
    const refill = Math.floor((now - this.refilledAt) / COMMAND_REFILL_MS);
    if (refill > 0) {
      this.tokens = Math.min(COMMAND_BURST, this.tokens + refill);
      this.refilledAt = this.tokens === COMMAND_BURST ? now : this.refilledAt + refill * COMMAND_REFILL_MS;
    }
    if (this.tokens === 0) return false;
    this.tokens--;
    return true;
  }

  start(): void {
    this.ctx.conn.subscribe(this.name, topics.cmdFilter(this.ctx.booth), 1, (topic, payload, packet) => {
      void this.handle(topic, payload, packet);
    });
  }

  /** Validates and runs one request; exported for tests of the validation alone. */
  async run(name: string, payload: Buffer): Promise<{ response: CommandResponse; after?: () => void | Promise<void> }> {
    if (!Object.hasOwn(commandArgs, name)) {
      return { response: errorAnswer(name, 'unknown-command', `unknown command "${name}"; known: ${Object.keys(commandArgs).join(', ')}`) };
    }
    const command = name as CommandName;
    if (payload.length > MAX_COMMAND_BYTES) return { response: errorAnswer(name, 'malformed', `request larger than ${MAX_COMMAND_BYTES} bytes`) };
    let json: unknown = {};
    const text = payload.toString('utf8').trim();
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        return { response: errorAnswer(name, 'malformed', 'request payload is not JSON') };
      }
    }
    const parsed = commandArgs[command].safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      return { response: errorAnswer(name, 'invalid-args', `${where}${issue?.message ?? 'invalid arguments'}`) };
    }
    if (!this.takeToken()) {
      return { response: errorAnswer(name, 'busy', `too many commands: at most ${COMMAND_BURST} at once, then one every ${COMMAND_REFILL_MS / 1000} s`) };
    }
    const step = this.sessionStep();
    if (NEVER_IN_SESSION.has(command) && step !== undefined) {
      return { response: errorAnswer(name, 'busy', `a customer session is under way (step ${step}); send ${command} again once the booth is idle`) };
    }
    if (DISTURBING.has(command) && step !== undefined && (parsed.data as { force?: boolean }).force !== true) {
      return { response: errorAnswer(name, 'busy', `a customer session is under way (step ${step}); send {"force":true} to ${command} anyway`) };
    }
    try {
      const handler = this.handlers[command] as (args: unknown) => Promise<CommandOutcome> | CommandOutcome;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        Promise.resolve().then(() => handler(parsed.data)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no result within ${this.timeoutMs / 1000} s`)), this.timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      return { response: { ok: true, command: name, result: outcome.result ?? null }, ...(outcome.after ? { after: outcome.after } : {}) };
    } catch (err) {
      return { response: errorAnswer(name, 'failed', (err as Error).message) };
    }
  }

  private async handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const parsedTopic = parseTopic(topic);
    const name = parsedTopic?.rest.startsWith('cmd/') ? parsedTopic.rest.slice(4) : '';
    const responseTopic = packet.properties?.responseTopic;
    const correlation = packet.properties?.correlationData;
    const replyPrefix = topics.replyPrefix(this.ctx.booth);
    if (!responseTopic || !responseTopic.startsWith(replyPrefix) || /[+#]/.test(responseTopic)) {
      this.stats.errors++;
      this.publishEvent({
        type: 'cmd.rejected',
        severity: 'warning',
        message: `command "${name.slice(0, 64)}" has no response topic under ${replyPrefix}; not run`,
        at: new Date().toISOString(),
      });
      return;
    }
    if (packet.retain) {
      // Stored by the broker, not sent now: running it would repeat it at every (re)connection.
      this.stats.errors++;
      this.publishEvent({ type: 'cmd.rejected', severity: 'warning', message: `retained command "${name.slice(0, 64)}" ignored (clear it on the broker)`, at: new Date().toISOString() });
      return;
    }
    const key = correlation ? `${name}\u0000${correlation.toString('hex')}` : undefined;
    const cached = key ? this.answered.get(key) : undefined;
    let response: CommandResponse;
    let after: (() => void | Promise<void>) | undefined;
    if (cached) {
      response = cached;
    } else {
      ({ response, after } = await this.run(name, payload));
      if (key) {
        this.answered.set(key, response);
        if (this.answered.size > 256) this.answered.delete(this.answered.keys().next().value as string);
      }
    }
    this.stats.handled++;
    if (!response.ok) this.stats.errors++;
    try {
      await this.ctx.conn.publish(responseTopic, JSON.stringify(response), {
        qos: 1,
        properties: { contentType: 'application/json', ...(correlation ? { correlationData: correlation } : {}) },
      });
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message, name }, 'command answer not delivered');
    }
    if (after) {
      try {
        await after();
      } catch (err) {
        this.ctx.logger.error({ err, name }, 'command follow-up failed');
      }
    }
  }

  getStats(): { handled: number; errors: number } {
    return { ...this.stats };
  }

  stop(): void {
    this.ctx.conn.unsubscribeOwner(this.name);
  }
}
