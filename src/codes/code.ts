// E-photo codes: 22 characters = 4-character operator prefix + 16 random characters (80 bits
// from the CSPRNG) + 2 check characters, over a 32-symbol alphabet without O, I, L, S.
//
// The check characters are the two parity symbols of a Reed-Solomon code over GF(32)
// (roots 1 and α, minimum distance 3). Written by hand because it is ~60 lines of field
// arithmetic and no maintained npm library does RS over GF(32) with a custom alphabet; the
// guarantees are proved in docs/codes.md and by the exhaustive test test/codes/code.test.ts:
// - every error touching 1 or 2 characters (so every substitution and every swap of two
//   adjacent characters) gives a non-zero syndrome: it is always rejected;
// - a single wrong character is located and corrected uniquely from the two syndromes.
import { randomBytes } from 'node:crypto';

/** 0-9 then A-Z without O, I, L, S: 32 symbols, one per 5-bit value. */
export const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRTUVWXYZ';
export const PREFIX_LENGTH = 4;
export const RANDOM_LENGTH = 16;
export const CHECK_LENGTH = 2;
export const CODE_LENGTH = PREFIX_LENGTH + RANDOM_LENGTH + CHECK_LENGTH;

const PREFIX_RE = new RegExp(`^[${CODE_ALPHABET}]{${PREFIX_LENGTH}}$`);

// GF(32) = GF(2)[x] / (x^5 + x^2 + 1), a primitive polynomial: α = x generates the 31
// non-zero elements. EXP[i] = α^i (doubled to skip a modulo), LOG[α^i] = i.
const EXP = new Uint8Array(62);
const LOG = new Uint8Array(32);
{
  let v = 1;
  for (let i = 0; i < 31; i++) {
    EXP[i] = v;
    EXP[i + 31] = v;
    LOG[v] = i;
    v <<= 1;
    if (v & 0x20) v ^= 0x25;
  }
}

function mul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[(LOG[a] as number) + (LOG[b] as number)] as number;
}

function div(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(32)');
  if (a === 0) return 0;
  return EXP[(LOG[a] as number) + 31 - (LOG[b] as number)] as number;
}

/** α^k for k ≥ 0. */
function alphaPow(k: number): number {
  return EXP[k % 31] as number;
}

const SYMBOL_VALUE = new Map<string, number>([...CODE_ALPHABET].map((c, i) => [c, i]));

/** Character i (0 = first) of a 22-character code is the coefficient of x^(21-i). */
function powerOf(index: number, length = CODE_LENGTH): number {
  return length - 1 - index;
}

/** The two syndromes S0 = c(1), S1 = c(α) of a word of symbol values. */
function syndromes(values: readonly number[]): [number, number] {
  let s0 = 0;
  let s1 = 0;
  values.forEach((v, i) => {
    s0 ^= v;
    s1 ^= mul(v, alphaPow(powerOf(i, values.length)));
  });
  return [s0, s1];
}

function toValues(code: string): number[] | undefined {
  const values: number[] = [];
  for (const c of code) {
    const v = SYMBOL_VALUE.get(c);
    if (v === undefined) return undefined;
    values.push(v);
  }
  return values;
}

function toString(values: readonly number[]): string {
  return values.map((v) => CODE_ALPHABET[v]).join('');
}

/**
 * The 2 check characters of a 20-character body (prefix + random part): the unique p1, p0
 * with c(1) = c(α) = 0, i.e. p1 + p0 = A and α·p1 + p0 = B, where A and B are the body's
 * contributions to the two syndromes: p1 = (A + B) / (1 + α), p0 = A + p1.
 */
export function checkCharacters(body: string): string {
  if (body.length !== PREFIX_LENGTH + RANDOM_LENGTH) throw new RangeError(`a code body has ${PREFIX_LENGTH + RANDOM_LENGTH} characters, got ${body.length}`);
  const values = toValues(body);
  if (!values) throw new RangeError(`code body "${body}" has characters outside the code alphabet`);
  let a = 0;
  let b = 0;
  values.forEach((v, i) => {
    a ^= v;
    b ^= mul(v, alphaPow(powerOf(i)));
  });
  const p1 = div(a ^ b, 1 ^ alphaPow(1));
  const p0 = a ^ p1;
  return toString([p1, p0]);
}

