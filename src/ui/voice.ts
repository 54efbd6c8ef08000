// Voice prompts: each message is spoken once by espeak-ng into a WAV file cached in the
// data dir (keyed by language, text, voice and volume), then played through ALSA (aplay).
// A booth without a sound card or without espeak-ng still shows the subtitles.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { messagesFor, voices } from './i18n.ts';
import type { Language } from './screen.ts';

export interface VoiceOptions {
  cacheDir: string;
  /** 0-100 %; mapped onto espeak-ng's amplitude (0-200). */
  volume: number;
  enabled: boolean;
  logger: Logger;
  /** Programs, replaceable for machines that name them differently. */
  espeak?: string;
  player?: string;
}

export interface VoicePrompts {
  /** The WAV of a message, generating and caching it on first use; undefined if impossible. */
  audio(lang: Language, key: string): Promise<Buffer | undefined>;
  /** Speaks a message through ALSA; resolves when done (or at once if voice is off). */
  say(lang: Language, key: string, values?: Record<string, string>): Promise<void>;
  setVolume(volume: number): void;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`))));
  });
}

export function createVoicePrompts(options: VoiceOptions): VoicePrompts {
  const log = options.logger.child({ module: 'voice' });
  const espeak = options.espeak ?? 'espeak-ng';
  const player = options.player ?? 'aplay';
  let volume = options.volume;
  let playerBroken = false;
  const inFlight = new Map<string, Promise<string | undefined>>();

  const file = async (lang: Language, key: string): Promise<string | undefined> => {
    const text = messagesFor(lang)[key];
    if (!text) return undefined;
    const amplitude = Math.round(Math.min(100, Math.max(0, volume)) * 2);
    const hash = createHash('sha256').update(`${voices[lang]}\0${amplitude}\0${text}`).digest('hex').slice(0, 16);
    const dir = join(options.cacheDir, lang);
    const path = join(dir, `${key}-${hash}.wav`);
    const cached = await stat(path).then((s) => s.size > 44, () => false);
    if (cached) return path;
    const pending = inFlight.get(path);
    if (pending) return pending;
    const generating = (async () => {
      await mkdir(dir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await run(espeak, ['-v', voices[lang], '-a', String(amplitude), '-s', '150', '-w', tmp, text]);
      await rename(tmp, path); // atomic: a power cut never leaves a half-written prompt
      return path;
    })().finally(() => inFlight.delete(path));
    inFlight.set(path, generating);
    return generating;
  };

  return {
    async audio(lang, key) {
      try {
        const path = await file(lang, key);
        return path ? await readFile(path) : undefined;
      } catch (err) {
        log.warn({ err, lang, key }, 'voice prompt unavailable');
        return undefined;
      }
    },
    async say(lang, key, values) {
      if (!options.enabled || volume === 0 || playerBroken) return;
      try {
        if (values) {
          // A message with a customer's value (a refund code): spoken once, never cached.
          const template = messagesFor(lang)[key];
          if (!template) return;
          const text = template.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? '');
          const dir = await mkdtemp(join(tmpdir(), 'cabine-say-'));
          try {
            const wav = join(dir, 'say.wav');
            await run(espeak, ['-v', voices[lang], '-a', String(Math.round(Math.min(100, Math.max(0, volume)) * 2)), '-s', '130', '-w', wav, text]);
            await run(player, ['-q', wav]);
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
          return;
        }
        const path = await file(lang, key);
        if (path) await run(player, ['-q', path]);
      } catch (err) {
        // No sound card or no player: say it once in the log, keep the subtitles.
        playerBroken = true;
        log.warn({ err }, 'voice playback disabled');
      }
    },
    setVolume(next) {
      volume = next;
    },
  };
}
