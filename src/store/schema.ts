/**
 * @module The store's tables, as kysely sees them. One schema for SQLite and PostgreSQL: times are
 * ISO-8601 text, lists and objects are JSON text, booleans are 0/1 integers.
 */
import type { Generated } from 'kysely';

/** Airlock-issued tokens. The secret is stored only as a SHA-256 hash. */
export interface TokensTable {
  id: string;
  name: string;
  secret_hash: string;
  kind: string;
  /** JSON array of group names. */
  groups: string;
  created_at: string;
  created_by: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
  last_used_at: string | null;
}

/** Audit events drained from node journals; the full record is in `record`. */
export interface AuditEventsTable {
  node: string;
  seq: number;
  time: string;
  type: string;
  session_id: string | null;
  subject: string | null;
  /** JSON array of the identity's groups, for group search. */
  groups: string | null;
  /** JSON array of the chain's subjects, for on-behalf-of search. */
  chain: string | null;
  connection: string | null;
  protocol: string | null;
  /** The sealed AuditRecord as JSON, exactly as hashed. */
  record: string;
  prev_hash: string;
  hash: string;
}

/** The last sealed event per node, signed with the node key: truncation shows against it. */
export interface AuditAnchorsTable {
  node: string;
  seq: number;
  hash: string;
  signature: string;
  updated_at: string;
}

/** One row per session, projected from session.start / session.end / command events. */
export interface SessionsTable {
  id: string;
  node: string;
  protocol: string;
  subject: string | null;
  /** JSON IdentityRef. */
  identity: string | null;
  connection: string;
  client_address: string;
  started_at: string;
  ended_at: string | null;
  outcome: string | null;
  error_code: string | null;
  bytes_from_client: number;
  bytes_to_client: number;
  statements: number;
}

/**
 * Change feed: every write another process must notice within a second (token revoked, grant
 * approved) adds a row; running servers poll the highest id.
 */
export interface ChangesTable {
  id: Generated<number>;
  kind: string;
  ref: string;
  at: string;
}

/** The whole store. */
export interface Database {
  tokens: TokensTable;
  audit_events: AuditEventsTable;
  audit_anchors: AuditAnchorsTable;
  sessions: SessionsTable;
  changes: ChangesTable;
}
