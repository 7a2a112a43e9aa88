/**
 * @module `--since` / `--until` values: ISO-8601 times or durations back from now (`2h`, `7d`).
 */
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { parseDuration } from '../identity/duration.js';

/** Parses an ISO time or a duration ago; throws ERR_BAD_REQUEST naming `flag` when it is neither. */
export function parseTimeBound(text: string | undefined, clock: Clock, flag: string): Date | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^\d+(\.\d+)?[smhdw]$/.test(text)) return new Date(clock.nowMs() - parseDuration(text));
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) {
    throw new AirlockError(
      'ERR_BAD_REQUEST',
      `${flag}: expected an ISO time or a duration like 2h, received "${text}"`,
      {
        userMessage: `${flag}: expected an ISO time (2026-01-31T12:00:00Z) or a duration like 2h or 7d, received "${text}"`,
      },
    );
  }
  return time;
}
