/**
 * @module `--limit` parsing shared by list commands.
 */
import { AirlockError } from '../../core/errors.js';

/** Parses a positive integer limit, or throws ERR_BAD_REQUEST naming the flag. */
export function parseLimit(text: string | undefined, fallback = 100): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 10000) {
    throw new AirlockError('ERR_BAD_REQUEST', `--limit ${text}`, {
      userMessage: `--limit: expected an integer 1-10000, received "${text}"`,
    });
  }
  return value;
}
