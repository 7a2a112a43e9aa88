/**
 * @module Decisions: what the gate says about a session or a command.
 */
import type { AirlockError } from './errors.js';

/** Let it through. `rule` names what allowed it (e.g. `access:group:agents`). */
export interface Allow {
  readonly outcome: 'allow';
  readonly rule: string;
}

/** Refuse it; `error` is what the client is told. */
export interface Deny {
  readonly outcome: 'deny';
  readonly rule: string;
  readonly error: AirlockError;
}

/** The gate's answer. Review (hold for approval) joins this union with the review-gate issue. */
export type Decision = Allow | Deny;

/** The shared allow for commands while no guardrail is configured: no per-statement allocation. */
export const ALLOW_NO_RULE: Allow = Object.freeze({ outcome: 'allow', rule: 'default' });
