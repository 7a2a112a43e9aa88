/**
 * @module Char-code predicates shared by the detectors' hand-written scanners (cheaper than a regex
 * test per character, and they never allocate).
 */

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

export function isAsciiAlnum(c: number): boolean {
  return isDigit(c) || isAsciiLetter(c);
}

/** A character that continues a word: ASCII letters, digits, `_`, and any non-ASCII letter. */
export function isWordChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 0x5f || (c > 0x7f && !Number.isNaN(c) && isNonAsciiWord(c));
}

const NON_ASCII_WORD = /[\p{L}\p{N}]/u;

function isNonAsciiWord(c: number): boolean {
  return NON_ASCII_WORD.test(String.fromCharCode(c));
}
