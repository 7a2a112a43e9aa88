/**
 * @module Reads the stored audit trail: events by identity, group, delegation chain, connection,
 * type, session and time (`searchAudit`), and the session projection (`listSessions`).
 * With a limit, both return the most recent matches, oldest first (like `tail`): the newest
 * activity is what an operator looks for, and reading top-down follows time.
 */
import type { Kysely } from 'kysely';
import { AirlockError } from '../core/errors.js';
import type { IdentityRef } from '../core/identity.js';
import type { Database, SessionsTable } from '../store/schema.js';
import type { AuditRecord } from './events.js';

/** What `searchAudit` matches. Every given field must match. */
export interface AuditFilter {
  /** The event's subject: the session's identity, or the actor of an admin event. */
  readonly identity?: string;
  /** One of the subject's groups. */
  readonly group?: string;
  readonly connection?: string;
  /** Event type, e.g. `command`. */
  readonly type?: string;
  readonly sessionId?: string;
  /** The subject itself or any actor in its delegation chain. */
  readonly onBehalfOf?: string;
  /** Inclusive. */
  readonly since?: Date;
  /** Exclusive. */
  readonly until?: Date;
  /** Default 1000, at most 10000. */
  readonly limit?: number;
}

/** What `listSessions` matches. */
export interface SessionFilter {
  readonly identity?: string;
  readonly connection?: string;
  /** Sessions started at or after. */
  readonly since?: Date;
  /** Sessions started before. */
  readonly until?: Date;
  /** Default 1000, at most 10000. */
  readonly limit?: number;
}

/** A session row, as the CLI and API show it. Times are ISO-8601 strings (JSON-ready). */
export interface SessionSummary {
  readonly id: string;
  readonly node: string;
  readonly protocol: string;
  readonly subject: string | null;
  readonly identity: IdentityRef | null;
  readonly connection: string;
  readonly clientAddress: string;
  readonly startedAt: string;
  /** Null while the session is open (or when its node stopped before writing the end). */
  readonly endedAt: string | null;
  /** Null while open; `failure` also for sessions refused at start. */
  readonly outcome: 'success' | 'failure' | null;
  readonly errorCode: string | null;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  readonly statements: number;
  /** Who certified the review the session was held for; absent when it was not held (or not yet). */
  readonly reviewers?: readonly string[];
}

/** The `sessions.reviewers` column read loosely: a JSON list of strings, anything else is null. */
export function parseReviewers(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const list: unknown = JSON.parse(text);
    return Array.isArray(list) ? list.map(String) : null;
  } catch {
    return null;
  }
}

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

function checkedLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new AirlockError(
      'ERR_BAD_REQUEST',
      `limit must be an integer from 1 to ${MAX_LIMIT}, got ${limit}`,
    );
  }
  return limit;
}

/** The JSON text an array column holds around `name`: `"name"` with JSON escapes. */
function jsonMember(name: string): string {
  return JSON.stringify(name);
}

/** Stored audit records matching `filter`, ordered by time, then node and seq. */
export async function searchAudit(db: Kysely<Database>, filter: AuditFilter = {}): Promise<AuditRecord[]> {
  const limit = checkedLimit(filter.limit);
  let query = db.selectFrom('audit_events').select(['record', 'time', 'node', 'seq']);
  if (filter.identity !== undefined) query = query.where('subject', '=', filter.identity);
  if (filter.connection !== undefined) query = query.where('connection', '=', filter.connection);
  if (filter.type !== undefined) query = query.where('type', '=', filter.type);
  if (filter.sessionId !== undefined) query = query.where('session_id', '=', filter.sessionId);
  if (filter.since) query = query.where('time', '>=', filter.since.toISOString());
  if (filter.until) query = query.where('time', '<', filter.until.toISOString());
  // Array columns hold JSON text such as ["ops","dba"]; looking for the quoted member finds exactly
  // that element (quotes bound it), the same way on SQLite (strpos registered in db.ts) and PostgreSQL.
  const group = filter.group;
  if (group !== undefined)
    query = query.where((eb) => eb(eb.fn('strpos', ['groups', eb.val(jsonMember(group))]), '>', 0));
  const actor = filter.onBehalfOf;
  if (actor !== undefined) {
    query = query.where((eb) =>
      eb.or([eb('subject', '=', actor), eb(eb.fn('strpos', ['chain', eb.val(jsonMember(actor))]), '>', 0)]),
    );
  }
  const rows = await query
    .orderBy('time', 'desc')
    .orderBy('node', 'desc')
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  rows.reverse();
  return rows.map((row) => JSON.parse(row.record) as AuditRecord);
}

function toSummary(row: SessionsTable): SessionSummary {
  const reviewers = parseReviewers(row.reviewers);
  return {
    id: row.id,
    node: row.node,
    protocol: row.protocol,
    subject: row.subject,
    identity: row.identity ? (JSON.parse(row.identity) as IdentityRef) : null,
    connection: row.connection,
    clientAddress: row.client_address,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome === 'success' || row.outcome === 'failure' ? row.outcome : null,
    errorCode: row.error_code,
    bytesFromClient: Number(row.bytes_from_client),
    bytesToClient: Number(row.bytes_to_client),
    statements: Number(row.statements),
    ...(reviewers ? { reviewers } : {}),
  };
}

/** Sessions matching `filter`, ordered by start time (then id). */
export async function listSessions(
  db: Kysely<Database>,
  filter: SessionFilter = {},
): Promise<SessionSummary[]> {
  const limit = checkedLimit(filter.limit);
  let query = db.selectFrom('sessions').selectAll();
  if (filter.identity !== undefined) query = query.where('subject', '=', filter.identity);
  if (filter.connection !== undefined) query = query.where('connection', '=', filter.connection);
  if (filter.since) query = query.where('started_at', '>=', filter.since.toISOString());
  if (filter.until) query = query.where('started_at', '<', filter.until.toISOString());
  const rows = await query.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  rows.reverse();
  return rows.map(toSummary);
}
