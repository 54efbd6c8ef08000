// README's layering, kept true over the import graph of src/: the hardware layer imports
// nothing of the product (only itself, the logger and the config schema's types of its
// sections), and modules import downward only.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const src = resolve(import.meta.dirname, '../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'public' ? [] : files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every relative import (static, re-export or dynamic) between files of src/. */
function edges(): Edge[] {
  const out: Edge[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
  for (const file of files(src)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(re)) {
      const spec = m[3] ?? m[4];
      if (!spec) continue;
      out.push({ from: relative(src, file), to: relative(src, resolve(dirname(file), spec)), typeOnly: Boolean(m[2]) });
    }
  }
  return out;
}

/** src/<area>/... → area; a file at the root of src/ (log.ts, cli.ts, args.ts) is its own. */
const area = (path: string) => (path.includes('/') ? path.split('/')[0]! : path);

// Lower layers first; an area may import its own files and those of strictly lower layers.
// Root utilities (log.ts, args.ts) are below everything. The commands (cli.ts files) sit on top
// of everything: they may import any area, and nothing but a command imports a command.
const layers: string[][] = [
  ['log.ts', 'args.ts'],
  ['hal'],
  ['store'],
  ['config'],
  ['vision', 'codes', 'print', 'payment'],
  ['fleet'],
  ['collector', 'flows', 'update'],
  ['ui', 'console'],
  ['sim'],
  ['booth'],
  ['demo'],
  ['cli.ts'],
];
const isCommand = (path: string) => /(^|\/|-)cli\.ts$/.test(path);
const rank = (a: string) => layers.findIndex((layer) => layer.includes(a));

const all = edges();
/** A device's factory takes its section of the config: the schema's types, nothing at run time. */
const sectionType = (e: Edge) => area(e.from) === 'hal' && e.typeOnly && e.to === 'config/schema.ts';

t.test('the import graph is read', async (t) => {
  t.ok(all.length > 200, `${all.length} imports`);
  t.ok(all.some((e) => e.from === 'booth/compose.ts' && e.to === 'flows/session.ts'), 'positive control: compose imports the session machine');
});

t.test('every area of src/ has a layer', async (t) => {
  const areas = new Set(files(src).map((f) => area(relative(src, f))));
  for (const a of areas) t.ok(rank(a) >= 0, `${a} is placed in the layers of this test`);
});

t.test('hal imports nothing of the product', async (t) => {
  const bad = all.filter((e) => area(e.from) === 'hal' && area(e.to) !== 'hal' && e.to !== 'log.ts' && !sectionType(e));
  t.same(bad.map((e) => `${e.from} → ${e.to}`), []);
});

t.test('nothing but a command imports a command', async (t) => {
  t.same(all.filter((e) => isCommand(e.to) && !isCommand(e.from)).map((e) => `${e.from} → ${e.to}`), []);
});

t.test('modules import downward only', async (t) => {
  const upward = all.filter((e) => {
    if (isCommand(e.from) || area(e.from) === area(e.to) || sectionType(e)) return false;
    const from = rank(area(e.from));
    const to = rank(area(e.to));
    return to >= from;
  });
  t.same(upward.map((e) => `${e.from} → ${e.to}`), []);
});
