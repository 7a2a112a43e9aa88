/**
 * @module One session in detail, read back from the stored audit trail: its header (who, from
 * where, to which connection, how it ended) and its statements in order, each `command` joined to
 * its `command.result` by `commandId`. The basis for `airlock sessions show` and the console's
 * replay. Records are read as untrusted input (the journal is a file someone could edit): a field
 * of the wrong shape is left out rather than failing the whole read.
 */
import type { Kysely } from 'kysely';
import { AirlockError } from '../core/errors.js';
import type { IdentityRef } from '../core/identity.js';
import type { ClientInfo } from '../core/session.js';
import type { Database } from '../store/schema.js';
import type { AuditError, AuditRecord, CommandEvent, CommandResultEvent } from './events.js';
import { parseReviewers } from './search.js';

/**
 * How a held statement was approved, from its `command` record (`approval`, `approvedBy`, written
 * by the review gate). Absent for statements that were never held.
 */
export interface StatementApproval {
  /** The approval request that decided it (`airlock approvals show N`). */
  readonly request: number;
  /** The reviewers who approved it; absent when it was not approved. */
  readonly approvedBy?: readonly string[];
}

/**
 * Values masked in one statement's results: per `table.column`, `derived`, `notice` or content
 * entity (`EMAIL`, ...), as the `command.result` event records them; never the values.
 */
export interface StatementMasking {
  readonly entity: string;
  readonly values: number;
}

/** How a forwarded statement ended at the target (`command.result`). */
export interface StatementResult {
  readonly outcome: 'success' | 'error';
  readonly rows?: number;
  readonly durationMs: number;
  readonly error?: AuditError;
  /** When the result was recorded (ISO-8601). */
  readonly time: string;
}

/** One statement of the session, in the order the gate decided it. */
export interface StatementDetail {
  readonly commandId: number;
  /** When the gate decided it (ISO-8601). */
  readonly time: string;
  readonly channel: string;
  /** As journaled: password literals already redacted. */
  readonly text: string;
  readonly parameters?: readonly (string | null)[];
  readonly action: string;
  readonly objects: readonly string[];
  readonly decision: 'allow' | 'deny';
  readonly rule: string;
  /** What the client was told when the gate refused it. */
  readonly refusal?: AuditError;
  /** Absent while the target has not answered (or when no result was journaled). */
  readonly result?: StatementResult;
  /** Present only for statements held for review. */
  readonly approval?: StatementApproval;
  /** What masking replaced in the answer; absent when nothing was masked. */
  readonly masked?: readonly StatementMasking[];
}

/** The session itself. */
export interface SessionHeader {
  readonly id: string;
  readonly node: string;
  readonly protocol: string;
  /** Null when authentication failed. */
  readonly identity: IdentityRef | null;
  readonly connection: string;
  readonly client: ClientInfo | null;
  readonly reason?: string;
  readonly startedAt: string;
  /** Null while open. */
  readonly endedAt: string | null;
  readonly durationMs: number | null;
  /** Null while open. */
  readonly outcome: 'success' | 'failure' | null;
  readonly error?: AuditError;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  readonly statements: number;
  /** Who certified the review the session was held for; absent when it was not held. */
  readonly reviewers?: readonly string[];
}

/** A session with its statements. */
export interface SessionDetail {
  readonly session: SessionHeader;
  readonly statements: readonly StatementDetail[];
  /** True when the session has more statements than the limit asked for. */
  readonly truncated: boolean;
}

/** Statements returned by default, and at most. */
export const DEFAULT_STATEMENT_LIMIT = 10_000;
export const MAX_STATEMENT_LIMIT = 100_000;

