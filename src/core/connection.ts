/**
 * @module Targets. A connection is a named target with the credential Airlock holds for it; clients
 * name it (PostgreSQL: the database name) and never see the credential.
 */
import type { Entity } from '../masking/entities.js';
import type { Strategy } from '../masking/strategies.js';
import type { PrincipalRef } from './identity.js';

/** Where a held secret comes from. Literals work but `config check` warns about them. */
export type SecretRef = { readonly env: string } | { readonly file: string } | { readonly value: string };

/** How Airlock secures its leg to the target. */
export interface UpstreamTls {
  readonly mode: 'disable' | 'require' | 'verify-full';
  /** PEM file of the CA for verify-full (absolute after config loading). */
  readonly ca?: string;
}

/**
 * A connection's statement guardrails (`guardrails:` plus `policies:` in the config): shorthand
 * names compiled to Cedar, and raw Cedar files. See docs/policy.md.
 */
export interface ConnectionGuardrails {
  readonly deny: readonly string[];
  /** Held for approval once the review gate exists; until then refused, saying so. */
  readonly review: readonly string[];
  /** What a statement the classifier cannot place gets: never allow. */
  readonly onUnparsed: 'deny' | 'review';
  /** Absolute paths of raw `.cedar` policy files. */
  readonly policies: readonly string[];
}

/** A named set of actions (docs/reviews.md): `read` ⊂ `write` ⊂ `admin` (everything). */
export type ScopeName = 'read' | 'write' | 'admin';

/** One fallback step of an approval: from `afterMs` after the request's creation, these approve too. */
export interface ReviewStep {
  readonly afterMs: number;
  readonly approvers: readonly PrincipalRef[];
}

/**
 * A connection's `reviews:` block (src/config/reviews.ts, docs/reviews.md): how fresh an identity's
 * access review must be, who approves holds and per-command reviews, and in what order.
 */
export interface ConnectionReviews {
  readonly maxAgeMs: number;
  readonly approvers: readonly PrincipalRef[];
  readonly minApprovals: number;
  /** How long a held client waits. */
  readonly waitMs: number;
  readonly onStale: 'hold' | 'deny';
  /** Ordered by `afterMs`; approver sets accumulate. */
  readonly fallback: readonly ReviewStep[];
  /** `then:` in the config, what happens when the last step timed out (named so no object is a thenable). */
  readonly onTimeout: 'deny';
  /** Stale by less than this: allowed, with a warning. */
  readonly graceMs: number;
  readonly expireUnusedAfterMs?: number;
  /**
   * Absolute paths of `.cedar` files (`autoApprove:`): a request one of them permits is approved at
   * once, reviewer `policy:<file name>` (src/reviews/auto-approve.ts).
   */
  readonly autoApprove?: readonly string[];
}

/**
 * One `masking.columns` entry: `[schema.]table.column`, each part a name or `*`, and its strategy.
 * Names are compared as PostgreSQL stores them (unquoted identifiers lower-cased by the config reader).
 */
export interface MaskingColumnRule {
  /** Undefined: any schema (`table.column`). */
  readonly schema?: string;
  readonly table: string;
  readonly column: string;
  readonly strategy: Strategy;
}

/** A connection's `masking:` block (docs/masking.md). */
export interface ConnectionMasking {
  readonly columns: readonly MaskingColumnRule[];
  /** Entities content detection looks for in all text output. */
  readonly detect: readonly Entity[];
  /** What an output computed from a masked column gets: redacted whole, or the statement is denied. */
  readonly onDerived: 'redact' | 'deny';
  /** Deny WHERE / ORDER BY / GROUP BY / JOIN conditions on masked columns. */
  readonly denyPredicates: boolean;
  /** Default region for phone numbers (ISO 3166 alpha-2). */
  readonly region: string;
  /** Key of the `hash` strategy; required when a column uses it. */
  readonly hashKey?: SecretRef;
}

/** Every protocol Airlock knows. The registry checks each configured one has an engine at boot. */
export const ALL_PROTOCOLS = ['postgres'] as const;
export type Protocol = (typeof ALL_PROTOCOLS)[number];

/** One configured target. */
export interface Connection {
  readonly name: string;
  readonly type: Protocol;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: SecretRef;
  readonly tls: UpstreamTls;
  readonly tags: Readonly<Record<string, string>>;
  readonly access: readonly PrincipalRef[];
  /** Scopes of `access` entries written `{who, scope}`; an entry not listed here has scope admin. */
  readonly accessScopes?: Readonly<Partial<Record<PrincipalRef, ScopeName>>>;
  /** Absent: no review freshness, and guardrail `review:` verdicts are refused (ERR_REVIEW_REQUIRED). */
  readonly reviews?: ConnectionReviews;
  /** Absent: no guardrails beyond failing closed on statements that cannot be parsed. */
  readonly guardrails?: ConnectionGuardrails;
  /** Absent: responses pass unmasked. */
  readonly masking?: ConnectionMasking;
  /** Absent: sessions are not limited (config/limits.ts, server/session-limits.ts). */
  readonly limits?: ConnectionLimits;
  /** Who may open emergency access for themselves (`airlock approvals break-glass`); absent: nobody. */
  readonly breakGlass?: readonly PrincipalRef[];
}

/** A connection's `limits:`; each absent field sets no limit. */
export interface ConnectionLimits {
  /** A session with no statement for this long ends. */
  readonly idleMs?: number;
  /** A session ends this long after it opened. */
  readonly maxSessionMs?: number;
  /** Most live sessions one identity may have on the connection (per server). */
  readonly maxSessionsPerIdentity?: number;
}
