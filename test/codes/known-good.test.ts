// Known-good codes: fixed vectors that pin the format a printed board already carries.
//
// Every code printed on a board must stay valid forever, so the alphabet, the field (GF(32)
// with x^5 + x^2 + 1), the roots (1 and α) and the layout (first character = highest power)
// must never change. The other code tests check validity with the code under test; a change
// of field polynomial or a reordered alphabet passes them. These vectors do not: the check
// characters below were derived once by the independent computation in this file (plain
// polynomial arithmetic from the math in docs/codes.md, no log tables, no import of
// src/codes/code.ts), and they are written as literals so the test fails on any drift, of the
// code under test or of this derivation.
import t from 'tap';
import { CODE_ALPHABET, checkCharacters, checkCode, correctSingleError, formatCode, generateCode, isValidPrefix, isWellFormed, randomPart } from '../../src/codes/code.ts';

// --- The independent computation, from the definitions only --------------------------------
// Alphabet: digits, then A-Z without O, I, L, S (docs/codes.md "Format").
const ALPHABET = '0123456789' + 'ABCDEFGH' + 'JK' + 'MN' + 'PQR' + 'TUVWXYZ';
// GF(32) = GF(2)[x] / (x^5 + x^2 + 1): multiply as polynomials over GF(2), reduce the product.
const FIELD_POLYNOMIAL = 0b100101;
function fieldMultiply(a: number, b: number): number {
  let product = 0;
  for (let i = 0; i < 5; i++) if ((b >> i) & 1) product ^= a << i;
  for (let degree = 8; degree >= 5; degree--) if ((product >> degree) & 1) product ^= FIELD_POLYNOMIAL << (degree - 5);
  return product;
}
const ALPHA = 0b00010; // the element x
/** c(point) by Horner: the first character is the coefficient of the highest power. */
function evaluate(values: readonly number[], point: number): number {
  return values.reduce((acc, v) => fieldMultiply(acc, point) ^ v, 0);
}
/** The check pair, by search: the only (p1, p0) with c(1) = c(α) = 0. */
function independentCheck(body: string): string {
  const values = [...body].map((c) => ALPHABET.indexOf(c));
  const found: string[] = [];
  for (let p1 = 0; p1 < 32; p1++) {
    for (let p0 = 0; p0 < 32; p0++) {
      const word = [...values, p1, p0];
      if (evaluate(word, 1) === 0 && evaluate(word, ALPHA) === 0) found.push(`${ALPHABET[p1]}${ALPHABET[p0]}`);
    }
  }
  if (found.length !== 1) throw new Error(`${body}: ${found.length} check pairs`);
  return found[0] as string;
}
/** 80 bits, most significant first, cut into 16 groups of 5 bits. */
function independentRandomPart(hex: string): string {
  const bits = [...Buffer.from(hex, 'hex')].map((b) => b.toString(2).padStart(8, '0')).join('');
  let out = '';
  for (let i = 0; i < 80; i += 5) out += ALPHABET[parseInt(bits.slice(i, i + 5), 2)];
  return out;
}

// --- The vectors (derived once by the computation above, kept as literals) -----------------
const DOCUMENTED = ['9CABG8TN1H1P3KDF27JRJR', '9CAB5Y9MGDD6WUNN5HQ5P2']; // docs/codes.md examples
const BODIES: ReadonlyArray<[body: string, check: string]> = [
  ['9CABG8TN1H1P3KDF27JR', 'JR'],
  ['9CAB5Y9MGDD6WUNN5HQ5', 'P2'],
  ['00000000000000000000', '00'],
  ['ZZZZZZZZZZZZZZZZZZZZ', 'CC'],
  ['10000000000000000000', 'MN'], // only the highest power: pins the layout (first = x^21)
  ['00000000000000000001', '32'], // only x^2
  ['0123456789ABCDEFGHJK', 'WW'],
  ['MNPQRTUVWXYZ01234567', '55'],
  ['9CABZYXWVUTRQPNMKJHG', '8C'],
  ['ABCD0000000000000000', '66'],
  ['9CABG8TN2345679ABCDE', 'AW'],
  ['FR01HHHHGGGGHGHGHGHG', 'Y8'], // G and H side by side: a G↔H swap of the alphabet fails here
  ['9CABAAAAAAAAAAAAAA03', 'HP'],
];
const GENERATED: ReadonlyArray<[prefix: string, randomHex: string, code: string]> = [
  ['9CAB', '00112233445566778899', '9CAB008J4CU4ANK7F24TH2'],
  ['FR01', 'a5a5a5a5a5a5a5a5a5a5', 'FR01MPJUB9D5MPJUB9D5Z9'],
  ['ZZZZ', '0123456789abcdef0123', 'ZZZZ04HMATW9NF6YY093DW'],
];

