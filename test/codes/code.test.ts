// The check scheme, proved: every error touching one or two characters is rejected, on
// every code (linearity) and on many random codes; one wrong character is corrected uniquely.
import t from 'tap';
import {
  CODE_ALPHABET,
  CODE_LENGTH,
  checkCode,
  checkCharacters,
  correctSingleError,
  formatCode,
  generateCode,
  isWellFormed,
  normaliseCode,
  randomPart,
} from '../../src/codes/code.ts';

const word = (values: number[]) => values.map((v) => CODE_ALPHABET[v]).join('');

t.test('alphabet: 32 distinct symbols, no O, I, L, S', async (t) => {
  t.equal(CODE_ALPHABET.length, 32);
  t.equal(new Set(CODE_ALPHABET).size, 32);
  for (const c of 'OILS') t.notOk(CODE_ALPHABET.includes(c), `${c} is left out`);
  t.match(CODE_ALPHABET, /^[0-9A-Z]+$/);
});

t.test('layout: prefix, 16 random characters, 2 check characters', async (t) => {
  const code = generateCode('9CAB');
  t.equal(code.length, CODE_LENGTH);
  t.equal(CODE_LENGTH, 22);
  t.equal(code.slice(0, 4), '9CAB');
  t.equal(code.slice(20), checkCharacters(code.slice(0, 20)));
  t.ok(isWellFormed(code));
  t.throws(() => generateCode('9CAO'), /operator prefix/);
  t.throws(() => generateCode('9CA'), /operator prefix/);
});

t.test('random part: each 5-bit group of the 80 bits is one symbol (a bijection, so no bias)', async (t) => {
  t.equal(randomPart(Buffer.alloc(10, 0)), '0'.repeat(16));
  t.equal(randomPart(Buffer.alloc(10, 0xff)), 'Z'.repeat(16));
  // Put value v in group k only: exactly symbol v at position k, zero elsewhere.
  for (let k = 0; k < 16; k++) {
    for (let v = 0; v < 32; v++) {
      const n = BigInt(v) << BigInt(5 * (15 - k));
      const bytes = Buffer.from(n.toString(16).padStart(20, '0'), 'hex');
      const expected = '0'.repeat(k) + CODE_ALPHABET[v] + '0'.repeat(15 - k);
      if (randomPart(bytes) !== expected) t.fail(`group ${k} value ${v}: ${randomPart(bytes)}`);
    }
  }
  t.throws(() => randomPart(Buffer.alloc(9)), /10 bytes/);
  // Many draws from the CSPRNG: every symbol shows up at every position.
  const seen = Array.from({ length: 16 }, () => new Set<string>());
  for (let i = 0; i < 4000; i++) [...randomPart()].forEach((c, k) => seen[k]!.add(c));
  t.ok(seen.every((s) => s.size === 32), 'all 32 symbols at every position');
});

t.test('exhaustive over every code (linearity): every error pattern of weight 1 or 2 is rejected', async (t) => {
  // The scheme is linear: code + error is valid iff the error word is itself a codeword. So
  // checking every error word of weight 1 and 2 (all positions, all non-zero values) proves
  // the property for every possible code at once.
  t.ok(isWellFormed('0'.repeat(22)), 'the zero word is a codeword');
  let patterns = 0;
  let accepted = 0;
  let miscorrected = 0;
  for (let i = 0; i < 22; i++) {
    for (let a = 1; a < 32; a++) {
      const single = new Array<number>(22).fill(0);
      single[i] = a;
      patterns++;
      if (isWellFormed(word(single))) accepted++;
      // and its single-error correction is unique and exact
      if (correctSingleError(word(single)) !== '0'.repeat(22)) miscorrected++;
      for (let j = i + 1; j < 22; j++) {
        for (let b = 1; b < 32; b++) {
          const double = [...single];
          double[j] = b;
          patterns++;
          if (isWellFormed(word(double))) accepted++;
        }
      }
    }
  }
  t.equal(patterns, 22 * 31 + ((22 * 21) / 2) * 31 * 31);
  t.equal(accepted, 0, 'no error of weight 1 or 2 is a codeword (minimum distance 3)');
  t.equal(miscorrected, 0, 'every single error is located and corrected');
});

