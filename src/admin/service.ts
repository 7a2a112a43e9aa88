/**
 * @module The admin surface, one interface for both ways the CLI works: `LocalAdmin` acts on the
 * store directly (operator rights, like `tctl` on the server), `HttpAdmin` goes through the REST
 * API as the identity of a token. The API's routes call a `LocalAdmin` too, so both paths run the
 * same checks.
 */
import type { AuditRecord } from '../audit/events.js';
import type { AuditFilter, SessionFilter, SessionSummary } from '../audit/search.js';
import type { SessionDetail } from '../audit/session-detail.js';
import type { VerifyReport } from '../audit/verify.js';
import type { Identity, IdentityKind } from '../core/identity.js';
import type { ExchangeRequest } from '../identity/exchange.js';
import type { CreateLockInput, LockView } from '../identity/locks.js';
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

/** What a token exchange issued: the token (its only copy), its name, expiry and scope. */
export interface ExchangeView {
  readonly token: string;
  readonly name: string;
  readonly expiresAt: string;
  readonly scope: string;
}

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

/** One session with its statements in order (`sessions show`). */
export type SessionDetailView = SessionDetail;

/** What a config reload did (or, with `failure`, why the file was rejected). */
export interface ConfigReloadView {
  readonly outcome: 'success' | 'failure';
  readonly file: string;
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  /** Keys that changed but wait for a restart; their running values stay. */
  readonly restartRequired: readonly string[];
  /** Live sessions ended because their connection, or their access to it, was removed. */
  readonly sessionsEnded: number;
}

/** Everything the CLI and API can do, checked against the acting identity. */
export interface AdminService {
  whoami(): Promise<WhoAmI>;
  createToken(input: CreateTokenInput): Promise<{ token: string; info: TokenView }>;
  listTokens(): Promise<TokenView[]>;
  revokeToken(name: string): Promise<TokenView>;
  listConnections(): Promise<ConnectionView[]>;
  listSessions(query: SessionQuery): Promise<SessionView[]>;
  /** Admins and auditors see any session, others only their own (ERR_NOT_FOUND otherwise). */
  showSession(id: string, options?: { readonly limit?: number }): Promise<SessionDetailView>;
  /** Admin only; needs the running server. Throws ERR_CONFIG_INVALID listing the problems. */
  reloadConfig(): Promise<ConfigReloadView>;
  searchAudit(query: AuditQuery): Promise<AuditRecord[]>;
  verifyAudit(): Promise<AuditVerifyView>;
  /** Token exchange (RFC 8693): a delegate or a short token for the subject token's identity. Any caller. */
  exchangeToken(request: ExchangeRequest): Promise<ExchangeView>;
  /** Admin only: ends live session `id` on whichever server holds it, within a second. */
  terminateSession(id: string, reason?: string): Promise<void>;
  /** Admin only (src/identity/locks.ts). */
  createLock(input: CreateLockInput): Promise<LockView>;
  /** Admins and auditors; locks in force unless `all`. */
  listLocks(all?: boolean): Promise<LockView[]>;
  /** Admin only. */
  removeLock(id: string): Promise<LockView>;
}

/** Roles of an identity under the configured admin/auditor lists. */
export type RoleResolver = (identity: Identity) => readonly Role[];
