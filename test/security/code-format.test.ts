// Attack: an enrolled booth (or one whose key was stolen) sends signed session records whose
// "code" is not an e-photo code: a CSV formula, a path, a code with wrong check characters, a
// number. The ingest's verification refuses each (the record alone, with a reason that names
// no code); real codes, records without a code, and other record types pass (positive control).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyRecord } from '../../src/fleet/operator/verify-record.ts';
import { sealRecord } from '../../src/fleet/records.ts';
import { loadOrCreateSigningKey } from '../../src/fleet/signing.ts';
import { testCode } from '../fleet/helpers/codes.ts';

const dir = mkdtempSync(join(tmpdir(), 'cabine-sec-code-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const key = loadOrCreateSigningKey(join(dir, 'k.pem'));
const verdict = (data: Record<string, unknown>, type = 'session') => verifyRecord('CF-1', sealRecord({ id: 'cf-1', type, data }, 'CF-1', key), key.publicKey);

const good = testCode(7);
const mistyped = good.slice(0, 9) + (good[9] === '2' ? '3' : '2') + good.slice(10);
const at = [...good].findIndex((c, i) => i >= 4 && good[i + 1] !== undefined && good[i + 1] !== c);
const swapped = good.slice(0, at) + good[at + 1] + good[at] + good.slice(at + 2);

t.test('a session record whose code is not an e-photo code is refused', async (t) => {
  const bad: [string, unknown][] = [
    ['a CSV formula', '=HYPERLINK("http://evil.example","click")'],
    ['a path', '../../escaped'],
    ['one character changed (check characters fail)', mistyped],
    ['two adjacent characters swapped', swapped],
    ['lower case', good.toLowerCase()],
    ['grouped with spaces', good.replace(/(.{4})(?=.)/g, '$1 ')],
    ['too long', good + 'AB'],
    ['empty', ''],
    ['a number', 12345],
    ['null', null],
  ];
  for (const [name, code] of bad) {
    const v = verdict({ code, paidCents: 800 });
    t.match(v, { ok: false, id: 'cf-1', reason: 'session code is not a well-formed e-photo code' }, name);
  }
});

t.test('positive control: real codes, sessions without a code, other record types', async (t) => {
  t.match(verdict({ code: good, paidCents: 800 }), { ok: true }, 'a generated code');
  t.match(verdict({ sessionId: 's1', product: 'photo', paidCents: 500 }), { ok: true }, 'a photo-only session (no code)');
  t.match(verdict({ code: 'anything', cents: 800 }, 'payment'), { ok: true }, 'not a session record: not an issued code');
});
