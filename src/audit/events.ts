/**
 * @module The audit event union: closed, discriminated on `type`, stable across protocols.
 * A body is what callers append; the journal seals it into an `AuditRecord` with node, sequence
 * number, time and hash chain. Documented in docs/audit-events.md (schema version below).
 */
import type { Protocol } from '../core/connection.js';
import type { Actor, IdentityRef } from '../core/identity.js';
import type { ClientInfo } from '../core/session.js';

/** Bumped when a field's meaning changes; additions keep the version. */
export const AUDIT_SCHEMA_VERSION = 1;

/** Client-safe error summary carried by failure events. */
export interface AuditError {
  readonly code: string;
  readonly message: string;
}

/** Fields shared by every event about a session. */
interface SessionScoped {
  readonly sessionId: string;
  /** Undefined only when authentication itself failed. */
  readonly identity: IdentityRef | undefined;
  readonly connection: string;
  readonly protocol: Protocol;
}

/** A client connected (success) or was refused before its session began (failure). */
export interface SessionStartEvent extends SessionScoped {
  readonly type: 'session.start';
  readonly client: ClientInfo;
  readonly reason?: string;
  readonly outcome: 'success' | 'failure';
  readonly error?: AuditError;
}

/** A session ended, for whatever reason; always written. */
export interface SessionEndEvent extends SessionScoped {
  readonly type: 'session.end';
  readonly durationMs: number;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  readonly statements: number;
  readonly outcome: 'success' | 'failure';
  readonly error?: AuditError;
}

/** A command and the gate's decision, journaled before the command is forwarded. */
export interface CommandEvent extends SessionScoped {
  readonly type: 'command';
  readonly commandId: number;
  readonly channel: string;
  /** Statement text with password literals redacted. */
  readonly text: string;
  readonly parameters?: readonly (string | null)[];
  readonly action: string;
  readonly objects: readonly string[];
  readonly decision: 'allow' | 'deny';
  readonly rule: string;
  /** A held command: the approval request that decided it (docs/reviews.md). */
  readonly approval?: number;
  /** A held command that was approved: the approvers' subjects. */
  readonly approvedBy?: readonly string[];
  readonly error?: AuditError;
}

/** How a forwarded command ended at the target. */
export interface CommandResultEvent extends SessionScoped {
  readonly type: 'command.result';
  readonly commandId: number;
  readonly outcome: 'success' | 'error';
  readonly rows?: number;
  readonly durationMs: number;
  readonly error?: AuditError;
  /** Values masking replaced in the answer, per `table.column`, `derived`, `notice` or entity; never values. */
  readonly masked?: Readonly<Record<string, number>>;
}

/** An Airlock token was issued. */
export interface TokenCreatedEvent {
  readonly type: 'token.created';
  readonly actor: IdentityRef;
  readonly name: string;
  readonly kind: string;
  readonly groups: readonly string[];
  readonly expiresAt: string;
}

/** An Airlock token was revoked. */
export interface TokenRevokedEvent {
  readonly type: 'token.revoked';
  readonly actor: IdentityRef;
  readonly name: string;
  /** Set for a delegate revoked because an ancestor was: that ancestor's name. */
  readonly cascadedFrom?: string;
  /** Set when the expiry job revoked it: `expired-unused`. */
  readonly reason?: string;
}

/** A delegate token was issued by token exchange (`airlock delegate`, POST /api/v1/token/exchange). */
export interface TokenDelegatedEvent {
  readonly type: 'token.delegated';
  /** The identity of the subject token: who delegated. */
  readonly actor: IdentityRef;
  readonly name: string;
  readonly kind: string;
  /** The subject token's identity subject. */
  readonly parent: string;
  readonly rootSubject: string;
  /** The new token's chain, root first (empty for an exchanged token acting as its subject). */
  readonly chain: readonly Actor[];
  readonly depth: number;
  /** `CONNECTION:scope` entries; null when not narrowed. */
  readonly scope: readonly string[] | null;
  readonly expiresAt: string;
}

/** `airlock lock`: new sessions of an identity or to a connection are refused, live ones ended. */
export interface LockCreatedEvent {
  readonly type: 'lock.created';
  readonly actor: IdentityRef;
  readonly lockId: string;
  readonly targetKind: 'identity' | 'connection';
  readonly target: string;
  readonly reason: string;
  readonly expiresAt?: string;
}

/** `airlock unlock`. */
export interface LockRemovedEvent {
  readonly type: 'lock.removed';
  readonly actor: IdentityRef;
  readonly lockId: string;
  readonly targetKind: 'identity' | 'connection';
  readonly target: string;
}

/** `airlock sessions terminate`: an operator asked to end a live session. */
export interface SessionTerminatedEvent {
  readonly type: 'session.terminated';
  readonly actor: IdentityRef;
  readonly sessionId: string;
  readonly reason?: string;
}

