// `cabine console --set-pin`: reads the new PIN twice from stdin (hidden on a terminal) and
// stores its scrypt hash in the PIN file (`console.pinFile`, default data.dir/console-pin.hash),
// mode 0600, replaced atomically; the booth reads it at each login, so it applies at once.
// A hash left in the config file by an older release is removed from it.
import { chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { parseDocument } from 'yaml';
import type { Config } from '../config/schema.ts';
import { writeFileDurably } from '../store/files.ts';
import { checkPinFormat, hashPin } from './auth.ts';
import { writeConfigKey } from './config-file.ts';
import { pinFileOf } from './gate.ts';

/** Reads `count` lines from a non-terminal stream (provisioning pipes the PIN in). */
async function readLines(input: NodeJS.ReadableStream, count: number): Promise<string[]> {
  const rl = createInterface({ input, terminal: false });
  const lines: string[] = [];
  for await (const line of rl) {
    lines.push(line.trim());
    if (lines.length === count) break;
  }
  rl.close();
  return lines;
}

/** Reads one line on a terminal without echo. */
function readHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      for (const b of chunk) {
        if (b === 0x0d || b === 0x0a) {
          done();
          process.stderr.write('\n');
          resolve(text);
          return;
        }
        if (b === 0x03) {
          done();
          reject(new Error('cancelled'));
          return;
        }
        if (b === 0x7f || b === 0x08) text = text.slice(0, -1);
        else if (b >= 0x20 && b < 0x7f && text.length < 64) text += String.fromCharCode(b);
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
    };
    stdin.on('data', onData);
  });
}

/** Removes a legacy `console.pinHash` from the config file; says what it did. */
function removeLegacyHash(configFile: string | undefined): string {
  if (!configFile || !existsSync(configFile)) return '';
  const doc = parseDocument(readFileSync(configFile, 'utf8'));
  if (!doc.hasIn(['console', 'pinHash'])) return '';
  try {
    writeConfigKey(configFile, 'console.pinHash', undefined);
    return `; the old hash was removed from ${configFile}`;
  } catch (err) {
    return `; warning: remove console.pinHash from ${configFile} by hand (${(err as Error).message})`;
  }
}

export async function setPin(config: Config, configFile: string | undefined): Promise<string> {
  let first: string | undefined;
  let second: string | undefined;
  if (process.stdin.isTTY) {
    first = await readHidden('new technician PIN (6-12 digits): ');
    second = await readHidden('same PIN again: ');
  } else {
    [first, second] = await readLines(process.stdin, 2);
  }
  if (first === undefined || second === undefined) throw new Error('--set-pin reads the new PIN twice from stdin (two lines)');
  checkPinFormat(first);
  if (first !== second) throw new Error('the two PINs differ; nothing changed');
  const hash = await hashPin(first);
  // The hash allows an offline guess of a 6-to-12-digit PIN: its file is the booth user's only.
  const file = pinFileOf(config);
  writeFileDurably(file, hash + '\n', 0o600);
  // Run as root (provisioning, sudo): the file goes to the owner of the folder it is in (the
  // booth's user), or the booth could not read it.
  if (process.getuid?.() === 0) {
    const owner = statSync(dirname(file));
    if (owner.uid !== 0) chownSync(file, owner.uid, owner.gid);
  }
  return `technician PIN set: hash stored in ${file} (mode 0600), in force at the next login${removeLegacyHash(configFile)}`;
}
