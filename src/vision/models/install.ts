// `cabine models install FILE|DIR...`: puts the face models of a release into the booth's
// models folder without any build tool. Each .onnx file is matched to the committed manifest
// by name and copied only when its size and sha256 are the recorded ones; the copy is atomic
// (temporary file, then rename) so a booth never loads half a model. Ends with every model of
// the manifest present and verified, or throws naming the missing ones.
import { copyFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkModelFiles, DEFAULT_MODELS_DIR, readManifest, sha256, type Manifest } from './manifest.ts';

export interface InstalledModel {
  name: string;
  from: string;
  path: string;
}

function onnxFiles(source: string): string[] {
  const path = resolve(source);
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new Error(`${source}: no such file or folder`);
  }
  if (stat.isDirectory()) return readdirSync(path).filter((f) => f.endsWith('.onnx')).map((f) => join(path, f));
  if (stat.isFile()) return [path];
  throw new Error(`${source}: not a file or a folder`);
}

export function installModels(sources: readonly string[], dir: string = DEFAULT_MODELS_DIR, manifest: Manifest | undefined = readManifest()): InstalledModel[] {
  if (!manifest) throw new Error('the model manifest is missing');
  const byFile = new Map(Object.entries(manifest.models).map(([name, entry]) => [entry.onnx, { name, entry }]));
  const target = resolve(dir);
  mkdirSync(target, { recursive: true });
  const installed: InstalledModel[] = [];
  for (const source of sources) {
    for (const file of onnxFiles(source)) {
      const known = byFile.get(basename(file));
      if (!known) throw new Error(`${file}: not a model of this release (expected one of ${[...byFile.keys()].join(', ')})`);
      const bytes = readFileSync(file);
      if (bytes.length !== known.entry.bytes || sha256(bytes) !== known.entry.sha256) {
        throw new Error(`${file}: sha256 ${sha256(bytes).slice(0, 16)}… is not the one this release's manifest records for ${known.name} (${known.entry.sha256.slice(0, 16)}…): built from other sources or damaged`);
      }
      const path = join(target, known.entry.onnx);
      if (resolve(file) !== path) {
        const tmp = `${path}.${process.pid}.tmp`;
        copyFileSync(file, tmp);
        chmodSync(tmp, 0o644);
        renameSync(tmp, path);
      }
      installed.push({ name: known.name, from: file, path });
    }
  }
  const missing = checkModelFiles(target, manifest).filter((c) => !c.ok);
  if (missing.length > 0) throw new Error(`models still missing or wrong in ${target}: ${missing.map((m) => `${m.name} (${m.problem ?? ''})`).join(', ')}`);
  return installed;
}
