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
  /** Delegates (src/identity/delegation.ts): the token it was delegated from; null for roots. */
  parent_id: string | null;
  /** The chain's root subject; null for tokens that are not delegated or exchanged. */
  root_subject: string | null;
  /** JSON RootIdentity (subject, kind, groups, issuer) of the chain's root. */
  root: string | null;
  /** JSON Actor list of the ancestors, root first. */
  chain: string | null;
  /** JSON list of `CONNECTION:scope` entries; null = not narrowed. */
  scope: string | null;
  /** JSON RootIdentity an exchanged token acts as (an OIDC login); null for delegates. */
  acting: string | null;
  /** Actors it acts for (the chain's length): 0 when direct. */
  depth: number;
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
  /** JSON list of the subjects who certified the session's held review; null when none did. */
  reviewers: string | null;
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

/** How far each audit export sink has delivered each node's chain (src/export/). */
export interface ExportCursorsTable {
  sink: string;
  node: string;
  /** The last seq delivered; the sink resumes after it. */
  seq: number;
  updated_at: string;
}

/**
 * Where a node's chain starts after retention deleted its oldest events (src/retention/): the last
 * deleted event's seq and hash, signed with the node key, so verify starts there instead of at 1.
 */
export interface AuditCheckpointsTable {
  node: string;
  seq: number;
  hash: string;
  signature: string;
  updated_at: string;
}

/**
 * Who may do what on which connection (src/reviews/grants.ts). `principal` is `user:SUBJECT` or
 * `group:NAME`; `actions` is the JSON list the scope stands for (empty list: every action).
 */
export interface GrantsTable {
  id: string;
  connection: string;
  principal: string;
  scope: string;
  actions: string;
  reason: string;
  granted_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
  /** `grant` (airlock grant create), `jit` (approved request), `access`, `break-glass`. */
  source: string;
  request_id: number | null;
}

/** A request for a human decision (src/reviews/approvals.ts); short integer ids people can type. */
export interface ApprovalRequestsTable {
  id: Generated<number>;
  /** `review` (session freshness), `command` (one statement), `access` (JIT grant). */
  kind: string;
  /** JSON IdentityRef of the requester, chain included. */
  requester: string;
  /** The requester's subject, for lookups without parsing JSON. */
  requester_subject: string;
  /** Root of the chain (the requester when direct): freshness is per root identity. */
  root_subject: string;
  connection: string;
  scope: string | null;
  action: string | null;
  statement: string | null;
  params_hash: string | null;
  reason: string | null;
  /** JSON usage evidence shown to approvers. */
  evidence: string | null;
  session_id: string | null;
  /** JIT access: how long the grant lasts once approved. */
  ttl_ms: number | null;
  status: string;
  created_at: string;
  /** When the last step times out and `then` applies. */
  expires_at: string;
  decided_at: string | null;
  step: number;
  /** Command approvals with a window: same identity, connection and action until then. */
  window_until: string | null;
  /** Single-use command approvals: when the approved statement ran. */
  consumed_at: string | null;
}

/** One approver's decision on a request. */
export interface ApprovalsTable {
  id: Generated<number>;
  request_id: number;
  approver: string;
  /** JSON IdentityRef of the approver. */
  approver_identity: string;
  decision: string;
  reason: string | null;
  window_ms: number | null;
  at: string;
}

/** A documented review of a root identity's access to a connection; fresh until `valid_until`. */
export interface CertificationsTable {
  id: Generated<number>;
  root_subject: string;
  connection: string;
  scope: string;
  /** JSON list of reviewer subjects. */
  reviewers: string;
  reason: string | null;
  /** JSON evidence snapshot as the reviewers saw it. */
  evidence: string | null;
  request_id: number | null;
  valid_until: string;
  created_at: string;
}

/** `airlock lock`: refuses new sessions of an identity or to a connection, and ends live ones. */
export interface LocksTable {
  id: string;
  /** `identity` or `connection`. */
  target_kind: string;
  target: string;
  reason: string;
  created_by: string;
  created_at: string;
  /** Null: until unlocked. */
  expires_at: string | null;
  removed_at: string | null;
  removed_by: string | null;
}

/**
 * Who used a grant or standing `access:` entry, per root identity (src/reviews/expiry.ts,
 * campaigns.ts): written at session open at most once a minute per row. `entry` is the
 * session's source: `grant:ID` or `access:group:x`.
 */
export interface AccessUsageTable {
  connection: string;
  entry: string;
  subject: string;
  first_used_at: string;
  last_used_at: string;
}

/**
 * A root identity's standing access suspended on a connection without editing the config
 * (expiry of an unused `access:` entry, a campaign revoke or an overdue item with onStale deny).
 * `entry` is the route it covers (`access:group:x`, `grant:ID`), or `*` for every route on it.
 */
export interface SuspensionsTable {
  id: string;
  connection: string;
  subject: string;
  entry: string;
  reason: string;
  created_by: string;
  created_at: string;
  campaign_id: number | null;
  lifted_at: string | null;
  lifted_by: string | null;
}

/** A recertification campaign (src/reviews/campaigns.ts). */
export interface CampaignsTable {
  id: Generated<number>;
  /** JSON list of connection names. */
  connections: string;
  /** JSON list of reviewer principals (`group:X`, `user:S`). */
  reviewers: string;
  created_by: string;
  created_at: string;
  due_at: string;
  reminded_at: string | null;
}

/** One access to certify in a campaign: a grant or standing entry, per root identity. */
export interface CampaignItemsTable {
  id: Generated<number>;
  campaign_id: number;
  connection: string;
  /** `grant:ID` or `access:group:x`. */
  entry: string;
  /** The root identity reviewed (for a never-used group grant: the principal). */
  subject: string;
  scope: string;
  /** JSON usage evidence (root and delegates) as the reviewer sees it. */
  evidence: string;
  /** A narrower scope the evidence supports (`read`, `write`), `revoke` when unused, or null. */
  suggestion: string | null;
  /** `pending`, `certified`, `narrowed`, `revoked`, `overdue`. */
  status: string;
  decided_by: string | null;
  decided_at: string | null;
  reason: string | null;
  new_scope: string | null;
}

/** The whole store. */
export interface Database {
  tokens: TokensTable;
  audit_events: AuditEventsTable;
  audit_anchors: AuditAnchorsTable;
  sessions: SessionsTable;
  changes: ChangesTable;
  export_cursors: ExportCursorsTable;
  audit_checkpoints: AuditCheckpointsTable;
  grants: GrantsTable;
  approval_requests: ApprovalRequestsTable;
  approvals: ApprovalsTable;
  certifications: CertificationsTable;
  locks: LocksTable;
  access_usage: AccessUsageTable;
  suspensions: SuspensionsTable;
  campaigns: CampaignsTable;
  campaign_items: CampaignItemsTable;
}
