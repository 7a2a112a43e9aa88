/**
 * @module Shannon entropy of a string, in bits per character: tells a random key (≈ 4 to 6 bits) from a
 * placeholder or a word (`xxxxxxxx`, `changeme`, `required`: under 3.2).
 */

// One counting table reused by every call: entropy runs on candidate values only, synchronously.
const counts = new Uint32Array(128);

/** Bits per character of `text[start, end)`; non-ASCII characters share one bucket. */
export function shannonEntropy(text: string, start = 0, end = text.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  counts.fill(0);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    counts[c < 128 ? c : 0]!++;
  }
  let bits = 0;
  for (let k = 0; k < 128; k++) {
    const count = counts[k]!;
    if (count === 0) continue;
    const p = count / n;
    bits -= p * Math.log2(p);
  }
  return bits;
}
