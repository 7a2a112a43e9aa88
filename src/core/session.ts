/**
 * @module The protocol-neutral session: who, to which connection, from where. Effectively immutable;
 * engines keep their wire state elsewhere.
 */
import type { Connection, Protocol } from './connection.js';
import type { Identity } from './identity.js';

/** Where a client came from. */
export interface ClientInfo {
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
  /** What the client calls itself (PostgreSQL application_name), if anything. */
  readonly application?: string;
}

/**
 * What a session may do, settled when it opens (src/reviews/): the scope of the grant or access entry
 * that admitted it, and how fresh the root identity's access review was.
 */
export interface SessionAccess {
  /** `read`, `write`, `admin` or `custom` (an explicit action list). */
  readonly scope: string;
  /** Actions allowed; undefined = every action (admin). Guardrails apply either way. */
  readonly actions?: ReadonlySet<string>;
  /** The upstream session runs with default_transaction_read_only (defence in depth). */
  readonly readOnly: boolean;
  /** What admitted it: `access:group:x` (config) or `grant:ID` (store). */
  readonly source: string;
  /** The store grant that admitted it, if any: its revocation or narrowing ends the session. */
  readonly grantId?: string;
  /** When that grant ends (time-boxed grants, JIT, break-glass): the session ends with it. */
  readonly expiresAt?: Date;
  /** `unreviewed`: the connection has no `reviews:` block. `stale`: held at the first statement. */
  readonly freshness: 'fresh' | 'grace' | 'stale' | 'unreviewed';
  /** Said to the client when the review is stale but within grace. */
  readonly warning?: string;
}

/** The approval that certified a held session (the reviewers the session is tagged with). */
export interface SessionReview {
  readonly request: number;
  readonly reviewers: readonly string[];
}

/** One client session through Airlock. */
export interface Session {
  readonly id: string;
  readonly protocol: Protocol;
  readonly identity: Identity;
  readonly connection: Connection;
  readonly client: ClientInfo;
  readonly startedAt: Date;
  /** The reason the client gave (PostgreSQL `options=-c airlock.reason=...`). */
  readonly reason?: string;
  /** Absent only where no review gate is wired (unit tests of other layers): every action. */
  readonly access?: SessionAccess;
  /** Set once a held session was approved: who certified it. */
  readonly review?: SessionReview;
}

/** A copy of `session` tagged with the review that certified it. */
export function withReview(session: Session, review: SessionReview): Session {
  return { ...session, review };
}

/** What a session did, reported when it ends. */
export interface SessionStats {
  bytesFromClient: number;
  bytesToClient: number;
  statements: number;
}
