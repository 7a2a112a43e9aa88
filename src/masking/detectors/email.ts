/**
 * @module EMAIL: `local@domain.tld` where the local part is a dot-atom of the characters people
 * actually use (letters, digits, `. _ % + - '`, non-ASCII letters), at most 64 characters, without
 * leading, trailing or doubled dots; the domain has at least two labels of 1 to 63 letters, digits
 * or hyphens (not at either end of a label), at most 253 characters, and its last label is a real
 * top-level domain from the embedded IANA list. `john@localhost`, `a@b.c`, `x@y.notatld` and
 * `@handles` are kept. Quoted local parts and IP-literal domains are not detected.
 */

import { isAsciiAlnum, isWordChar } from './chars.js';
import { TLDS } from './tlds.js';
import type { Detector, SpanSink } from './types.js';

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_LABEL = 63;

function isLocalChar(c: number): boolean {
  // . _ % + - '
  return isWordChar(c) || c === 0x2e || c === 0x25 || c === 0x2b || c === 0x2d || c === 0x27;
}

function isDomainChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 0x2d || c === 0x2e || (c > 0x7f && isWordChar(c));
}

/** Start of the local part ending just before `at`, or -1 when there is no valid one. */
function localStart(text: string, at: number): number {
  let i = at;
  while (i > 0 && at - i < MAX_LOCAL + 1) {
    const c = text.charCodeAt(i - 1);
    if (!isLocalChar(c)) break;
    if (c === 0x2e && text.charCodeAt(i) === 0x2e) break; // `..` ends the dot-atom: keep what follows
    i--;
  }
  while (i < at && text.charCodeAt(i) === 0x2e) i++; // a dot-atom does not start with a dot
  if (i === at || at - i > MAX_LOCAL || text.charCodeAt(at - 1) === 0x2e) return -1;
  // The scan may have stopped in the middle of a longer run: then it is not this address's start.
  if (i > 0 && isLocalChar(text.charCodeAt(i - 1)) && text.charCodeAt(i - 1) !== 0x2e) return -1;
  return i;
}

/** End of the longest valid domain starting at `start` whose last label is a TLD, or -1. */
function domainEnd(text: string, start: number): number {
  let end = start;
  const limit = Math.min(text.length, start + MAX_DOMAIN + 1);
  while (end < limit && isDomainChar(text.charCodeAt(end))) {
    if (text.charCodeAt(end) === 0x2e && text.charCodeAt(end + 1) === 0x2e) break;
    end++;
  }
  // Try the whole run, then drop trailing labels: `a@b.com.Next` still finds `a@b.com`.
  let labels = 0;
  let labelStart = start;
  let best = -1;
  for (let i = start; i <= end; i++) {
    if (i < end && text.charCodeAt(i) !== 0x2e) continue;
    const length = i - labelStart;
    if (length === 0 || length > MAX_LABEL) break;
    if (text.charCodeAt(labelStart) === 0x2d || text.charCodeAt(i - 1) === 0x2d) break;
    labels++;
    if (labels >= 2 && TLDS.has(text.slice(labelStart, i).toLowerCase())) best = i;
    labelStart = i + 1;
  }
  return best;
}

export const emailDetector: Detector = {
  entity: 'EMAIL',
  mayContain: (f) => f.at > 0 && f.dots > 0 && f.length >= 6,
  find(text: string, sink: SpanSink): void {
    let at = text.indexOf('@');
    while (at >= 0) {
      const start = at > 0 ? localStart(text, at) : -1;
      const end = start >= 0 ? domainEnd(text, at + 1) : -1;
      if (end > 0) {
        sink.add(start, end, 'EMAIL');
        at = text.indexOf('@', end);
      } else {
        at = text.indexOf('@', at + 1);
      }
    }
  },
};
