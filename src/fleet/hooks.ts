// What the booth supplies to the fleet (the composition root implements it). The fleet never
// reaches into the booth otherwise: commands and remote config go through these calls.
import type { Config } from '../config/schema.ts';
import type { z } from 'zod';
import type { BoothStatus, TelemetrySnapshot, UpdateReport, commandArgs } from './schemas.ts';

export interface ConfigChange {
  /** Dotted key, as in `cabine config keys` (payment.priceCents). */
  key: string;
  value: unknown;
}

export interface ConfigApplyResult {
  /** Keys now in force. */
  applied: string[];
  /** Keys saved by the booth that come into force at its next restart. */
  atRestart?: string[];
  /** Keys not applied, each with the reason. */
  refused: { key: string; reason: string }[];
}

export interface FleetHooks {
  status(): BoothStatus;
  telemetry(): TelemetrySnapshot;
  /** Sets the price of `product` (a catalogue id), or payment.priceCents when absent. */
  setPrice(cents: number, product?: string): void | Promise<void>;
  /** Enables or inhibits sales (the coin acceptor stays inhibited while sales are off). */
  setSales(enabled: boolean, reason?: string): void | Promise<void>;
  /** The operator paid the refund claim of `session` back: no longer owed (throws when none is due). */
  refundPaid(session: string, by: string): { sessionId: string; paidCents: number } | Promise<{ sessionId: string; paidCents: number }>;
  /** Prints a test page; resolves with what the printer said (job id...). */
  printTest(): unknown;
  /** Reboots the booth (called after the response to the command was delivered). */
  reboot(reason?: string): void | Promise<void>;
  /** Applies validated config changes live where safe; `next` is the whole config they lead to. */
  applyConfig(changes: ConfigChange[], next: Config): ConfigApplyResult | Promise<ConfigApplyResult>;
  /**
   * Starts an update (the `update` command): checks that it can, then downloads and stages the
   * bundle in the background; throws with the reason when it refuses. Absent: updates are not
   * set up on this booth.
   */
  update?(request: z.infer<(typeof commandArgs)['update']>): { version: string; state: UpdateReport['state'] };
  /** The last update's state, for telemetry. */
  updateReport?(): UpdateReport | undefined;
}
