/**
 * @module How a masked column's value is replaced. Column rules name one strategy per column:
 * - `redact`: the fixed text `[REDACTED]`, whatever the value (nothing of it, not even its length).
 * - `partial` / `partial:N`: `*` for every character but the last N (default 4), so
 *   `4111111111111111` becomes `************1111`. Never more than half of the value is kept: a
 *   value of 4 characters under `partial` shows 2.
 * - `hash`: the first 32 hex digits (128 bits) of HMAC-SHA256 under the configured key. The same
 *   value always gives the same text, so joins and GROUP BY on the masked output still work; without
 *   the key nobody can test guesses (an SSN has only a billion candidates).
 * - `email`: `****@` followed by the domain, so `john@example.com` becomes `****@example.com`;
 *   a value without `@` is redacted.
 */
import { createHmac } from 'node:crypto';

export type Strategy =
  | { readonly kind: 'redact' }
  | { readonly kind: 'partial'; readonly keep: number }
  | { readonly kind: 'hash' }
  | { readonly kind: 'email' };

/** The text that replaces a redacted value. */
export const REDACTED = '[REDACTED]';

export const DEFAULT_PARTIAL_KEEP = 4;
export const MAX_PARTIAL_KEEP = 64;
/** Hex digits of the HMAC kept by `hash`: 128 bits, far from any collision in one result. */
const HASH_HEX_DIGITS = 32;

const REDACT: Strategy = { kind: 'redact' };
const HASH: Strategy = { kind: 'hash' };
const EMAIL: Strategy = { kind: 'email' };
const PARTIAL: Strategy = { kind: 'partial', keep: DEFAULT_PARTIAL_KEEP };

/** Parses `redact`, `partial`, `partial:N`, `hash`, `email`; undefined when not one of them. */
export function parseStrategy(text: string): Strategy | undefined {
  switch (text) {
    case 'redact':
      return REDACT;
    case 'hash':
      return HASH;
    case 'email':
      return EMAIL;
    case 'partial':
      return PARTIAL;
  }
  const m = /^partial:(\d{1,2})$/.exec(text);
  if (m === null) return undefined;
  const keep = Number(m[1]);
  return keep <= MAX_PARTIAL_KEEP ? { kind: 'partial', keep } : undefined;
}

/** Masks one value. `hash` needs the key (throws without one: configuration must not allow that). */
export function applyStrategy(strategy: Strategy, value: string, hashKey: Buffer | undefined): string {
  switch (strategy.kind) {
    case 'redact':
      return REDACTED;
    case 'partial':
      return partial(value, strategy.keep);
    case 'hash':
      if (hashKey === undefined || hashKey.length === 0) {
        // Configuration validation requires masking.hashKey with a hash rule; reaching here is a bug.
        throw new Error('masking strategy hash needs masking.hashKey, received no key');
      }
      return createHmac('sha256', hashKey).update(value, 'utf8').digest('hex').slice(0, HASH_HEX_DIGITS);
    case 'email': {
      const at = value.lastIndexOf('@');
      return at < 0 || at === value.length - 1 ? REDACTED : `****${value.slice(at)}`;
    }
  }
}

function partial(value: string, keep: number): string {
  // Code points, not UTF-16 units: a kept half of a surrogate pair would be neither.
  const chars = /^[\u0000-\u007f]*$/.test(value) ? undefined : Array.from(value);
  const length = chars === undefined ? value.length : chars.length;
  const kept = Math.min(keep, Math.floor(length / 2));
  const tail = chars === undefined ? value.slice(length - kept) : chars.slice(length - kept).join('');
  return '*'.repeat(length - kept) + (kept === 0 ? '' : tail);
}