t.test('the independent derivation reproduces every literal vector', async (t) => {
  t.equal(ALPHABET.length, 32);
  for (const [body, check] of BODIES) t.equal(independentCheck(body), check, body);
  for (const code of DOCUMENTED) t.equal(independentCheck(code.slice(0, 20)), code.slice(20), code);
  for (const [prefix, hex, code] of GENERATED) {
    const body = prefix + independentRandomPart(hex);
    t.equal(body + independentCheck(body), code, `${prefix} ${hex}`);
  }
});

t.test('the alphabet is the printed one, symbol for symbol', async (t) => {
  t.equal(CODE_ALPHABET, '0123456789ABCDEFGHJKMNPQRTUVWXYZ');
});

t.test('every known body gets its known check characters, and the code is accepted', async (t) => {
  for (const [body, check] of BODIES) {
    t.equal(checkCharacters(body), check, body);
    t.ok(isWellFormed(body + check), `${body}${check} is accepted`);
    t.same(checkCode(formatCode(body + check)), { input: formatCode(body + check), normalised: body + check, valid: true, reason: null, suggestion: null });
  }
});

t.test('the documented codes are accepted; each one-character change is refused and corrected back', async (t) => {
  for (const code of DOCUMENTED) {
    t.ok(isWellFormed(code), code);
    for (const at of [0, 7, 19, 20, 21]) {
      const other = ALPHABET[(ALPHABET.indexOf(code[at] as string) + 1) % 32] as string;
      const typo = code.slice(0, at) + other + code.slice(at + 1);
      t.notOk(isWellFormed(typo), `${typo} is refused`);
      t.equal(correctSingleError(typo), code, `${typo} is corrected to ${code}`);
    }
  }
  // The example of docs/codes.md "Commands": an O typed for the N at character 8.
  t.same(checkCode('9cab-g8to-1h1p-3kdf-27jr-jr'), {
    input: '9cab-g8to-1h1p-3kdf-27jr-jr',
    normalised: '9CABG8T01H1P3KDF27JRJR',
    valid: false,
    reason: 'check characters do not match: character 8 is probably mistyped',
    suggestion: '9CABG8TN1H1P3KDF27JRJR',
  });
});

t.test('generation from fixed random bytes gives the known codes (layout of the 80 bits)', async (t) => {
  for (const [prefix, hex, code] of GENERATED) t.equal(generateCode(prefix, Buffer.from(hex, 'hex')), code);
});

