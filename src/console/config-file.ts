// Changing one key of the booth's config file (YAML or JSON) in place: comments and the
// other keys kept, the result validated against the schema before it is written, written
// to a temporary file, fsynced and renamed over the old one (a power cut leaves the old or
// the new file, never half of one).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { Document, parseDocument } from 'yaml';
import { validateConfig } from '../config/load.ts';
import { writeFileDurably } from '../store/files.ts';

/** `value` undefined removes the key. `mode`: the file's mode from now on (default: kept, or 0640 for a new file). */
export function writeConfigKey(file: string, key: string, value: unknown, mode?: number): void {
  const exists = existsSync(file);
  const text = exists ? readFileSync(file, 'utf8') : '';
  const doc = exists && text.trim() ? parseDocument(text) : new Document({});
  if (doc.errors.length) throw new Error(`config file ${file} is not valid YAML/JSON: ${doc.errors[0]!.message}`);
  const current: unknown = doc.toJS();
  if (current !== null && (typeof current !== 'object' || Array.isArray(current))) throw new Error(`config file ${file} must hold a mapping of sections`);
  if (value === undefined) doc.deleteIn(key.split('.'));
  else doc.setIn(key.split('.'), value);
  // The whole file must still be a valid config: never write a file the booth would refuse.
  validateConfig(doc.toJS(), `config file ${file}`);
  writeFileDurably(file, doc.toString(), mode ?? (exists ? statSync(file).mode & 0o777 : 0o640));
}
