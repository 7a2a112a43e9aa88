/**
 * @module Test fixtures for the policy engine: identities, statements, guardrail blocks and an
 * engine whose `.cedar` files come from memory. Excluded from the build.
 */
import type { StatementFacts } from '../../core/command.js';
import type { Identity } from '../../core/identity.js';
import { PolicyEngine } from '../engine.js';
import { RECOMMENDED_DENY } from '../shorthand-rules.js';
import type { GuardrailConfig, PolicyConnection } from '../types.js';

/** An agent identity `bot` in group `agents`, changed by `overrides`. */
export function identity(overrides: Partial<Identity> = {}): Identity {
  return {
    subject: 'bot',
    displayName: 'bot',
    kind: 'agent',
    groups: ['agents'],
    issuer: 'airlock',
    tokenId: undefined,
    expiresAt: undefined,
    chain: [],
    ...overrides,
  };
}

export const agent = identity();
export const human = identity({ subject: 'alice', kind: 'human', groups: ['dba'] });
export const prod = { name: 'prod', tags: { env: 'prod' } };
export const staging = { name: 'staging', tags: { env: 'staging' } };

/** One statement's facts; objects default to `public.t`. */
export function st(
  action: string,
  facts: StatementFacts['facts'] = {},
  objects = ['public.t'],
): StatementFacts {
  return { action, objects, facts };
}

/** A guardrails block with empty lists and `onUnparsed: deny` unless overridden. */
export function guardrails(g: Partial<GuardrailConfig>): GuardrailConfig {
  return { deny: [], review: [], onUnparsed: 'deny', policies: [], ...g };
}

/** An engine whose `.cedar` files come from `files` (path → text); other paths fail like ENOENT. */
export function engineWith(
  connections: PolicyConnection[],
  files: Record<string, string> = {},
  globalPolicies?: string[],
): PolicyEngine {
  return new PolicyEngine({
    connections,
    ...(globalPolicies ? { globalPolicies } : {}),
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
      return text;
    },
  });
}

/** The guardrails the issue gives as its example. */
export const ISSUE_EXAMPLE = guardrails({
  deny: [...RECOMMENDED_DENY],
  review: ['delete', 'update'],
});
