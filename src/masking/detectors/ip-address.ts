/**
 * @module IP_ADDRESS: IPv4 as four dot-separated decimal octets 0-255 without leading zeros, and IPv6
 * in any form `node:net` accepts (full, `::`-compressed, IPv4-mapped) with at least two non-empty
 * groups. Version strings of four numeric parts (`1.2.3.4`) are ambiguous: bare ones are masked as
 * addresses, `v1.2.3.4` and five-part versions are kept. `::1`, `::`, MAC addresses, times
 * (`10:23:45`), OIDs (`1.3.6.1.4.1`) and octets over 255 are kept.
 */
import { isIPv6 } from 'node:net';
import { isWordChar } from './chars.js';
import type { Detector, SpanSink } from './types.js';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`, 'g');
const MAX_IPV6 = 45;

function findIpv4(text: string, sink: SpanSink): void {
  IPV4.lastIndex = 0;
  for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
    sink.add(m.index, m.index + m[0].length, 'IP_ADDRESS');
  }
}

function isIpv6Char(c: number): boolean {
  return (c >= 0x30 && c <= 0x3a) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) || c === 0x2e;
}

/**
 * Expands each colon to the run of hex digits, colons and dots around it (a hand-written scan: the
 * equivalent regex backtracks quadratically on long hex runs) and lets `node:net` decide.
 */
function findIpv6(text: string, sink: SpanSink): void {
  let colon = text.indexOf(':');
  while (colon >= 0) {
    let start = colon;
    let end = colon + 1;
    while (start > 0 && isIpv6Char(text.charCodeAt(start - 1))) start--;
    while (end < text.length && isIpv6Char(text.charCodeAt(end))) end++;
    const next = text.indexOf(':', end);
    const bounded =
      (start === 0 || !isWordChar(text.charCodeAt(start - 1))) &&
      (end === text.length || !isWordChar(text.charCodeAt(end)));
    while (start < end && text.charCodeAt(start) === 0x2e) start++;
    while (end > start && text.charCodeAt(end - 1) === 0x2e) end--;
    if (bounded && end - start >= 3 && end - start <= MAX_IPV6) {
      const candidate = text.slice(start, end);
      if (countGroups(candidate) >= 2 && isIPv6(candidate)) sink.add(start, end, 'IP_ADDRESS');
    }
    colon = next;
  }
}

/** Non-empty colon-separated groups: `::1` has one, `fe80::1` two. */
function countGroups(candidate: string): number {
  let groups = 0;
  let inGroup = false;
  for (let i = 0; i < candidate.length; i++) {
    const colon = candidate.charCodeAt(i) === 0x3a;
    if (!colon && !inGroup) groups++;
    inGroup = !colon;
  }
  return groups;
}

export const ipAddressDetector: Detector = {
  entity: 'IP_ADDRESS',
  mayContain: (f) => (f.digits >= 4 && f.dots >= 3) || f.colons >= 2,
  find(text: string, sink: SpanSink): void {
    if (text.includes('.')) findIpv4(text, sink);
    if (text.includes(':')) findIpv6(text, sink);
  },
};
