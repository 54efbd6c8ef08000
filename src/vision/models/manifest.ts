// What the booth knows about its face models at run time: the committed manifest.json (the
// sha256 and size of every ONNX file a release ships) and where the files are. Build-time code
// (the TFJS→ONNX converter, which needs dev dependencies) lives in build.ts and convert/, and
// nothing the booth runs imports it: a production install (`npm ci --omit=dev`) only reads
// .onnx files and checks them against this manifest.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const here = dirname(fileURLToPath(import.meta.url));
export const MANIFEST_PATH = join(here, 'manifest.json');
/** Default models folder: <app>/models (gitignored; built by `npm run models` or installed by `cabine models install`). */
export const DEFAULT_MODELS_DIR = resolve(here, '../../../models');

const tensorInfo = z.object({ name: z.string(), shape: z.array(z.number().int()) });
const entrySchema = z.object({
  package: z.string(),
  version: z.string(),
  file: z.string(),
  role: z.string(),
  sources: z.array(z.object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
  onnx: z.string().regex(/^[a-z0-9-]+\.onnx$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  inputs: z.array(tensorInfo),
  outputs: z.array(tensorInfo),
  ops: z.record(z.string(), z.number().int()),
});
export const manifestSchema = z.object({
  converter: z.number().int(),
  opset: z.number().int(),
  models: z.record(z.string(), entrySchema),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof entrySchema>;

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function readManifest(path = MANIFEST_PATH): Manifest | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`${path}: invalid model manifest: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

export interface ModelFileCheck {
  name: string;
  path: string;
  ok: boolean;
  problem?: string;
}

/** Checks that every model of the manifest is in `dir` with the recorded size and sha256. */
export function checkModelFiles(dir: string = DEFAULT_MODELS_DIR, manifest: Manifest | undefined = readManifest()): ModelFileCheck[] {
  if (!manifest) throw new Error(`${MANIFEST_PATH} is missing`);
  return Object.entries(manifest.models).map(([name, entry]) => {
    const path = join(dir, entry.onnx);
    if (!existsSync(path)) return { name, path, ok: false, problem: 'missing' };
    const bytes = readFileSync(path);
    if (bytes.length !== entry.bytes || sha256(bytes) !== entry.sha256) return { name, path, ok: false, problem: `sha256 ${sha256(bytes).slice(0, 16)}… does not match the manifest (${entry.sha256.slice(0, 16)}…)` };
    return { name, path, ok: true };
  });
}
