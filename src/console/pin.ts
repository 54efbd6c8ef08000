// `cabine console --set-pin`: reads the new PIN twice from stdin (hidden on a terminal) and
// stores its scrypt hash as `console.pinHash` in the booth's config file (`--config`, the file
// `cabine start` reads), edited in place with comments kept and replaced atomically.
import { createInterface } from 'node:readline';
import { envNameOf } from '../config/load.ts';
import { checkPinFormat, hashPin } from './auth.ts';
import { writeConfigKey } from './config-file.ts';

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

export async function setPin(configFile: string | undefined): Promise<string> {
  if (!configFile) {
    throw new Error('--set-pin needs --config FILE: the booth\'s config file, where the PIN hash (console.pinHash) is kept');
  }
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
  // The hash allows an offline guess of a 6-digit PIN in well under a second per million tries
  // at low scrypt cost: the file that holds it is made readable by its owner only (0600).
  writeConfigKey(configFile, 'console.pinHash', hash, 0o600);
  const env = envNameOf('console.pinHash');
  const note = process.env[env] ? ` (warning: ${env} is set in the environment and wins over the file)` : '';
  return `technician PIN set: hash stored as console.pinHash in ${configFile} (now mode 0600)${note}`;
}
