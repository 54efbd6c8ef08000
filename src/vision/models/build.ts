// Builds models/<name>.onnx from the TFJS graph models listed in sources.ts, and checks each
// against the committed manifest.json (source package version, sha256 of every source file,
// sha256 of the ONNX output). The conversion is deterministic, so a build from the same
// sources must give the same bytes; a mismatch is an error unless the manifest is being
// updated on purpose (after a converter change or a package upgrade).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { readTfjsGraph, tfjsGraphFiles } from './convert/tfjs-graph.ts';
import { OPSET, tfjsGraphToOnnx } from './convert/to-onnx.ts';
import { DEFAULT_MODELS_DIR, MANIFEST_PATH, readManifest, sha256, type Manifest, type ManifestEntry } from './manifest.ts';
import { MODEL_SOURCES, type ModelSource } from './sources.ts';
import type { Logger } from '../../log.ts';

// Build-time only (imports the converter, whose onnx-proto is a dev dependency): the booth's
// runtime reads manifest.ts, never this file.
export { DEFAULT_MODELS_DIR, MANIFEST_PATH, manifestSchema, readManifest, sha256, type Manifest, type ManifestEntry } from './manifest.ts';
export const CONVERTER_VERSION = 1;

function packageDir(pkg: string): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let pj: string;
  try {
    pj = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new Error(`the model source package ${pkg} is not installed (it is a devDependency: run "npm install" with dev dependencies, then "npm run models")`);
  }
  const version = z.object({ version: z.string() }).parse(JSON.parse(readFileSync(pj, 'utf8'))).version;
  return { dir: dirname(pj), version };
}

/** Converts one source model; returns its manifest entry and the ONNX bytes. */
export function convertSource(src: ModelSource): { entry: ManifestEntry; bytes: Uint8Array } {
  const { dir, version } = packageDir(src.package);
  const jsonPath = join(dir, src.file);
  const sources = tfjsGraphFiles(jsonPath).map((f) => ({ file: relative(dir, f), sha256: sha256(readFileSync(f)) }));
  const graph = readTfjsGraph(jsonPath);
  const result = tfjsGraphToOnnx(graph, {
    name: src.name,
    doc: `${src.role}. Converted from ${src.package}@${version}/${src.file} by cabine tfjs-to-onnx v${CONVERTER_VERSION}.`,
    ...(src.inputShapes ? { inputShapes: src.inputShapes } : {}),
  });
  const entry: ManifestEntry = {
    package: src.package,
    version,
    file: src.file,
    role: src.role,
    sources,
    onnx: `${src.name}.onnx`,
    sha256: sha256(result.bytes),
    bytes: result.bytes.length,
    inputs: result.inputs,
    outputs: result.outputs,
    ops: Object.fromEntries(Object.entries(result.ops).sort(([a], [b]) => a.localeCompare(b))),
  };
  return { entry, bytes: result.bytes };
}

export interface BuildOptions {
  outDir?: string;
  /** Rewrite manifest.json with what this build produced instead of checking against it. */
  updateManifest?: boolean;
  /** Rebuild even when the output already matches the manifest. */
  force?: boolean;
  logger?: Logger;
}

export interface BuildReport {
  outDir: string;
  models: { name: string; path: string; sha256: string; bytes: number; status: 'built' | 'up-to-date'; ms: number }[];
}

function sameSources(a: ManifestEntry, b: ManifestEntry): boolean {
  return a.version === b.version && JSON.stringify(a.sources) === JSON.stringify(b.sources);
}

/** Builds every model. Throws a clear error when an output does not match the manifest. */
export function buildModels(options: BuildOptions = {}): BuildReport {
  const outDir = resolve(options.outDir ?? DEFAULT_MODELS_DIR);
  mkdirSync(outDir, { recursive: true });
  const manifest = readManifest();
  const checking = !options.updateManifest;
  if (checking && !manifest) throw new Error(`${MANIFEST_PATH} is missing: run "npm run models -- --update-manifest" once`);
  if (checking && manifest && (manifest.converter !== CONVERTER_VERSION || manifest.opset !== OPSET)) {
    throw new Error(`manifest.json was written by converter v${manifest.converter} (opset ${manifest.opset}), this is v${CONVERTER_VERSION} (opset ${OPSET}): run "npm run models -- --update-manifest" and commit it`);
  }
  const next: Manifest = { converter: CONVERTER_VERSION, opset: OPSET, models: {} };
  const report: BuildReport = { outDir, models: [] };
  for (const src of MODEL_SOURCES) {
    const started = performance.now();
    const path = join(outDir, `${src.name}.onnx`);
    const expected = manifest?.models[src.name];
    if (checking && !expected) throw new Error(`manifest.json has no entry for ${src.name}: run "npm run models -- --update-manifest"`);
    if (checking && expected && !options.force && existsSync(path) && sha256(readFileSync(path)) === expected.sha256) {
      next.models[src.name] = expected;
      report.models.push({ name: src.name, path, sha256: expected.sha256, bytes: expected.bytes, status: 'up-to-date', ms: performance.now() - started });
      continue;
    }
    const { entry, bytes } = convertSource(src);
    if (checking && expected) {
      if (!sameSources(expected, entry)) {
        throw new Error(`${src.name}: the source model differs from the manifest (${entry.package}@${entry.version} installed, ${expected.package}@${expected.version} recorded, or its files changed): check the new model, then run "npm run models -- --update-manifest"`);
      }
      if (entry.sha256 !== expected.sha256) {
        throw new Error(`${src.name}: conversion gave sha256 ${entry.sha256}, the manifest records ${expected.sha256} for the same sources; the converter changed: run "npm run models -- --update-manifest" after checking the parity tests`);
      }
    }
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
    next.models[src.name] = entry;
    report.models.push({ name: src.name, path, sha256: entry.sha256, bytes: entry.bytes, status: 'built', ms: performance.now() - started });
    options.logger?.info({ model: src.name, file: basename(path), bytes: entry.bytes }, 'model built');
  }
  if (options.updateManifest) writeFileSync(MANIFEST_PATH, `${JSON.stringify(next, null, 2)}\n`);
  return report;
}
