/**
 * @module PHONE: numbers `libphonenumber-js` (full metadata) says are valid, either international
 * (`+44 20 7946 0958`, `0044 20 7946 0958`, `+1 (202) 555-0143`) or national in the configured
 * default region (`(202) 555-0143`, `202-555-0143`, `202.555.0143`). Candidates are found by a
 * char-code scan, not by the library's text matcher (about 2 ms per KB): digit groups joined by
 * one space, dash or dot, or parentheses around the area code, 7 to 15 digits (17 with `00`).
 * Kept: dates and times (`2024-01-15`, `15.01.2024`), IPv4-shaped and dotted version numbers,
 * numbers glued to letters or to `-`/`/` after a word (`ORD-2025550143`), and numbers of one
 * unbroken run of digits (`2025550143`) unless a phone word (`phone`, `tel`, `mobile`, `cell`, `fax`,
 * `call`, `sms`, `whatsapp`, `contact`) precedes it within 24 characters: a bare run is how
 * databases write ids, people write phone numbers with separators or `+`.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { isDigit, isWordChar } from './chars.js';
import { numberEndsAt, numberStartsAt } from './digit-groups.js';
import type { Detector, SpanSink } from './types.js';

const MIN_DIGITS = 7;
const MAX_DIGITS = 15;
const CONTEXT = /(?:^|[^a-z])(?:phone|tel|mobile|mob|cell|fax|call|sms|whatsapp|contact|ph)(?:[^a-z]|$)/i;
const CONTEXT_WINDOW = 24;
/** `2025-550143`: a year then a sequence number, the shape of invoice and PO numbers. */
const YEAR_PREFIXED_ID = /^(?:19|20)\d\d-\d+$/;
const DATE = /^(?:\d{4}[-./ ]\d{1,2}[-./ ]\d{1,2}|\d{1,2}[-./ ]\d{1,2}[-./ ]\d{2,4})$/;

/** The candidate the scanner read: where it is and how it is written. */
interface Candidate {
  start: number;
  end: number;
  digits: number;
  international: boolean;
  separated: boolean;
  dots: number;
}

const candidate: Candidate = { start: 0, end: 0, digits: 0, international: false, separated: false, dots: 0 };

function isSeparator(c: number): boolean {
  return c === 0x20 || c === 0x2d || c === 0x2e;
}

/**
 * Reads a phone-shaped run from `i` (a digit, `+` or `(`) into `candidate`: digits with single
 * separators between them, an optional `+` or `00` prefix and parenthesised groups. Returns the
 * offset where scanning continues.
 */
function readCandidate(text: string, i: number): number {
  const n = text.length;
  let pos = i;
  candidate.start = i;
  candidate.international = false;
  candidate.separated = false;
  candidate.dots = 0;
  let digits = 0;
  if (text.charCodeAt(pos) === 0x2b /* + */) {
    candidate.international = true;
    pos++;
    if (text.charCodeAt(pos) === 0x20) pos++;
  }
  let lastDigitEnd = -1;
  let open = false;
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (isDigit(c)) {
      digits++;
      pos++;
      lastDigitEnd = pos;
      continue;
    }
    if (c === 0x28 /* ( */ && !open && isDigit(text.charCodeAt(pos + 1))) {
      open = true;
      candidate.separated = true;
      pos++;
      continue;
    }
    if (c === 0x29 /* ) */ && open && lastDigitEnd === pos) {
      open = false;
      pos++;
      const after = text.charCodeAt(pos);
      if (isSeparator(after) && isDigit(text.charCodeAt(pos + 1))) pos++;
      continue;
    }
    const following = text.charCodeAt(pos + 1);
    if (isSeparator(c) && lastDigitEnd === pos && (isDigit(following) || (following === 0x28 && !open))) {
      candidate.separated = true;
      if (c === 0x2e) candidate.dots++;
      pos++;
      continue;
    }
    break;
  }
  candidate.end = lastDigitEnd;
  candidate.digits = digits;
  if (!candidate.international && text.startsWith('00', i) && digits > 2) candidate.international = true;
  return pos > i ? pos : i + 1;
}

function hasContext(text: string, start: number): boolean {
  return CONTEXT.test(text.slice(Math.max(0, start - CONTEXT_WINDOW), start));
}

/** Shapes that read as something else: dates, IPv4 addresses, dotted versions. */
function looksLikeOtherNumber(value: string, dots: number): boolean {
  if (DATE.test(value) || YEAR_PREFIXED_ID.test(value)) return true;
  if (dots === 0) return false;
  // Dotted phone numbers use groups of 2 to 4 digits (202.555.0143, 01.42.68.53.00).
  const groups = value.split('.');
  return groups.some((g) => g.length < 2 || g.length > 4) || (groups.length === 4 && groups[0]!.length <= 3);
}

export function createPhoneDetector(region: string): Detector {
  const defaultCountry: CountryCode | undefined = isSupportedCountry(region) ? region : undefined;
  const isPhone = (value: string, international: boolean): boolean => {
    const parsed = international
      ? parsePhoneNumberFromString(value.startsWith('00') ? `+${value.slice(2)}` : value)
      : defaultCountry === undefined
        ? undefined
        : parsePhoneNumberFromString(value, defaultCountry);
    return parsed?.isValid() === true;
  };
  return {
    entity: 'PHONE',
    mayContain: (f) => f.digits >= MIN_DIGITS,
    find(text: string, sink: SpanSink): void {
      const n = text.length;
      let i = 0;
      while (i < n) {
        const c = text.charCodeAt(i);
        const startable = isDigit(c) || c === 0x2b || c === 0x28;
        if (
          !startable ||
          (i > 0 && (isWordChar(text.charCodeAt(i - 1)) || text.charCodeAt(i - 1) === 0x2b))
        ) {
          i++;
          continue;
        }
        if (isDigit(c) && !numberStartsAt(text, i)) {
          i = skipDigits(text, i);
          continue;
        }
        i = readCandidate(text, i);
        const { start, end, digits, international } = candidate;
        if (end < 0 || !numberEndsAt(text, end)) continue;
        const maxDigits = text.startsWith('00', start) ? MAX_DIGITS + 2 : MAX_DIGITS;
        if (digits < MIN_DIGITS || digits > maxDigits) continue;
        if (!international && !candidate.separated && !hasContext(text, start)) continue;
        const value = text.slice(start, end);
        if (looksLikeOtherNumber(value, candidate.dots)) continue;
        if (isPhone(value, international)) sink.add(start, end, 'PHONE');
      }
    },
  };
}

function skipDigits(text: string, i: number): number {
  let pos = i;
  while (pos < text.length && isDigit(text.charCodeAt(pos))) pos++;
  return pos;
}