const STATEMENT_TYPES = ['command', 'command.result'] as const;
const SESSION_TYPES = ['session.start', 'session.end'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function auditError(value: unknown): AuditError | undefined {
  if (!isObject(value) || typeof value.code !== 'string') return undefined;
  return { code: value.code, message: typeof value.message === 'string' ? value.message : '' };
}

function count(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
}

function toStatement(record: CommandEvent & Pick<AuditRecord, 'time'>): StatementDetail | undefined {
  const commandId = count(record.commandId);
  if (commandId === undefined) return undefined;
  const refusal = record.decision === 'deny' ? auditError(record.error) : undefined;
  const approval = approvalOf(record);
  return {
    commandId,
    time: record.time,
    channel: String(record.channel),
    text: String(record.text),
    ...(Array.isArray(record.parameters) ? { parameters: record.parameters } : {}),
    action: String(record.action),
    objects: Array.isArray(record.objects) ? record.objects.map(String) : [],
    decision: record.decision === 'allow' ? 'allow' : 'deny',
    rule: String(record.rule),
    ...(refusal ? { refusal } : {}),
    ...(approval ? { approval } : {}),
  };
}

/** Read loosely: records written before the review gate existed have neither field. */
function approvalOf(record: object): StatementApproval | undefined {
  const { approval, approvedBy } = record as { approval?: unknown; approvedBy?: unknown };
  const request = count(approval);
  if (request === undefined) return undefined;
  return {
    request,
    ...(Array.isArray(approvedBy) ? { approvedBy: approvedBy.map(String) } : {}),
  };
}

function toResult(record: CommandResultEvent & Pick<AuditRecord, 'time'>): StatementResult {
  const rows = count(record.rows);
  const error = auditError(record.error);
  return {
    outcome: record.outcome === 'success' ? 'success' : 'error',
    ...(rows !== undefined ? { rows } : {}),
    durationMs: typeof record.durationMs === 'number' ? record.durationMs : 0,
    ...(error ? { error } : {}),
    time: record.time,
  };
}

/**
 * Joins a session's `command` and `command.result` records (in chain order) into statements, in
 * the order they were decided. A result joins the latest command with its id: ids only grow within
 * a session, so an earlier one with the same id would be an edited journal.
 */
export function joinStatements(records: readonly AuditRecord[]): StatementDetail[] {
  const statements: StatementDetail[] = [];
  const byId = new Map<number, number>();
  for (const record of records) {
    if (record.type === 'command') {
      const statement = toStatement(record);
      if (!statement) continue;
      byId.set(statement.commandId, statements.length);
      statements.push(statement);
    } else if (record.type === 'command.result') {
      const index = byId.get(record.commandId);
      const statement = index === undefined ? undefined : statements[index];
      // A second result for the same command (e.g. a replayed journal line) keeps the first.
      if (index === undefined || !statement || statement.result) continue;
      const masked = Object.entries(record.masked ?? {}).map(([entity, values]) => ({ entity, values }));
      statements[index] = {
        ...statement,
        result: toResult(record),
        ...(masked.length > 0 ? { masked } : {}),
      };
    }
  }
  return statements;
}

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_STATEMENT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_STATEMENT_LIMIT) {
    throw new AirlockError(
      'ERR_BAD_REQUEST',
      `limit must be an integer from 1 to ${MAX_STATEMENT_LIMIT}, got ${limit}`,
    );
  }
  return limit;
}

/**
 * The session `id` with its first `limit` statements, or undefined when no such session is stored.
 * Reads the `sessions` row, the session's start and end records and its statement records.
 */
export async function readSessionDetail(
  db: Kysely<Database>,
  id: string,
  options: { readonly limit?: number } = {},
): Promise<SessionDetail | undefined> {
  const limit = checkedLimit(options.limit);
  const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  const parse = (rows: readonly { record: string }[]) => rows.map((r) => JSON.parse(r.record) as AuditRecord);
  const bounds = parse(
    await db
      .selectFrom('audit_events')
      .select('record')
      .where('session_id', '=', id)
      .where('type', 'in', SESSION_TYPES)
      .orderBy('node')
      .orderBy('seq')
      .execute(),
  );
  // Each command has at most one result: twice the limit (plus one to notice more) covers it.
  const events = parse(
    await db
      .selectFrom('audit_events')
      .select('record')
      .where('session_id', '=', id)
      .where('type', 'in', STATEMENT_TYPES)
      .orderBy('node')
      .orderBy('seq')
      .limit(limit * 2 + 1)
      .execute(),
  );
  const statements = joinStatements(events);
  const start = bounds.find((r) => r.type === 'session.start');
  const end = bounds.find((r) => r.type === 'session.end');
  const client = start?.type === 'session.start' && isObject(start.client) ? start.client : null;
  const reason = start?.type === 'session.start' ? start.reason : undefined;
  const endError = end?.type === 'session.end' ? auditError(end.error) : undefined;
  const startError = start?.type === 'session.start' ? auditError(start.error) : undefined;
  const error = endError ?? startError;
  const reviewers = parseReviewers(row.reviewers);
  const header: SessionHeader = {
    id: row.id,
    node: row.node,
    protocol: row.protocol,
    identity: row.identity ? (JSON.parse(row.identity) as IdentityRef) : null,
    connection: row.connection,
    client,
    ...(typeof reason === 'string' ? { reason } : {}),
    startedAt: row.started_at,
    endedAt: row.ended_at,
    durationMs: end?.type === 'session.end' ? (count(end.durationMs) ?? null) : null,
    outcome: row.outcome === 'success' || row.outcome === 'failure' ? row.outcome : null,
    ...(error ? { error } : {}),
    bytesFromClient: Number(row.bytes_from_client),
    bytesToClient: Number(row.bytes_to_client),
    statements: Number(row.statements),
    ...(reviewers ? { reviewers } : {}),
  };
  return {
    session: header,
    statements: statements.slice(0, limit),
    truncated: statements.length > limit || events.length > limit * 2,
  };
}