/** 16 characters from 10 random bytes: each 5-bit group is one symbol, so no bias. */
export function randomPart(bytes: Buffer = randomBytes(10)): string {
  if (bytes.length !== 10) throw new RangeError('the random part needs exactly 10 bytes (80 bits)');
  let acc = 0n;
  for (const byte of bytes) acc = (acc << 8n) | BigInt(byte);
  const out: number[] = [];
  for (let i = RANDOM_LENGTH - 1; i >= 0; i--) out.push(Number((acc >> BigInt(5 * i)) & 31n));
  return toString(out);
}

export function isValidPrefix(prefix: string): boolean {
  return PREFIX_RE.test(prefix);
}

/** A new well-formed code with the operator's prefix (not registered: see registry.ts). */
export function generateCode(prefix: string, random: Buffer = randomBytes(10)): string {
  if (!isValidPrefix(prefix)) throw new RangeError(`operator prefix "${prefix}" must be ${PREFIX_LENGTH} characters of ${CODE_ALPHABET}`);
  const body = prefix + randomPart(random);
  return body + checkCharacters(body);
}

/** Whether a normalised 22-character string is a code (alphabet, length, check characters). */
export function isWellFormed(code: string): boolean {
  if (code.length !== CODE_LENGTH) return false;
  const values = toValues(code);
  if (!values) return false;
  const [s0, s1] = syndromes(values);
  return s0 === 0 && s1 === 0;
}

/**
 * What a customer typed, in the code's own characters: upper case, separators (spaces,
 * dashes, dots, underscores) dropped, and the look-alikes left out of the alphabet mapped to
 * the symbol they are mistaken for: O→0, I→1, L→1, S→5.
 */
export function normaliseCode(input: string): string {
  return input
    .toUpperCase()
    .replace(/[\s\-._\u2010-\u2015]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1')
    .replace(/S/g, '5');
}

/** The 22 characters in groups of four, as printed on the board and the screen. */
export function formatCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1 ');
}

/**
 * The unique code that differs from `code` (22 symbols of the alphabet) in exactly one
 * character, if there is one. With distance 3 there is at most one: a single error e at
 * power p gives S0 = e and S1 = e·α^p, so p = log(S1/S0) and the fix is unambiguous.
 */
export function correctSingleError(code: string): string | undefined {
  if (code.length !== CODE_LENGTH) return undefined;
  const values = toValues(code);
  if (!values) return undefined;
  const [s0, s1] = syndromes(values);
  if (s0 === 0 || s1 === 0) return undefined; // valid, or 2+ errors (a single error makes both non-zero)
  const p = LOG[div(s1, s0)] as number;
  if (p >= CODE_LENGTH) return undefined; // locator outside the word: more than one error
  const index = CODE_LENGTH - 1 - p;
  const fixed = [...values];
  fixed[index] = (fixed[index] as number) ^ s0;
  return toString(fixed);
}

export interface CodeCheck {
  input: string;
  normalised: string;
  valid: boolean;
  /** Why the code is not valid (null when valid). */
  reason: string | null;
  /** The unique correction of one wrong character, when there is one (null otherwise). */
  suggestion: string | null;
}

/** Checks a typed code: normalises it, then length, alphabet and check characters. */
export function checkCode(input: string): CodeCheck {
  const normalised = normaliseCode(input);
  const result = (valid: boolean, reason: string | null, suggestion: string | null = null): CodeCheck => ({
    input,
    normalised,
    valid,
    reason,
    suggestion,
  });
  if (normalised.length === 0) return result(false, 'empty code');
  for (let i = 0; i < normalised.length; i++) {
    const c = normalised[i] as string;
    if (!SYMBOL_VALUE.has(c)) return result(false, `character "${c}" at position ${i + 1} is not used in codes`);
  }
  if (normalised.length !== CODE_LENGTH) {
    return result(false, `a code has ${CODE_LENGTH} characters, this one has ${normalised.length}`);
  }
  if (isWellFormed(normalised)) return result(true, null);
  const suggestion = correctSingleError(normalised) ?? null;
  if (suggestion) {
    const at = [...normalised].findIndex((c, i) => c !== suggestion[i]);
    return result(false, `check characters do not match: character ${at + 1} is probably mistyped`, suggestion);
  }
  return result(false, 'check characters do not match: more than one character is wrong');
}