t.test('exhaustive on random codes: every substitution and every adjacent transposition is rejected', async (t) => {
  const codes = 1000;
  let substitutions = 0;
  let transpositions = 0;
  const failures: string[] = [];
  for (let n = 0; n < codes; n++) {
    const code = generateCode(n % 2 ? '9CAB' : 'ZZ00');
    if (!checkCode(code).valid) failures.push(`${code} itself rejected`);
    for (let i = 0; i < code.length; i++) {
      for (const c of CODE_ALPHABET) {
        if (c === code[i]) continue;
        const typo = code.slice(0, i) + c + code.slice(i + 1);
        substitutions++;
        const r = checkCode(typo);
        if (r.valid) failures.push(`substitution ${typo} accepted`);
        if (r.suggestion !== code) failures.push(`substitution ${typo}: suggestion ${r.suggestion} instead of ${code}`);
      }
      if (i + 1 < code.length && code[i] !== code[i + 1]) {
        const swapped = code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2);
        transpositions++;
        if (checkCode(swapped).valid) failures.push(`transposition ${swapped} accepted`);
      }
    }
  }
  t.same(failures.slice(0, 10), [], 'no failure');
  t.equal(substitutions, codes * 22 * 31);
  t.ok(transpositions > codes * 19, `${transpositions} transpositions checked`);
});

t.test('a suggestion is always a valid code one character away, never a guess', async (t) => {
  const code = generateCode('9CAB');
  let suggestions = 0;
  for (let i = 0; i < 22; i++) {
    for (let j = i + 1; j < 22; j++) {
      const typo = [...code];
      typo[i] = CODE_ALPHABET[(CODE_ALPHABET.indexOf(code[i]!) + 1) % 32]!;
      typo[j] = CODE_ALPHABET[(CODE_ALPHABET.indexOf(code[j]!) + 7) % 32]!;
      const r = checkCode(typo.join(''));
      t.notOk(r.valid);
      if (r.suggestion) {
        suggestions++;
        t.ok(isWellFormed(r.suggestion));
        t.equal([...r.suggestion].filter((c, k) => c !== typo[k]).length, 1);
      } else {
        t.match(r.reason, /more than one character/);
      }
    }
  }
  t.comment(`${suggestions} two-error words lie one character from another code`);
});

t.test('normalisation of typed codes', async (t) => {
  t.equal(normaliseCode(' 9cab-g8tn.1h1p_3kdf 27jr\tjr '), '9CABG8TN1H1P3KDF27JRJR');
  t.equal(normaliseCode('oOiIlLsS'), '00111155');
  const code = generateCode('9CAB');
  // A customer who reads 0 as O, 1 as I or L, 5 as S and types in lower case in groups.
  const typed = formatCode(code).toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l').replace(/5/g, 's');
  const r = checkCode(typed);
  t.ok(r.valid, typed);
  t.equal(r.normalised, code);
  t.equal(r.input, typed);
  t.equal(formatCode('9CABG8TN1H1P3KDF27JRJR'), '9CAB G8TN 1H1P 3KDF 27JR JR');
});

t.test('clear reasons for malformed input', async (t) => {
  const code = generateCode('9CAB');
  t.match(checkCode('').reason, /empty/);
  t.match(checkCode(code.slice(0, 21)).reason, /22 characters, this one has 21/);
  t.match(checkCode(code + '7').reason, /has 23/);
  t.match(checkCode(code.slice(0, 5) + 'é' + code.slice(6)).reason, /character "É" at position 6/);
  t.equal(checkCode(code.slice(0, 21)).suggestion, null);
  const ok = checkCode(code);
  t.same(ok, { input: code, normalised: code, valid: true, reason: null, suggestion: null });
});
