/**
 * @module Durations as people type them: `90s`, `30m`, `8h`, `7d`, `2w`, `500ms`, or several
 * together (`1h30m`). Used for token lifetimes (`--ttl 8h`) and relative times (`--since 2h`).
 */
import { AirlockError } from '../core/errors.js';

const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

const PART = /(\d+)(ms|s|m|h|d|w)/gy;
const WHOLE = /^(?:\d+(?:ms|s|m|h|d|w))+$/;

/**
 * Milliseconds in `text`. Throws AirlockError ERR_BAD_REQUEST, saying what is accepted, when the
 * text is not a positive duration.
 * @example parseDuration('8h') === 28_800_000; parseDuration('1h30m') === 5_400_000
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!WHOLE.test(trimmed)) {
    throw new AirlockError('ERR_BAD_REQUEST', `"${text}" is not a duration`, {
      userMessage: `"${text}" is not a duration; expected a number and a unit (ms, s, m, h, d, w), e.g. 90s, 30m, 8h, 7d or 1h30m`,
    });
  }
  let total = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  if (total <= 0 || !Number.isSafeInteger(total)) {
    throw new AirlockError('ERR_BAD_REQUEST', `duration "${text}" is out of range`, {
      userMessage: `duration "${text}" must be greater than zero and at most ${Number.MAX_SAFE_INTEGER} ms`,
    });
  }
  return total;
}
