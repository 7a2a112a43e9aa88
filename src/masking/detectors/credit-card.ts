/**
 * @module CREDIT_CARD: 12 to 19 digits, compact or grouped by one space or dash (4-4-4-4,
 * 4-4-4-4-3, 4-6-5 for Amex, 4-6-4 for Diners), whose issuer prefix and length match a scheme and
 * whose Luhn checksum holds. Numbers glued to letters or longer digit runs (order ids, timestamps)
 * and Luhn-invalid numbers are kept. A random 16-digit number that happens to start like a Visa and
 * pass Luhn (1 in 10) is masked: nothing in the digits tells them apart.
 */
import { isDigit } from './chars.js';
import { DigitRun, numberEndsAt, numberStartsAt } from './digit-groups.js';
import type { Detector, SpanSink } from './types.js';

/** Whether a number of `length` digits starting with `prefix` (its first 6 digits) fits a scheme. */
export function matchesScheme(prefix: number, length: number): boolean {
  const p1 = Math.floor(prefix / 100000);
  const p2 = Math.floor(prefix / 10000);
  const p3 = Math.floor(prefix / 1000);
  const p4 = Math.floor(prefix / 100);
  if (p1 === 4) return length === 13 || length === 16 || length === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return length === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return length === 15; // Amex
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) return length >= 16 && length <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return length >= 16 && length <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) {
    return length >= 14 && length <= 19; // Diners Club
  }
  if (p2 === 62 || p2 === 81) return length >= 16 && length <= 19; // UnionPay
  if (p4 >= 2200 && p4 <= 2204) return length >= 16 && length <= 19; // Mir
  if (
    p4 === 5018 ||
    p4 === 5020 ||
    p4 === 5038 ||
    p4 === 5893 ||
    p4 === 6304 ||
    p4 === 6759 ||
    (p4 >= 6761 && p4 <= 6763)
  ) {
    return length >= 12 && length <= 19; // Maestro
  }
  return false;
}

/** Whether the group lengths are a way cards are printed. */
function groupingIsCardLike(run: DigitRun, first: number, last: number): boolean {
  const groups = last - first + 1;
  if (groups === 1) return true;
  const len = (g: number) => run.ends[g]! - run.starts[g]!;
  if (groups === 3 && len(first) === 4 && len(first + 1) === 6) {
    return len(last) === 5 || len(last) === 4; // Amex 4-6-5, Diners 4-6-4
  }
  if (groups < 3) return false;
  for (let g = first; g < last; g++) if (len(g) !== 4) return false;
  return len(last) >= 1 && len(last) <= 4;
}

/** Luhn checksum and scheme over the digits of groups `first..last`. */
function isCardNumber(text: string, run: DigitRun, first: number, last: number, digits: number): boolean {
  let sum = 0;
  let position = 0; // counted from the right: every second digit is doubled
  let prefix = 0;
  let seen = 0;
  for (let g = last; g >= first; g--) {
    for (let i = run.ends[g]! - 1; i >= run.starts[g]!; i--) {
      let d = text.charCodeAt(i) - 0x30;
      if (position % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
      position++;
    }
  }
  for (let g = first; g <= last && seen < 6; g++) {
    for (let i = run.starts[g]!; i < run.ends[g]! && seen < 6; i++, seen++) {
      prefix = prefix * 10 + (text.charCodeAt(i) - 0x30);
    }
  }
  while (seen < 6) {
    prefix *= 10;
    seen++;
  }
  return sum % 10 === 0 && matchesScheme(prefix, digits);
}

const run = new DigitRun();

export const creditCardDetector: Detector = {
  entity: 'CREDIT_CARD',
  mayContain: (f) => f.digits >= 12,
  find(text: string, sink: SpanSink): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      if (!isDigit(text.charCodeAt(i))) {
        i++;
        continue;
      }
      const startsHere = numberStartsAt(text, i);
      run.read(text, i, ' -');
      i = run.next;
      // A first or last group glued to other text (`ORD-4111…`, `… 12/25`) is not part of a card.
      findInRun(text, sink, startsHere ? 0 : 1, numberEndsAt(text, run.next) ? run.count - 1 : run.count - 2);
    }
  },
};

const groupLength = (g: number) => run.ends[g]! - run.starts[g]!;

/**
 * Whether groups `first..last` can be a whole card: a window that starts right after, or ends right
 * before, another group of four is a piece of a longer grouped number (`4111 1111 1111 1111 1111`).
 */
function isWholeWindow(first: number, last: number): boolean {
  if (first > 0 && groupLength(first - 1) === 4) return false;
  return last === run.count - 1 || groupLength(last + 1) !== 4;
}

/** Tries windows of groups `from..to`, longest first from each group, left to right. */
function findInRun(text: string, sink: SpanSink, from: number, to: number): void {
  let first = from;
  while (first <= to) {
    let found = -1;
    let digits = 0;
    for (let g = first; g <= to; g++) digits += groupLength(g);
    for (let last = to; last >= first; last--) {
      if (
        digits >= 12 &&
        digits <= 19 &&
        isWholeWindow(first, last) &&
        groupingIsCardLike(run, first, last)
      ) {
        if (isCardNumber(text, run, first, last, digits)) {
          found = last;
          break;
        }
      }
      digits -= run.ends[last]! - run.starts[last]!;
    }
    if (found >= 0) {
      sink.add(run.starts[first]!, run.ends[found]!, 'CREDIT_CARD');
      first = found + 1;
    } else {
      first++;
    }
  }
}
