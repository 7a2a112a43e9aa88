/**
 * @module The shape of a detector corpus and the helpers that build one: a seeded PRNG (the corpus
 * is the same on every run), check digits computed independently of the detectors (BigInt mod 97,
 * a plain Luhn loop), and the contexts values are embedded in.
 */
import type { Entity } from '../../entities.js';

/** A text holding exactly one value: the masker must turn it into `before + [ENTITY] + after`. */
export type Positive = readonly [before: string, value: string, after: string];

export interface DetectorCorpus {
  readonly entity: Entity;
  readonly positives: readonly Positive[];
  /** Texts in which nothing of this entity may be found. */
  readonly negatives: readonly string[];
  /** Texts that honestly could be either; reported, not scored (see docs/masking.md). */
  readonly ambiguous?: readonly string[];
}

/** mulberry32: a tiny deterministic PRNG so generated corpus entries are stable across runs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomDigits(random: () => number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += Math.floor(random() * 10).toString();
  return out;
}

export function randomFrom(random: () => number, alphabet: string, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += alphabet[Math.floor(random() * alphabet.length)];
  return out;
}

export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** The digit that makes `partial + digit` pass Luhn. */
export function luhnCheckDigit(partial: string): string {
  let sum = 0;
  for (let i = 0; i < partial.length; i++) {
    let d = Number(partial[partial.length - 1 - i]);
    if (i % 2 === 0) d *= 2; // the check digit will sit to the right, so the rightmost here doubles
    sum += d > 9 ? d - 9 : d;
  }
  return String((10 - (sum % 10)) % 10);
}

/** The two IBAN check digits for a country and BBAN (ISO 13616, via BigInt). */
export function ibanCheckDigits(country: string, bban: string): string {
  const numeric = `${bban}${country}00`
    .toUpperCase()
    .split('')
    .map((ch) => (/[0-9]/.test(ch) ? ch : String(ch.charCodeAt(0) - 55)))
    .join('');
  return String(98n - (BigInt(numeric) % 97n)).padStart(2, '0');
}

/** Groups a compact value by `size` with `separator`. */
export function group(value: string, size: number, separator = ' '): string {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += size) parts.push(value.slice(i, i + size));
  return parts.join(separator);
}

/** Places values are written in: prose, key/value, JSON, CSV, log lines, markdown. */
export const CONTEXTS: readonly (readonly [string, string])[] = [
  ['', ''],
  ['value: ', ''],
  ['Please check ', ' before Friday.'],
  ['{"field":"', '","ok":true}'],
  ['42,Jane Roe,', ',active'],
  ['2024-05-01T10:00:00Z INFO user=7 value=', ' status=200'],
  ['| ', ' |'],
  ['Note:\n', '\n-- end'],
];

/** Embeds each value in a context, cycling through them. */
export function embed(values: readonly string[], contexts = CONTEXTS): Positive[] {
  return values.map((value, i) => {
    const [before, after] = contexts[i % contexts.length]!;
    return [before, value, after] as const;
  });
}
