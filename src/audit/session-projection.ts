/**
 * @module Projects session events onto the `sessions` table, inside the drainer's transaction:
 * `session.start` inserts the row (a refused start inserts it already ended, as a failure),
 * `command` events count statements while the session is open, `session.end` closes the row with
 * the engine's own totals. Replaying a batch is harmless: starts never overwrite.
 * Records are read as untrusted input (the journal is a file someone could edit): a field of the
 * wrong shape becomes a neutral value, so one odd record cannot fail every later batch.
 *
 * Planning (what to write) is separate from applying it, so the kysely path (PostgreSQL) and the
 * prepared-statement path (SQLite, sqlite-batch-writer.ts) share one meaning. A plan is plain data:
 * it can be posted to a worker thread.
 */
import type { Kysely } from 'kysely';
import type { Database, SessionsTable } from '../store/schema.js';
import type { AuditRecord, SessionEndEvent, SessionStartEvent } from './events.js';

type Sealed<T> = T & Pick<AuditRecord, 'node' | 'time'>;

/**
 * The row a `session.start` inserts. `reviewers` is not the journal's to write: the review
 * service tags the row when an approval releases the held session (src/reviews/service.ts).
 */
export type SessionStartRow = Omit<SessionsTable, 'reviewers'>;

/** The columns a `session.end` sets on its row. */
export type SessionEndUpdate = Pick<
  SessionsTable,
  'id' | 'ended_at' | 'outcome' | 'error_code' | 'bytes_from_client' | 'bytes_to_client' | 'statements'
>;

/**
 * The writes one batch makes to `sessions`, applied in this order: a row exists before it is
 * counted or closed, and the end's totals, which the engine counted itself, win over the running
 * count.
 */
export interface SessionPlan {
  /** Rows to insert unless the id exists. */
  readonly starts: SessionStartRow[];
  /** [session id, statements to add while the row is open]: one UPDATE per session per batch. */
  readonly counts: [string, number][];
  readonly ends: SessionEndUpdate[];
}

/** A counter from a record: a non-negative safe integer, else 0. */
function counter(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
}

function textOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

function startRow(start: Sealed<SessionStartEvent>): SessionStartRow {
  const failed = start.outcome === 'failure';
  const identity = typeof start.identity === 'object' && start.identity !== null ? start.identity : undefined;
  return {
    id: start.sessionId,
    node: start.node,
    protocol: textOr(start.protocol, ''),
    subject: textOr(identity?.subject, null),
    identity: identity ? JSON.stringify(identity) : null,
    connection: textOr(start.connection, ''),
    client_address: textOr(start.client?.address, ''),
    started_at: start.time,
    ended_at: failed ? start.time : null,
    outcome: failed ? 'failure' : null,
    error_code: textOr(start.error?.code, null),
    bytes_from_client: 0,
    bytes_to_client: 0,
    statements: 0,
  };
}

function endUpdate(end: Sealed<SessionEndEvent>): SessionEndUpdate {
  return {
    id: end.sessionId,
    ended_at: end.time,
    outcome: end.outcome === 'failure' ? 'failure' : 'success',
    error_code: textOr(end.error?.code, null),
    bytes_from_client: counter(end.bytesFromClient),
    bytes_to_client: counter(end.bytesToClient),
    statements: counter(end.statements),
  };
}

/** What one batch of records, in order, writes to `sessions`. */
export function planSessions(records: Iterable<AuditRecord>): SessionPlan {
  const starts: SessionStartRow[] = [];
  const ends: SessionEndUpdate[] = [];
  // Counted per session and applied as one UPDATE each: a batch of 500 statements from one
  // session costs one write, not 500.
  const commands = new Map<string, number>();
  for (const record of records) {
    if (typeof (record as { sessionId?: unknown }).sessionId !== 'string') continue;
    if (record.type === 'session.start') starts.push(startRow(record));
    else if (record.type === 'session.end') ends.push(endUpdate(record));
    else if (record.type === 'command')
      commands.set(record.sessionId, (commands.get(record.sessionId) ?? 0) + 1);
  }
  return { starts, counts: [...commands], ends };
}

/** Applies `plan` through kysely (any dialect); the caller supplies the transaction. */
export async function applySessionPlan(db: Kysely<Database>, plan: SessionPlan): Promise<void> {
  for (const row of plan.starts) {
    await db
      .insertInto('sessions')
      .values(row)
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  for (const [id, count] of plan.counts) {
    await db
      .updateTable('sessions')
      .set((eb) => ({ statements: eb('statements', '+', count) }))
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }
  for (const { id, ...set } of plan.ends) {
    await db.updateTable('sessions').set(set).where('id', '=', id).execute();
  }
}

/** Applies one batch of records, in order, to `sessions`. */
export async function projectSessions(db: Kysely<Database>, records: readonly AuditRecord[]): Promise<void> {
  await applySessionPlan(db, planSessions(records));
}
