/**
 * @module Runs of digit groups joined by one separator (`4111 1111 1111 1111`, `4111-1111-...`), found
 * with a char-code scan instead of a backtracking regex. Cards and phones try windows of a run's
 * groups, so `order 12 4111 1111 1111 1111` still finds the card after `12`.
 */
import { isDigit, isWordChar } from './chars.js';

export const MAX_GROUPS = 12;

/** The groups of one run. One instance per detector, refilled by every `read` (no allocation). */
export class DigitRun {
  readonly starts = new Int32Array(MAX_GROUPS);
  readonly ends = new Int32Array(MAX_GROUPS);
  count = 0;
  /** The separator's char code, or -1 when the run is one group. */
  separator = -1;
  /** Where scanning continues after this run. */
  next = 0;

  /**
   * Reads the run starting at digit `i`, joining groups with one `separators` char (the same one
   * throughout). Returns false when `i` is not a run start at a word boundary.
   */
  read(text: string, i: number, separators: string): boolean {
    this.count = 0;
    this.separator = -1;
    let pos = i;
    const n = text.length;
    for (;;) {
      const start = pos;
      while (pos < n && isDigit(text.charCodeAt(pos))) pos++;
      if (this.count === MAX_GROUPS) break;
      this.starts[this.count] = start;
      this.ends[this.count] = pos;
      this.count++;
      const c = text.charCodeAt(pos);
      if (pos + 1 < n && separators.includes(text[pos]!) && isDigit(text.charCodeAt(pos + 1))) {
        if (this.separator === -1 || this.separator === c) {
          this.separator = c;
          pos++;
          continue;
        }
      }
      break;
    }
    this.next = this.ends[this.count - 1]!;
    return true;
  }
}

/** True when the character before `i` lets a number start there (not inside a word, id or decimal). */
export function numberStartsAt(text: string, i: number): boolean {
  if (i === 0) return true;
  const c = text.charCodeAt(i - 1);
  if (isWordChar(c) || isDigit(c)) return false;
  // `-`, `.`, `/`, `+` glued to a word before make the number part of a longer token (`ORD-123`,
  // `1.5`, `v2/3`); `:` only after a digit (`10:30`), since `card:4111…` is a key and its value.
  if (c === 0x2d || c === 0x2e || c === 0x2f || c === 0x2b)
    return i < 2 || !isWordChar(text.charCodeAt(i - 2));
  if (c === 0x3a) return i < 2 || !isDigit(text.charCodeAt(i - 2));
  return true;
}

/** True when the character at `end` lets a number end there. */
export function numberEndsAt(text: string, end: number): boolean {
  if (end >= text.length) return true;
  const c = text.charCodeAt(end);
  if (isWordChar(c)) return false;
  if (c === 0x2d || c === 0x2e || c === 0x2f || c === 0x3a) return !isWordChar(text.charCodeAt(end + 1));
  return true;
}
