/**
 * @module SSN (United States): `123-45-6789` or `123 45 6789` whose area is not 000, 666 or 9xx,
 * group not 00 and serial not 0000, and not one of the numbers publicly voided after misuse
 * (078-05-1120, 219-09-9999). A bare run of nine digits counts only when an SSN word (`SSN`,
 * `social security`, `soc sec`, `SS#`, `TIN`) precedes it within 32 characters: most nine-digit
 * numbers pass the area rules, so without context every order id, zip+4 or account number of that
 * length would be masked.
 */
import { isDigit } from './chars.js';
import { numberEndsAt, numberStartsAt } from './digit-groups.js';
import type { Detector, SpanSink } from './types.js';

const CONTEXT = /(?:^|[^a-z])(?:ssn|social\s+security|soc\.?\s*sec|ss#|s\.s\.n|tin)(?:[^a-z]|$)/i;
const CONTEXT_WINDOW = 32;

function digitsAt(text: string, i: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) {
    const c = text.charCodeAt(i + k);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - 0x30);
  }
  return value;
}

/** Whether area/group/serial are ones the SSA issues. */
export function isIssuableSsn(area: number, group: number, serial: number): boolean {
  if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) return false;
  if (area === 78 && group === 5 && serial === 1120) return false;
  if (area === 219 && group === 9 && serial === 9999) return false;
  return true;
}

export const ssnDetector: Detector = {
  entity: 'SSN',
  mayContain: (f) => f.digits >= 9,
  find(text: string, sink: SpanSink): void {
    const n = text.length;
    let i = 0;
    while (i + 9 <= n) {
      if (!isDigit(text.charCodeAt(i)) || !numberStartsAt(text, i)) {
        i++;
        continue;
      }
      const area = digitsAt(text, i, 3);
      const sep = text.charCodeAt(i + 3);
      let end = -1;
      let group = -1;
      let serial = -1;
      if ((sep === 0x2d || sep === 0x20) && area >= 0 && text.charCodeAt(i + 6) === sep) {
        group = digitsAt(text, i + 4, 2);
        serial = digitsAt(text, i + 7, 4);
        end = i + 11;
      } else if (area >= 0 && isDigit(sep)) {
        group = digitsAt(text, i + 3, 2);
        serial = digitsAt(text, i + 5, 4);
        end = i + 9;
        if (serial >= 0 && !hasContext(text, i)) end = -1;
      }
      if (
        end > 0 &&
        group >= 0 &&
        serial >= 0 &&
        numberEndsAt(text, end) &&
        isIssuableSsn(area, group, serial)
      ) {
        sink.add(i, end, 'SSN');
        i = end;
        continue;
      }
      while (i < n && isDigit(text.charCodeAt(i))) i++; // not an SSN start: skip the rest of this number
    }
  },
};

function hasContext(text: string, start: number): boolean {
  return CONTEXT.test(text.slice(Math.max(0, start - CONTEXT_WINDOW), start));
}