// Typed inputs and the exact report the help desk and the screen show: literal outcomes.
const TYPED: ReadonlyArray<[input: string, normalised: string, reason: string | null, suggestion: string | null]> = [
  ['9CAB G8TN 1H1P 3KDF 27JR JR', '9CABG8TN1H1P3KDF27JRJR', null, null],
  [' 9cab-g8tn.1h1p_3kdf\t27jr\u2013jr ', '9CABG8TN1H1P3KDF27JRJR', null, null],
  ['9CAB5Y9MGDD6WUNN5HQ5P2', '9CAB5Y9MGDD6WUNN5HQ5P2', null, null],
  ['9cab5y9mgdd6wunnshq5p2', '9CAB5Y9MGDD6WUNN5HQ5P2', null, null], // S typed for 5
  ['', '', 'empty code', null],
  [' - ', '', 'empty code', null],
  ['9CAB5Y9MGDD6WUNN5HQ5P', '9CAB5Y9MGDD6WUNN5HQ5P', 'a code has 22 characters, this one has 21', null],
  ['9CAB5Y9MGDD6WUNN5HQ5P22', '9CAB5Y9MGDD6WUNN5HQ5P22', 'a code has 22 characters, this one has 23', null],
  ['9CAB5Y9MGDD6WUNN5HQ5P!', '9CAB5Y9MGDD6WUNN5HQ5P!', 'character "!" at position 22 is not used in codes', null],
  ['é', 'É', 'character "É" at position 1 is not used in codes', null],
  ['ACAB5Y9MGDD6WUNN5HQ5P2', 'ACAB5Y9MGDD6WUNN5HQ5P2', 'check characters do not match: character 1 is probably mistyped', '9CAB5Y9MGDD6WUNN5HQ5P2'],
  ['9CAB5Y9MGDD6WUNN5HQ5P3', '9CAB5Y9MGDD6WUNN5HQ5P3', 'check characters do not match: character 22 is probably mistyped', '9CAB5Y9MGDD6WUNN5HQ5P2'],
  ['9CAB5Y9MGDD6WUNN5HQ5Q2', '9CAB5Y9MGDD6WUNN5HQ5Q2', 'check characters do not match: character 21 is probably mistyped', '9CAB5Y9MGDD6WUNN5HQ5P2'],
  ['9CAB5Y9MGDD6WUNN5HQ52P', '9CAB5Y9MGDD6WUNN5HQ52P', 'check characters do not match: more than one character is wrong', null], // swap of the last two
  // The check pair of the body 1000…0 under a zero body: one character from that code.
  ['00000000000000000000MN', '00000000000000000000MN', 'check characters do not match: character 1 is probably mistyped', '10000000000000000000MN'],
  ['9cab g8tn ihlp 3kdf 27jr jr', '9CABG8TN1H1P3KDF27JRJR', null, null], // I and L typed for 1
  // Two errors whose syndromes look like no single error (computed independently, as above):
  // S1 = 0 with S0 ≠ 0; and the locator log(S1/S0) = 22 and 25, outside the 22 characters.
  ['0000000000000000000012', '0000000000000000000012', 'check characters do not match: more than one character is wrong', null],
  ['00000000000000000000E1', '00000000000000000000E1', 'check characters do not match: more than one character is wrong', null],
  ['0000000000000000000051', '0000000000000000000051', 'check characters do not match: more than one character is wrong', null],
];

t.test('typed codes: the exact report for each known input', async (t) => {
  for (const [input, normalised, reason, suggestion] of TYPED) {
    t.same(checkCode(input), { input, normalised, valid: reason === null, reason, suggestion }, JSON.stringify(input));
  }
});

t.test('the format guards: prefix, body and random bytes', async (t) => {
  t.equal(isValidPrefix('9CAB'), true);
  for (const bad of ['9CA', '9CABC', '9CAO', '9cab', ' 9CA']) t.equal(isValidPrefix(bad), false, `"${bad}" is not a prefix`);
  t.throws(() => generateCode('9CAI', Buffer.alloc(10)), /operator prefix "9CAI" must be 4 characters of 0123456789ABCDEFGHJKMNPQRTUVWXYZ/);
  t.throws(() => checkCharacters('9CAB5Y9MGDD6WUNN5HQ'), /a code body has 20 characters, got 19/);
  t.throws(() => checkCharacters('9CAB5Y9MGDD6WUNN5HQO'), /code body "9CAB5Y9MGDD6WUNN5HQO" has characters outside the code alphabet/);
  t.throws(() => randomPart(Buffer.alloc(11)), /exactly 10 bytes/);
  t.equal(generateCode('9CAB', Buffer.alloc(10)), '9CAB0000000000000000' + checkCharacters('9CAB0000000000000000'));
  t.equal(formatCode('9CAB5Y9MGDD6WUNN5HQ5P2'), '9CAB 5Y9M GDD6 WUNN 5HQ5 P2');
  t.equal(correctSingleError('9CAB5Y9MGDD6WUNN5HQ5P2'), undefined, 'a valid code needs no correction');
  t.equal(correctSingleError('9CAB5Y9MGDD6WUNN5HQ5P'), undefined, 'wrong length');
  t.equal(correctSingleError('9CAB5Y9MGDD6WUNN5HQ5PO'), undefined, 'a character outside the alphabet');
  t.equal(correctSingleError('0'.repeat(20) + '1'), undefined, 'a 21-character word is not corrected');
  t.equal(isWellFormed('0'.repeat(21)), false, 'the zero word of 21 characters is not a code');
  t.equal(isWellFormed(''), false);
  t.equal(isWellFormed('9CAB5Y9MGDD6WUNN5HQ5P2 '), false);
  t.equal(isWellFormed('9CAB5Y9MGDD6WUNN5HQ5PO'), false);
});
