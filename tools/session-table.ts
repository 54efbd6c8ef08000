// Prints docs/session.md's step table from the step declarations (src/flows/steps.ts);
// `--write` puts it into docs/session.md between its markers. test/flows/steps.test.ts fails
// when the page and the declarations differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { sessionStepTable } from '../src/flows/steps.ts';

export const BEGIN = '<!-- step table: generated from src/flows/steps.ts by `node --import tsx tools/session-table.ts --write` -->';
export const END = '<!-- end of step table -->';

export function withTable(doc: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error('docs/session.md has no step table markers');
  return `${doc.slice(0, start)}${BEGIN}\n${sessionStepTable()}\n${doc.slice(end)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = new URL('../docs/session.md', import.meta.url);
  if (process.argv.includes('--write')) writeFileSync(file, withTable(readFileSync(file, 'utf8')));
  else process.stdout.write(sessionStepTable() + '\n');
}
