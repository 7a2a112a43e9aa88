/**
 * @module Projects session events onto the `sessions` table, inside the drainer's transaction:
 * `session.start` inserts the row (a refused start inserts it already ended, as a failure),
 * `command` events count statements while the session is open, `session.end` closes the row with
 * the engine's own totals. Replaying a batch is harmless: starts never overwrite.
 * Records are read as untrusted input (the journal is a file someone could edit): a field of the
 * wrong shape becomes a neutral value, so one odd record cannot fail every later batch.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AuditRecord, SessionEndEvent, SessionStartEvent } from './events.js';

type Sealed<T> = T & Pick<AuditRecord, 'node' | 'time'>;

/** A counter from a record: a non-negative safe integer, else 0. */
function counter(value: unknown): number {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : 0;
}

function textOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

/** Applies one batch of records, in order, to `sessions`. */
export async function projectSessions(db: Kysely<Database>, records: readonly AuditRecord[]): Promise<void> {
  const starts: Sealed<SessionStartEvent>[] = [];
  const ends: Sealed<SessionEndEvent>[] = [];
  // Counted per session and applied as one UPDATE each: a batch of 500 statements from one
  // session costs one write, not 500.
  const commands = new Map<string, number>();
  for (const record of records) {
    if (typeof (record as { sessionId?: unknown }).sessionId !== 'string') continue;
    if (record.type === 'session.start') starts.push(record);
    else if (record.type === 'session.end') ends.push(record);
    else if (record.type === 'command')
      commands.set(record.sessionId, (commands.get(record.sessionId) ?? 0) + 1);
  }
  // Phases keep the batch's order where it matters: a row exists before it is counted or closed,
  // and the end's totals, which the engine counted itself, win over the running count.
  for (const start of starts) {
    const failed = start.outcome === 'failure';
    const identity =
      typeof start.identity === 'object' && start.identity !== null ? start.identity : undefined;
    await db
      .insertInto('sessions')
      .values({
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
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  for (const [id, count] of commands) {
    await db
      .updateTable('sessions')
      .set((eb) => ({ statements: eb('statements', '+', count) }))
      .where('id', '=', id)
      .where('ended_at', 'is', null)
      .execute();
  }
  for (const end of ends) {
    await db
      .updateTable('sessions')
      .set({
        ended_at: end.time,
        outcome: end.outcome === 'failure' ? 'failure' : 'success',
        error_code: textOr(end.error?.code, null),
        bytes_from_client: counter(end.bytesFromClient),
        bytes_to_client: counter(end.bytesToClient),
        statements: counter(end.statements),
      })
      .where('id', '=', end.sessionId)
      .execute();
  }
}
