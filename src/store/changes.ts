/**
 * @module The change feed. Writes that another process must notice (a token revoked, a grant
 * approved) add a row here in the same transaction; running servers poll `latestChangeId` and read
 * `changesSince` to react within a second, whichever replica or CLI made the change.
 *
 * On PostgreSQL, ids come from a sequence at insert time, so a transaction that commits late can
 * make a lower id appear after a poller has moved past it. Pollers should treat changes as hints
 * and re-read a small window below their last id (or re-check state periodically); on SQLite,
 * writers are serialised and ids appear in order.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { Database } from './schema.js';

/** One change as read back. */
export interface Change {
  readonly id: number;
  /** What changed, e.g. `token.revoked`. */
  readonly kind: string;
  /** Which object, e.g. the token name. */
  readonly ref: string;
  /** ISO-8601. */
  readonly at: string;
}

/** Adds a change row. Pass the transaction that makes the change, so both commit together. */
export async function recordChange(
  db: Kysely<Database>,
  kind: string,
  ref: string,
  clock: Clock,
): Promise<number> {
  const row = await db
    .insertInto('changes')
    .values({ kind, ref, at: clock.now().toISOString() })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

/** The highest change id, or 0 when there is none. A poller starts from here. */
export async function latestChangeId(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('changes')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirst();
  return row?.id == null ? 0 : Number(row.id);
}

/** Changes with an id above `afterId`, oldest first, at most `limit`. */
export async function changesSince(db: Kysely<Database>, afterId: number, limit = 1000): Promise<Change[]> {
  const rows = await db
    .selectFrom('changes')
    .selectAll()
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ id: Number(row.id), kind: row.kind, ref: row.ref, at: row.at }));
}
