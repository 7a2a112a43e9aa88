/**
 * @module The shapes the policy engine takes and returns: a connection's `guardrails:` settings and
 * the decision for one command. Kept apart so config, the gate and the CLI can import them without
 * pulling in the Cedar runtime.
 */

/** What a statement the classifier could not place gets. Never allow: Airlock fails closed. */
export type UnparsedOutcome = 'deny' | 'review';

/** A connection's `guardrails:` block, validated and with paths made absolute by config loading. */
export interface GuardrailConfig {
  /** Shorthand names (see docs/policy.md) whose statements are refused. */
  readonly deny: readonly string[];
  /** Shorthand names whose statements are held for approval (denied, saying so, until reviews exist). */
  readonly review: readonly string[];
  readonly onUnparsed: UnparsedOutcome;
  /** Absolute paths of `.cedar` files added to this connection's policy set. */
  readonly policies: readonly string[];
}

/** The part of a configured connection the engine compiles a policy set for. */
export interface PolicyConnection {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly guardrails?: GuardrailConfig;
}

/** The connection a request is decided against (`resource`); its tags become Cedar entity tags. */
export interface PolicyResource {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** Every statement passed its policies. `rule` names the permit that allowed it (`default`). */
export interface PolicyAllow {
  readonly outcome: 'allow';
  readonly rule: string;
}

/**
 * A statement was refused (`deny`) or must be approved first (`review`). `rule` is the policy's
 * `@id` (`deny:drop`, `review:delete`, `unparsed`...); `reason` says what was blocked and why, in
 * words fit for the client message `blocked by airlock: <rule>: <reason>`.
 */
export interface PolicyBlock {
  readonly outcome: 'deny' | 'review';
  readonly rule: string;
  readonly reason: string;
}

/** The engine's answer for a whole command: the strictest over its statements. */
export type PolicyDecision = PolicyAllow | PolicyBlock;

/** Strictness order: deny beats review beats allow. */
export const OUTCOME_RANK = { allow: 0, review: 1, deny: 2 } as const satisfies Record<
  PolicyDecision['outcome'],
  number
>;
