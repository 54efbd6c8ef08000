// docs/session.md's step table is printed from the step declarations (src/flows/steps.ts):
// this fails when one changes and the other does not.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { steps } from '../../src/flows/model.ts';
import { sessionSteps } from '../../src/flows/steps.ts';
import { withTable } from '../../tools/session-table.ts';

t.test('docs/session.md shows the declared steps', async (t) => {
  const doc = readFileSync(new URL('../../docs/session.md', import.meta.url), 'utf8');
  t.equal(doc, withTable(doc), 'regenerate with `node --import tsx tools/session-table.ts --write`');
});

t.test('every step is declared once, in the order of the model', async (t) => {
  t.same(Object.keys(sessionSteps), [...steps]);
  for (const [step, spec] of Object.entries(sessionSteps)) {
    if (spec.cancellable) t.notOk(['issuing', 'printing', 'uploading', 'done'].includes(step), `${step}: nothing ends a paid session`);
    if (spec.busy) t.ok(spec.effect, `${step}: busy means an effect runs`);
  }
});

t.test('the journal has one writer: commit (intent facts go through it too)', async (t) => {
  const source = readFileSync(new URL('../../src/flows/session.ts', import.meta.url), 'utf8');
  const writes = [...source.matchAll(/this\.journal\.append\(/g)];
  t.equal(writes.length, 1, 'one journal.append in session.ts');
  const commit = source.slice(source.indexOf('private async commit('), source.indexOf('private async onJournalFailure('));
  t.match(commit, /this\.journal\.append\(/, 'and it is inside commit');
  for (const intent of ['CODE_ISSUING', 'PRINT_SUBMITTING']) t.match(source, new RegExp(`this\\.intend\\([^)]*'${intent}'`), `${intent} is written through intend → commit`);
});
