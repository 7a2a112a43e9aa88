/**
 * @module JWT: a compact JWS (three base64url parts) or JWE (five) whose header decodes to a JSON
 * object with a string `alg` (and `enc` for JWE). The signature may be empty only when `alg` is
 * `none`. Dotted identifiers, base64 blobs and three-part strings whose header is not such JSON are
 * kept.
 */
import { isAsciiAlnum } from './chars.js';
import type { Detector, SpanSink } from './types.js';

// A header that is JSON starts with `{"` or `{ "` (base64url `ey`) or `{\n` (`ew`). Sticky: it is
// tried only where `indexOf` found `ey`/`ew` at a word start (a leading lookbehind would make V8
// test every position of the text).
const TOKEN = /e[wy][A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){2,4}(?![A-Za-z0-9_.-])/y;

function isTokenChar(c: number): boolean {
  return isAsciiAlnum(c) || c === 0x5f || c === 0x2d;
}

/** The next offset ≥ `from` where `ey` or `ew` starts, or -1. */
function nextStart(text: string, from: number): number {
  const y = text.indexOf('ey', from);
  const w = text.indexOf('ew', from);
  return y < 0 ? w : w < 0 ? y : Math.min(y, w);
}

function header(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the dotted token is a JWS or JWE by its part count and header. */
export function isJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 && parts.length !== 5) return false;
  const h = header(parts[0]!);
  if (h === undefined || typeof h.alg !== 'string') return false;
  if (parts.length === 5) return typeof h.enc === 'string' && parts[4]!.length > 0 && parts[3]!.length > 0;
  if (parts[1]!.length === 0) return false;
  return parts[2]!.length > 0 || h.alg === 'none';
}

export const jwtDetector: Detector = {
  entity: 'JWT',
  mayContain: (f) => f.dots >= 2 && f.length >= 16,
  find(text: string, sink: SpanSink): void {
    for (let at = nextStart(text, 0); at >= 0; at = nextStart(text, at + 1)) {
      if (at > 0 && isTokenChar(text.charCodeAt(at - 1))) continue;
      TOKEN.lastIndex = at;
      const m = TOKEN.exec(text);
      if (m === null) continue;
      let token = m[0];
      // A sentence's full stop right after a token reads as a fourth, empty part.
      while (!isJwt(token) && token.endsWith('.')) token = token.slice(0, -1);
      if (isJwt(token)) {
        sink.add(at, at + token.length, 'JWT');
        at += token.length - 1;
      }
    }
  },
};
