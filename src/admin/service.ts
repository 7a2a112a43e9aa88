/**
 * @module The admin surface, one interface for both ways the CLI works: `LocalAdmin` acts on the
 * store directly (operator rights, like `tctl` on the server), `HttpAdmin` goes through the REST
 * API as the identity of a token. The API's routes call a `LocalAdmin` too, so both paths run the
 * same checks.
 */
import type { AuditRecord } from '../audit/events.js';
import type { AuditFilter, SessionFilter, SessionSummary } from '../audit/search.js';
import type { VerifyReport } from '../audit/verify.js';
import type { Identity, IdentityKind } from '../core/identity.js';
import type { TokenInfo } from '../identity/tokens.js';

/** What `whoami` answers. */
export interface WhoAmI {
  readonly subject: string;
  readonly kind: IdentityKind;
  readonly groups: readonly string[];
  readonly issuer: string;
  readonly roles: readonly Role[];
  readonly expiresAt?: string;
}

/** What an identity may do on the admin surface. */
export type Role = 'operator' | 'admin' | 'auditor';

/** A token as listed (never the secret). */
export type TokenView = TokenInfo;

/** Input for a new token. */
export interface CreateTokenInput {
  readonly name: string;
  readonly groups?: readonly string[];
  readonly kind?: IdentityKind;
  readonly ttlMs?: number;
}

/** A connection as a caller sees it: no host, no credential. */
export interface ConnectionView {
  readonly name: string;
  readonly type: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Exact command to connect (the token goes in PGPASSWORD). */
  readonly connect: string;
  /** Shown to admins and auditors only. */
  readonly access?: readonly string[];
}

/** A session row. */
export type SessionView = SessionSummary;

/** Filters for audit search. */
export type AuditQuery = AuditFilter;

/** Filters for session listing. */
export type SessionQuery = SessionFilter;

/** Result of checking the audit hash chains. */
export type AuditVerifyView = VerifyReport;

/** Everything the CLI and API can do, checked against the acting identity. */
export interface AdminService {
  whoami(): Promise<WhoAmI>;
  createToken(input: CreateTokenInput): Promise<{ token: string; info: TokenView }>;
  listTokens(): Promise<TokenView[]>;
  revokeToken(name: string): Promise<TokenView>;
  listConnections(): Promise<ConnectionView[]>;
  listSessions(query: SessionQuery): Promise<SessionView[]>;
  searchAudit(query: AuditQuery): Promise<AuditRecord[]>;
  verifyAudit(): Promise<AuditVerifyView>;
}

/** Roles of an identity under the configured admin/auditor lists. */
export type RoleResolver = (identity: Identity) => readonly Role[];