/** The server re-read its config file (SIGHUP or `airlock config reload`), applied or rejected. */
export interface ConfigReloadEvent {
  readonly type: 'config.reload';
  /** Who asked: the API caller, or the local operator for SIGHUP. */
  readonly actor: IdentityRef;
  readonly trigger: 'signal' | 'api';
  /** Absolute path of the file read. */
  readonly file: string;
  /** `failure`: the file was rejected and the running config stays. */
  readonly outcome: 'success' | 'failure';
  /** Connection names new in the file, changed in it, and gone from it. */
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  /** Every problem found (failure only; empty on success). */
  readonly problems: readonly string[];
  /** Top-level keys that changed but take effect only after a restart (listen, store, ...). */
  readonly restartRequired: readonly string[];
  /** Live sessions ended because their connection was removed or their access was. */
  readonly sessionsEnded: number;
}

/** A grant was created: by an admin (`airlock grant create`) or by an approved JIT request. */
export interface GrantCreatedEvent {
  readonly type: 'grant.created';
  readonly actor: IdentityRef;
  readonly grantId: string;
  readonly connection: string;
  /** `user:SUBJECT` or `group:NAME`. */
  readonly principal: string;
  readonly scope: string;
  readonly reason: string;
  readonly source: string;
  readonly expiresAt?: string;
  readonly request?: number;
}

/** A grant was revoked. */
export interface GrantRevokedEvent {
  readonly type: 'grant.revoked';
  readonly actor: IdentityRef;
  readonly grantId: string;
  readonly connection: string;
  readonly principal: string;
  /** Set when not an admin's plain revoke: `expired-unused`, `expired` (expiry job) or `campaign`. */
  readonly reason?: string;
}

/** A campaign reviewer narrowed a grant's scope. */
export interface GrantNarrowedEvent {
  readonly type: 'grant.narrowed';
  readonly actor: IdentityRef;
  readonly grantId: string;
  readonly connection: string;
  readonly principal: string;
  readonly scope: string;
  readonly previousScope: string;
  readonly reason: string;
}

/** A root identity's standing access on a connection was suspended (config unchanged). */
export interface AccessSuspendedEvent {
  readonly type: 'access.suspended';
  readonly actor: IdentityRef;
  readonly connection: string;
  readonly subject: string;
  /** The route suspended (`access:group:x`, `grant:ID`), or `*` (every route on the connection). */
  readonly entry: string;
  /** `expired-unused`, `campaign-revoked`, `campaign-narrowed` or `campaign-overdue`. */
  readonly reason: string;
  readonly campaign?: number;
}

/** Suspensions of an identity on a connection were lifted (`airlock reviews restore`, a certification). */
export interface AccessRestoredEvent {
  readonly type: 'access.restored';
  readonly actor: IdentityRef;
  readonly connection: string;
  readonly subject: string;
  readonly reason: string;
}

/** A recertification campaign was created. */
export interface CampaignCreatedEvent {
  readonly type: 'campaign.created';
  readonly actor: IdentityRef;
  readonly campaign: number;
  readonly connections: readonly string[];
  readonly reviewers: readonly string[];
  readonly dueAt: string;
  readonly items: number;
}

/** A campaign item was decided (`certify`, `narrow`, `revoke`) or went overdue (`overdue-hold`, `overdue-deny`). */
export interface CampaignDecidedEvent {
  readonly type: 'campaign.decided';
  readonly actor: IdentityRef;
  readonly campaign: number;
  readonly item: number;
  readonly connection: string;
  readonly subject: string;
  /** `grant:ID` or `access:REF`. */
  readonly entry: string;
  readonly decision: string;
  /** `narrow`: the new scope. */
  readonly scope?: string;
  readonly reason: string;
}

/** An approval request was created (held session, held command or JIT access request). */
export interface ApprovalRequestedEvent {
  readonly type: 'approval.requested';
  readonly request: number;
  readonly kind: 'review' | 'command' | 'access';
  /** The requester, chain included. */
  readonly actor: IdentityRef;
  readonly connection: string;
  readonly scope?: string;
  readonly action?: string;
  /** Command requests: SHA-256 of the statement text and parameters the approval is bound to. */
  readonly paramsHash?: string;
  readonly reason?: string;
  readonly sessionId?: string;
  /** Who may approve now (step 0). */
  readonly approvers: readonly string[];
}

/** An approver decided (one approval of N-of-M too), or the last step timed out (`expired`). */
export interface ApprovalDecidedEvent {
  readonly type: 'approval.decided';
  readonly request: number;
  readonly connection: string;
  /**
   * The approver; `airlock` (kind service, issuer local) when the last step timed out;
   * `policy:<file>` (kind service) when an `autoApprove` policy approved it.
   */
  readonly actor: IdentityRef;
  readonly decision: 'approve' | 'deny' | 'expire';
  /** The request's status after this decision. */
  readonly status: 'pending' | 'approved' | 'denied' | 'expired';
  readonly reason?: string;
  readonly windowMs?: number;
}

/** An access review was recorded: the root identity's access to the connection is fresh until `validUntil`. */
export interface CertificationRecordedEvent {
  readonly type: 'certification.recorded';
  /** The approver whose decision completed the review. */
  readonly actor: IdentityRef;
  readonly rootSubject: string;
  readonly connection: string;
  readonly scope: string;
  readonly reviewers: readonly string[];
  readonly request?: number;
  /** The held session the review released, if any. */
  readonly sessionId?: string;
  readonly validUntil: string;
}

