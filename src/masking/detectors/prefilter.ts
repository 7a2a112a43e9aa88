/**
 * @module The cheap scan that runs before any regex: one pass over the char codes counting what the
 * detectors need to have any chance (digits, `@`, dots, colons, `=`, `_`, `-`, the `A` of AWS and
 * Google key prefixes). Each detector's `mayContain` reads these counts, so a plain sentence with
 * no digits, no `@` and no separators is done after this loop.
 */

/** Counts over one text. One object per masker, overwritten by every scan (no allocation). */
export interface TextFeatures {
  length: number;
  digits: number;
  at: number;
  dots: number;
  colons: number;
  equals: number;
  underscores: number;
  dashes: number;
  /** `A` followed by `K`, `S` or `I`: the start of AKIA/ASIA (AWS) or AIza (Google). */
  keyPrefixes: number;
}

export function emptyFeatures(): TextFeatures {
  return {
    length: 0,
    digits: 0,
    at: 0,
    dots: 0,
    colons: 0,
    equals: 0,
    underscores: 0,
    dashes: 0,
    keyPrefixes: 0,
  };
}

// Character classes for the scan: one table lookup per character instead of a chain of compares
// (measured: about 2.5x faster on prose).
const NONE = 0;
const DIGIT = 1;
const AT = 2;
const DOT = 3;
const COLON = 4;
const EQUALS = 5;
const UNDERSCORE = 6;
const DASH = 7;
const UPPER_A = 8;
const CLASS = new Uint8Array(128);
for (let c = 0x30; c <= 0x39; c++) CLASS[c] = DIGIT;
CLASS[0x40] = AT;
CLASS[0x2e] = DOT;
CLASS[0x3a] = COLON;
CLASS[0x3d] = EQUALS;
CLASS[0x5f] = UNDERSCORE;
CLASS[0x2d] = DASH;
CLASS[0x41] = UPPER_A;

// Counts per class, reused by every scan (synchronous, so one table serves every masker).
const counts = new Int32Array(9);

/** Fills `f` with the counts of `text`. */
export function scanFeatures(text: string, f: TextFeatures): void {
  counts.fill(0);
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) continue;
    const k = CLASS[c]!;
    if (k === NONE) continue;
    if (k === UPPER_A) {
      const next = text.charCodeAt(i + 1);
      // AKIA/ASIA (AWS), AIza (Google)
      if (next === 0x4b || next === 0x53 || next === 0x49) counts[UPPER_A]!++;
    } else {
      counts[k]!++;
    }
  }
  f.length = n;
  f.digits = counts[DIGIT]!;
  f.at = counts[AT]!;
  f.dots = counts[DOT]!;
  f.colons = counts[COLON]!;
  f.equals = counts[EQUALS]!;
  f.underscores = counts[UNDERSCORE]!;
  f.dashes = counts[DASH]!;
  f.keyPrefixes = counts[UPPER_A]!;
}
