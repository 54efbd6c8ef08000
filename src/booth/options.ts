// Turning command-line options into a validated Config: shared by every command that
// builds (part of) the booth.
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';

export interface BoothCliOptions {
  config?: string;
  sim?: boolean;
}

export function configFromOptions(opts: BoothCliOptions): Config {
  return loadConfig({
    ...(opts.config ? { file: opts.config } : {}),
    overrides: opts.sim ? { 'hal.simulated': true } : {},
  });
}
