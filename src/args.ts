// Checking a command-line argument: one rule and one message for every `cabine` command.

/** `raw` as a whole number from 1 to `max`, or an error naming `what`. */
export function positiveInt(raw: string, what: string, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) throw new Error(`${what} must be a whole number from 1 to ${max}, got "${raw}"`);
  return n;
}

/** `raw` as a number (decimals allowed) from 0 to `max`, or an error naming `what`. */
export function numberUpTo(raw: string, what: string, max: number): number {
  const n = Number(raw);
  if (!/^(?:\d+(?:\.\d*)?|\.\d+)$/.test(raw) || n > max) throw new Error(`${what} must be a number from 0 to ${max}, got "${raw}"`);
  return n;
}
