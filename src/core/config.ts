/**
 * @module The validated configuration, as the rest of Airlock sees it. `config/` turns YAML into
 * this (paths absolute, defaults filled in); nothing else reads the YAML or `process.env`.
 */
import type { Connection } from './connection.js';
import type { IdentityKind, PrincipalRef } from './identity.js';

/** A `host:port` listener address. Port 0 picks a free port (tests). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** One trusted OIDC issuer. */
export interface OidcIssuer {
  /** Short name; OIDC subjects become `NAME:VALUE`. */
  readonly name: string;
  /** Issuer URL; its discovery document names the JWKS. */
  readonly issuer: string;
  readonly audience: string;
  readonly groupsClaim: string;
  readonly subjectClaim: string;
  /** Fixed kind for this issuer's identities, unless `kindClaim` is set and present. */
  readonly kind: IdentityKind;
  readonly kindClaim?: string;
}

/** The whole validated configuration. */
export interface AirlockConfig {
  /** Absolute path of the file it came from (empty for built-in configs such as `airlock demo`). */
  readonly file: string;
  /** `sqlite:/abs/path.db` or `postgres://...`. */
  readonly store: string;
  /** Folder for node-local state: journal, self-signed certificate, node key. */
  readonly stateDir: string;
  /** Node id for audit chains; defaults to the host name. */
  readonly node: string;
  readonly listen: {
    readonly api: ListenAddress;
    readonly postgres?: ListenAddress;
    /** Absolute paths; when absent Airlock generates a self-signed pair in `stateDir`. */
    readonly tls?: { readonly cert: string; readonly key: string };
  };
  readonly admins: readonly PrincipalRef[];
  readonly auditors: readonly PrincipalRef[];
  readonly identity: { readonly oidc: readonly OidcIssuer[] };
  readonly connections: readonly Connection[];
  readonly logging: { readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent' };
  /** Warnings found while loading (e.g. literal passwords); printed by `config check` and at start. */
  readonly warnings: readonly string[];
}
