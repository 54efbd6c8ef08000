// The e-photo service's HTTP shapes, as zod schemas: fastify validates and serialises with
// them (fastify-type-provider-zod) and docs/collector.openapi.json is generated from them
// (scripts/collector-openapi.ts; a test fails when the document is stale).
import { z } from 'zod';
import { CODE_ALPHABET, CODE_LENGTH } from '../codes/code.ts';

/** A code exactly as the state's systems send it: 22 characters of the code alphabet. */
export const CODE_PATTERN = `^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`;

export const pullParams = z.object({
  code: z.string().max(64).regex(new RegExp(CODE_PATTERN)).describe('The e-photo code, 22 characters, upper case, no separators'),
});

/** What a customer typed: anything up to 64 characters (normalised and checked by the service). */
export const statusParams = z.object({
  code: z.string().max(64).describe('The code as the customer typed it (case, spaces, dashes and O/I/L/S look-alikes are normalised)'),
});

export const statusQuery = z.object({
  lang: z.enum(['fr', 'en']).optional().describe('Language of the HTML page (default from Accept-Language, else French)'),
});

const file = z.object({
  mime: z.string().describe('image/jpeg for the photo, image/png for the signature'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of the decoded bytes, hex'),
  data: z.string().describe('The file, base64'),
});

export const ephotoResponse = z
  .object({
    code: z.string(),
    issuedAt: z.string().describe('When the booth issued the code (ISO-8601)'),
    expiresAt: z.string().describe('When the code stops working: issue + 6 months (ISO-8601)'),
    booth: z.string().describe('The booth that took the photo'),
    photo: file,
    signature: file,
  })
  .describe('The e-photo; the code is used from now on');

export const codeStatus = z.enum(['pending', 'active', 'used', 'expired', 'unknown', 'invalid']);

export const statusResponse = z
  .object({
    status: codeStatus,
    suggestion: z.string().optional().describe('For a mistyped code: the code with its one wrong character corrected'),
  })
  .describe('What a code is worth now; never any personal data');

export const pullError = z.object({ status: z.enum(['used', 'expired', 'unknown', 'invalid', 'pending']) }).describe('Why no e-photo is served');
export const clientError = z.object({ status: z.enum(['unauthenticated', 'rate-limited', 'bad-request', 'not-found', 'error']), message: z.string().optional() });

export type EphotoResponse = z.infer<typeof ephotoResponse>;
export type StatusResponse = z.infer<typeof statusResponse>;
export type CodeStatusName = z.infer<typeof codeStatus>;
