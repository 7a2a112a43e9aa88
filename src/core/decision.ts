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

/**
 * Hold it for an approver (a guardrail `review:` verdict on a connection with `reviews:`). Nothing is
 * journaled yet: the engine asks `gate.awaitApproval`, which journals the final allow or deny.
 */
export interface Hold {
  readonly outcome: 'hold';
  readonly rule: string;
  readonly reason: string;
}

/** The gate's answer. */
export type Decision = Allow | Deny | Hold;

/** The shared allow for commands while no guardrail is configured: no per-statement allocation. */
export const ALLOW_NO_RULE: Allow = Object.freeze({ outcome: 'allow', rule: 'default' });
