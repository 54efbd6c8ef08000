// mulberry32: a small seeded PRNG, so every random choice of a simulator (garbage bytes of the
// ccTalk fuzzer) or of a test (coins, kill points, delays, signature noise) is reproducible
// from its seed. Not for anything secret.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
