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
}
