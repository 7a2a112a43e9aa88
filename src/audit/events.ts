/**
 * @module The audit event union: closed, discriminated on `type`, stable across protocols.
 * A body is what callers append; the journal seals it into an `AuditRecord` with node, sequence
 * number, time and hash chain. Documented in docs/audit-events.md (schema version below).
 */
import type { Protocol } from '../core/connection.js';
import type { IdentityRef } from '../core/identity.js';
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
}

/** Every event body. */
export type AuditEventBody =
  | SessionStartEvent
  | SessionEndEvent
  | CommandEvent
  | CommandResultEvent
  | TokenCreatedEvent
  | TokenRevokedEvent;

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
