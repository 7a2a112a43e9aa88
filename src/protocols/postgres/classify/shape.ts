/**
 * @module The shape of a SQL text: the text with every plain numeric and standard string literal
 * replaced by a marker, so `... WHERE aid = 48213` and `... WHERE aid = 7` share one key. The
 * classifier caches results by shape only when the classification provably did not depend on any
 * literal (see `literal-watch.ts`); this module only has to find literal tokens exactly as
 * PostgreSQL's lexer does, and give up (undefined) on anything it is not sure of: comments, dollar
 * quotes, backslashes, prefixed strings (`E'..'`, `U&'..'`, `B'..'`, `X'..'`, `N'..'`), numbers
 * glued to other characters (`0x1F`, `1_000`, `1e`, `1.`), unterminated quotes. Giving up only
 * costs a parse; a wrong token would let one text reuse another's verdict.
 */

/** A text's literal-free key and where its literals start (UTF-8 byte offsets, as the parser counts). */
export interface TextShape {
  readonly key: string;
  readonly literalOffsets: readonly number[];
}

const QUOTE = 39; // '
const DQUOTE = 34; // "
const DOT = 46;
const MINUS = 45;
const SLASH = 47;
const STAR = 42;
const DOLLAR = 36;
const BACKSLASH = 92;
const AMPERSAND = 38;
// NUL never reaches the classifier (texts with NUL are refused), so markers built on it cannot collide.
const NUMBER_MARKER = '\0n';
const STRING_MARKER = '\0s';

const isDigit = (c: number) => c >= 48 && c <= 57;
/** Characters PostgreSQL allows inside an identifier (any non-ASCII character counts as a letter). */
const isIdentChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === DOLLAR || c >= 128;

/** UTF-8 bytes of the UTF-16 code unit `c` (a surrogate pair counts 4 in all, on its high half). */
const utf8Length = (c: number) =>
  c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 4 : c <= 0xdfff ? 0 : 3;

/** The shape of `text`, or undefined when it has no literal or holds something this lexer does not take. */
export function shapeOf(text: string): TextShape | undefined {
  const n = text.length;
  const offsets: number[] = [];
  let key = '';
  let copiedTo = 0;
  let i = 0;
  let bytes = 0;
  let prev = 0; // the code unit before i, outside literals and quoted identifiers
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (isIdentChar(prev) || prev === AMPERSAND) return undefined;
      const start = bytes;
      let j = i + 1;
      let b = bytes + 1;
      for (;;) {
        if (j >= n) return undefined;
        const d = text.charCodeAt(j);
        if (d === QUOTE) {
          if (text.charCodeAt(j + 1) !== QUOTE) break;
          j += 2;
          b += 2;
          continue;
        }
        b += utf8Length(d);
        j++;
      }
      offsets.push(start);
      key += text.slice(copiedTo, i) + STRING_MARKER;
      i = j + 1;
      bytes = b + 1;
      copiedTo = i;
      prev = QUOTE;
      continue;
    }
    if (c === DQUOTE) {
      let j = i + 1;
      let b = bytes + 1;
      for (;;) {
        if (j >= n) return undefined;
        const d = text.charCodeAt(j);
        if (d === DQUOTE) {
          if (text.charCodeAt(j + 1) !== DQUOTE) break;
          j += 2;
          b += 2;
          continue;
        }
        b += utf8Length(d);
        j++;
      }
      i = j + 1;
      bytes = b + 1;
      prev = DQUOTE;
      continue;
    }
    if (isDigit(c) && !isIdentChar(prev)) {
      if (prev === DOT) return undefined;
      let j = i + 1;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === DOT) {
        if (!isDigit(text.charCodeAt(j + 1))) return undefined;
        j += 2;
        while (j < n && isDigit(text.charCodeAt(j))) j++;
      }
      const e = text.charCodeAt(j);
      if (e === 101 || e === 69) {
        let k = j + 1;
        const sign = text.charCodeAt(k);
        if (sign === 43 || sign === MINUS) k++;
        if (!isDigit(text.charCodeAt(k))) return undefined;
        while (k < n && isDigit(text.charCodeAt(k))) k++;
        j = k;
      }
      if (j < n) {
        const after = text.charCodeAt(j);
        if (isIdentChar(after) || after === DOT) return undefined;
      }
      offsets.push(bytes);
      key += text.slice(copiedTo, i) + NUMBER_MARKER;
      bytes += j - i; // digits, dot, sign and exponent are all ASCII
      i = j;
      copiedTo = j;
      prev = 48;
      continue;
    }
    if (c === DOLLAR || c === BACKSLASH) return undefined;
    const next = text.charCodeAt(i + 1);
    if ((c === MINUS && next === MINUS) || (c === SLASH && next === STAR)) return undefined;
    bytes += utf8Length(c);
    prev = c;
    i++;
  }
  if (offsets.length === 0) return undefined;
  return { key: key + text.slice(copiedTo), literalOffsets: offsets };
}
