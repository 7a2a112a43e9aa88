/**
 * @module Targets. A connection is a named target with the credential Airlock holds for it; clients
 * name it (PostgreSQL: the database name) and never see the credential.
 */
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
  /** Absent: no guardrails beyond failing closed on statements that cannot be parsed. */
  readonly guardrails?: ConnectionGuardrails;
}
