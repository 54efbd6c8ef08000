// One table of customer texts: every hint key the code can emit (HINT_KEYS, derived from the
// declarations vision and guidance must use), every check id and every message the page, the
// booth's screen adapter or the voice can ask for has a text in each of the five languages,
// written for that language (no fallback), with the same placeholders as the French text.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { CHECK_IDS } from '../../src/vision/checks.ts';
import { HINT_KEYS, HINTS, HOLD_STILL, hintLanguages } from '../../src/vision/hints.ts';
import { messagesFor, ownMessages } from '../../src/ui/i18n.ts';
import { languages } from '../../src/ui/screen.ts';

const source = (path: string) => readFileSync(new URL(`../../src/${path}`, import.meta.url), 'utf8');
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

t.test('the hint table and the screen speak the same five languages', async (t) => {
  t.same([...hintLanguages].sort(), [...languages].sort());
});

t.test('every hint key the code can emit has a sentence in every language', async (t) => {
  t.equal(new Set(HINT_KEYS).size, HINT_KEYS.length, 'hint keys are unique');
  t.ok(HINT_KEYS.includes('face.closer') && HINT_KEYS.includes(HOLD_STILL.key), 'the list is derived from the table');
  t.equal(HINT_KEYS.length, Object.keys(HINTS).length + 1);
  for (const lang of languages) {
    const own = ownMessages(lang);
    for (const key of HINT_KEYS) {
      const text = own[`hint.${key}`];
      t.ok(text && text.trim().length > 3 && !text.includes('hint.'), `${lang}: hint.${key}`);
      if (lang === 'ar') t.match(text, /[\u0600-\u06ff]/, `ar: hint.${key} is written in Arabic`);
    }
  }
});

t.test('every check id has its name on the review screen in every language', async (t) => {
  for (const lang of languages) for (const id of CHECK_IDS) t.ok(ownMessages(lang)[`check.${id}`], `${lang}: check.${id}`);
});

t.test('every language has every message of the French table, with the same placeholders', async (t) => {
  const fr = ownMessages('fr');
  for (const lang of languages) {
    const own = ownMessages(lang);
    t.same(Object.keys(own).filter((k) => !(k in fr)), [], `${lang}: no key unknown to French`);
    for (const [key, text] of Object.entries(fr)) {
      t.ok(own[key], `${lang}: ${key}`);
      if (own[key]) t.same(placeholders(own[key]), placeholders(text), `${lang}: ${key} placeholders`);
    }
  }
});

t.test('every message key the page, the screen adapter or the voice names exists', async (t) => {
  const html = source('ui/public/index.html');
  const app = source('ui/public/app.js');
  const adapter = source('booth/screen.ts');
  const named = new Set([
    ...[...html.matchAll(/data-i18n="([^"]+)"/g)].map((m) => m[1]!),
    ...[...app.matchAll(/\bt\('([^']+)'/g)].map((m) => m[1]!),
    ...[...adapter.matchAll(/'((?:say|fault)\.[\w.-]+)'/g)].map((m) => m[1]!),
  ]);
  t.ok(named.size > 30, `found the keys the code names (${named.size})`);
  const fr = ownMessages('fr');
  for (const key of named) t.ok(fr[key], `${key} has a text`);
  // The runtime fallback never has to invent anything for a key the code names.
  for (const lang of languages) for (const key of named) t.equal(messagesFor(lang)[key], ownMessages(lang)[key], `${lang}: ${key} is its own`);
});
