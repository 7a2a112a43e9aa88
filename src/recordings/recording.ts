/**
 * @module The database session recording format (JSONL, version 1): what each line of a
 * recording holds, built from the session's sealed audit records. Pure functions, no I/O.
 *
 * A recording is a summary for replay, not a copy of the traffic: statement texts as journaled
 * (password literals already redacted), decisions, row counts, durations and how many values
 * masking replaced per column or entity. It never holds bound parameters, result values or a
 * target's error message (each may echo data masking hid); errors are reduced to their code.
 */
import type { AuditRecord } from '../audit/events.js';

/** Bumped when a line's meaning changes; additions keep the version. */
export const RECORDING_FORMAT_VERSION = 1;

/** The first line: whose session, to what, from where, since when. */
export interface RecordingHeader {
  readonly type: 'header';
  readonly format: 'airlock.db-session';
  readonly v: number;
  readonly sessionId: string;
  readonly node: string;
  readonly protocol: string;
  readonly connection: string;
  /** Subject, kind, groups, issuer and delegation chain: never a token or a password. */
  readonly identity: unknown;
  readonly client: unknown;
  /** ISO-8601 time of `session.start`; every later line's `t` counts from it. */
  readonly start: string;
}

/**
 * What the line for one sealed record is, or undefined when the record is not recorded. Runs on the
 * statement path (the journal's listener): optional fields are assigned after the literal, not
 * spread into it, since conditional spreads take V8's slow path.
 */
export function recordingLine(record: AuditRecord, startMs: number): Record<string, unknown> | undefined {
  const t = Math.max(0, Date.parse(record.time) - startMs);
  switch (record.type) {
    case 'command': {
      const line: Record<string, unknown> = {
        t,
        type: 'statement',
        commandId: record.commandId,
        channel: record.channel,
        text: record.text,
        action: record.action,
        objects: record.objects,
        decision: record.decision,
        rule: record.rule,
      };
      if (record.approval !== undefined) line.approval = record.approval;
      if (record.approvedBy !== undefined) line.approvedBy = record.approvedBy;
      if (record.error) line.refusal = record.error.code;
      return line;
    }
    case 'command.result': {
      const line: Record<string, unknown> = {
        t,
        type: 'result',
        commandId: record.commandId,
        outcome: record.outcome,
      };
      if (record.rows !== undefined) line.rows = record.rows;
      line.durationMs = record.durationMs;
      if (record.masked) line.masked = record.masked;
      if (record.error) line.error = record.error.code;
      return line;
    }
    case 'session.end': {
      const line: Record<string, unknown> = {
        t,
        type: 'end',
        outcome: record.outcome,
        durationMs: record.durationMs,
        statements: record.statements,
        bytesFromClient: record.bytesFromClient,
        bytesToClient: record.bytesToClient,
      };
      if (record.error) line.error = record.error.code;
      return line;
    }
    default:
      return undefined;
  }
}

/** The header of a recording that `start` (a successful `session.start`) opens. */
export function recordingHeader(start: AuditRecord & { type: 'session.start' }): RecordingHeader {
  return {
    type: 'header',
    format: 'airlock.db-session',
    v: RECORDING_FORMAT_VERSION,
    sessionId: start.sessionId,
    node: start.node,
    protocol: start.protocol,
    connection: start.connection,
    identity: start.identity ?? null,
    client: start.client,
    start: start.time,
  };
}

/** Session ids name files: only these characters are accepted (the gate uses UUIDs). */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True when `id` may be used as a file name. */
export function safeSessionId(id: unknown): id is string {
  return typeof id === 'string' && SAFE_ID.test(id) && !id.includes('..');
}
