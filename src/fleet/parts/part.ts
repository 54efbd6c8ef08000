// A fleet part: one feature around the shared connection, with start/stop (zigbee2mqtt's
// extension idea). The constructor only stores what it is given; start subscribes and sets
// timers; stop removes them.
import type { Logger } from '../../log.ts';
import type { FleetConnection } from '../connection.ts';
import type { FleetHooks } from '../hooks.ts';

export interface PartContext {
  conn: FleetConnection;
  booth: string;
  version: string;
  hooks: FleetHooks;
  logger: Logger;
}

export interface FleetPart {
  readonly name: string;
  start(): void;
  stop(): void | Promise<void>;
}
