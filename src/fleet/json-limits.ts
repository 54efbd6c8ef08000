// JSON from another party (a booth's record, an operator's command) is measured before it is
// parsed: its size, and how deep its arrays and objects nest. JSON.parse itself copes with deep
// nesting, but whatever walks the result recursively afterwards does not (structured clone to
// or from a worker thread, JSON.stringify, a logger): a record nested 200,000 levels deep
// crashed the ingest's verification workers. The scan is one pass over the characters, strings
// skipped, and costs a fraction of the parse.

export interface JsonLimits {
  /** Largest text accepted, in UTF-16 code units (= bytes for the ASCII JSON we exchange). */
  maxChars: number;
  /** Deepest nesting of arrays and objects accepted (the top-level object is depth 1). */
  maxDepth: number;
}

/** Fleet messages: generous for what booths and operators send (a session record holds a photo). */
export const FLEET_JSON_LIMITS: JsonLimits = { maxChars: 8 * 1024 * 1024, maxDepth: 32 };

/** Why `text` exceeds the limits, or undefined when it does not. */
export function jsonLimitExceeded(text: string, limits: JsonLimits): string | undefined {
  if (text.length > limits.maxChars) return `larger than ${limits.maxChars} characters`;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limits.maxDepth) return `nested deeper than ${limits.maxDepth} levels`;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return undefined;
}

export type BoundedJson = { ok: true; value: unknown } | { ok: false; reason: string };

/** JSON.parse after the size and nesting check; never throws. */
export function parseBoundedJson(text: string, limits: JsonLimits = FLEET_JSON_LIMITS): BoundedJson {
  const exceeded = jsonLimitExceeded(text, limits);
  if (exceeded) return { ok: false, reason: exceeded };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
}
