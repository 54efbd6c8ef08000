// "Six months ahead" has one meaning everywhere (the registry's code expiry and the print
// CLI's sample board): calendar months in UTC, clamped to the end of a shorter month.
import t from 'tap';
import { addMonths } from '../../src/codes/registry.ts';

const plus = (iso: string, months: number) => addMonths(new Date(iso), months).toISOString();

t.test('month ends are clamped, never spilled into the next month', async (t) => {
  t.equal(plus('2026-08-31T10:00:00.000Z', 6), '2027-02-28T10:00:00.000Z', '31 Aug + 6 → 28 Feb (not 3 Mar)');
  t.equal(plus('2027-08-31T10:00:00.000Z', 6), '2028-02-29T10:00:00.000Z', 'leap year: 29 Feb');
  t.equal(plus('2026-03-31T23:30:00.000Z', 6), '2026-09-30T23:30:00.000Z', '31 Mar + 6 → 30 Sep');
  t.equal(plus('2026-12-31T00:00:00.000Z', 6), '2027-06-30T00:00:00.000Z', 'across the year');
  t.equal(plus('2026-01-15T12:00:00.000Z', 6), '2026-07-15T12:00:00.000Z', 'mid-month unchanged');
});

t.test('UTC whatever the local time zone: the last evening of a month stays in its month', async (t) => {
  // 31 Aug 23:30 UTC is already 1 Sep in Paris; local-time arithmetic would start from September.
  t.equal(plus('2026-08-31T23:30:00.000Z', 6), '2027-02-28T23:30:00.000Z');
});

t.test('the print CLI has no month arithmetic of its own', async (t) => {
  const { readFileSync } = await import('node:fs');
  const source = readFileSync(new URL('../../src/print/cli.ts', import.meta.url), 'utf8');
  t.notMatch(source, /setMonth|getMonth/, 'it uses addMonths');
});
