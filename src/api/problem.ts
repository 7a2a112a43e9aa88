/**
 * @module problem+json (RFC 9457) answers built from the error catalog.
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
import type { AirlockError } from '../core/errors.js';

/** The body of every API error. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly action: string;
}

/** Maps an AirlockError to its problem document; only client-safe texts go in. */
export function toProblem(err: AirlockError): Problem {
  return {
    type: `https://airlock.dev/errors/${err.code}`,
    title: err.userMessage,
    status: err.entry.http,
    code: err.code,
    ...(err.detail ? { detail: err.detail } : {}),
    action: err.action,
  };
}