/**
 * Someone used break-glass (`airlock approvals break-glass`): emergency access for themselves,
 * opened without an approver, or refused. Written loudly on purpose; the follow-up review
 * request must be decided afterwards.
 */
export interface BreakGlassEvent {
  readonly type: 'break-glass';
  /** Who asked; the access is for them only. */
  readonly actor: IdentityRef;
  readonly connection: string;
  readonly reason: string;
  readonly outcome: 'success' | 'failure';
  /** Why it was refused. */
  readonly error?: AuditError;
  /** The grant (source `break-glass`) it opened. */
  readonly grantId?: string;
  readonly scope?: string;
  /** When the access ends. */
  readonly expiresAt?: string;
  /** The follow-up review request (kind `review`) approvers must decide. */
  readonly request?: number;
}

/** What retention did to one node's chain. */
export interface RetentionNodeResult {
  readonly node: string;
  /** Events deleted from this node in this run. */
  readonly deleted: number;
  /** The chain now starts after this seq (the signed checkpoint); 0 when nothing was ever deleted. */
  readonly throughSeq: number;
  /** The export sink whose cursor kept older events from being deleted, if one did. */
  readonly heldBy?: string;
  /** Why deleting stopped early for this node (a chain that does not verify is never deleted over). */
  readonly problem?: string;
  /** The seq of the first stored event that did not verify (edited, relinked, missing): deleting stopped before it. */
  readonly stoppedAt?: number;
}

/** The retention job deleted audit events older than `retention.audit` (src/retention/). */
export interface RetentionRunEvent {
  readonly type: 'retention.run';
  /** The server that ran the job: subject `airlock`, kind `service`, issuer `local`. */
  readonly actor: IdentityRef;
  /** ISO-8601: events sealed before this were due. */
  readonly cutoff: string;
  /** The configured period, as written (`400d`). */
  readonly period: string;
  /** Events deleted in all. */
  readonly deleted: number;
  /** `sessions` rows deleted with them. */
  readonly sessions: number;
  readonly nodes: readonly RetentionNodeResult[];
}

/** The retention job deleted session recordings older than `retention.recordings` (src/retention/). */
export interface RetentionRecordingsEvent {
  readonly type: 'retention.recordings';
  /** The server that ran the job: subject `airlock`, kind `service`, issuer `local`. */
  readonly actor: IdentityRef;
  /** ISO-8601: recordings last written before this were due. */
  readonly cutoff: string;
  /** The configured period, as written (`90d`). */
  readonly period: string;
  /** Recordings (one per session) deleted. */
  readonly deleted: number;
  /** Their size in bytes. */
  readonly bytes: number;
  /** Recordings that were due but could not be deleted (tried again at the next run). */
  readonly failed: number;
}

/**
 * A webhook export sink's receiver refused a batch for good (a permanent 4xx, `deadLetterAfter`
 * times): the batch was parked in the sink's dead-letter file and delivery went on after it.
 */
export interface ExportDeadLetterEvent {
  readonly type: 'export.dead-letter';
  /** The server itself: subject `airlock`, kind `service`, issuer `local`. */
  readonly actor: IdentityRef;
  readonly sink: string;
  /** The node whose chain the parked events belong to (the envelope's `node` is the writer), and their seq range. */
  readonly sourceNode: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly events: number;
  /** The receiver's last HTTP status. */
  readonly status: number;
  /** Attempts at the batch before it was parked. */
  readonly attempts: number;
  readonly error: AuditError;
  /** Absolute path of the dead-letter file holding the parked records. */
  readonly file: string;
}

/** Every event body. */
export type AuditEventBody =
  | SessionStartEvent
  | SessionEndEvent
  | CommandEvent
  | CommandResultEvent
  | TokenCreatedEvent
  | TokenRevokedEvent
  | TokenDelegatedEvent
  | LockCreatedEvent
  | LockRemovedEvent
  | SessionTerminatedEvent
  | GrantCreatedEvent
  | GrantRevokedEvent
  | GrantNarrowedEvent
  | AccessSuspendedEvent
  | AccessRestoredEvent
  | CampaignCreatedEvent
  | CampaignDecidedEvent
  | ApprovalRequestedEvent
  | ApprovalDecidedEvent
  | CertificationRecordedEvent
  | BreakGlassEvent
  | ConfigReloadEvent
  | RetentionRunEvent
  | ExportDeadLetterEvent
  | RetentionRecordingsEvent;

/** Every event type name. */
export type AuditEventType = AuditEventBody['type'];

/** An event as sealed by the journal: chained, numbered, timed. */
export type AuditRecord = AuditEventBody & {
  readonly v: number;
  readonly node: string;
  readonly seq: number;
  /** ISO-8601. */
  readonly time: string;
  readonly prevHash: string;
  readonly hash: string;
};

/** Appends events. `append` is synchronous: when it returns, the event is in the journal file. */
export interface AuditLog {
  /** Throws AirlockError ERR_AUDIT_UNAVAILABLE when the journal cannot be written. */
  append(event: AuditEventBody): AuditRecord;
}
