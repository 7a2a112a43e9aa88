/**
 * @module Sessions a previous run of this node left open (it was killed, or the machine died) get
 * their `session.end` at the next start, so the trail never shows a session as live forever.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { Protocol } from '../core/connection.js';
import type { IdentityRef } from '../core/identity.js';
import type { Database } from '../store/schema.js';

/** Appends a failed `session.end` for every session of `node` still open in the store. */
export async function closeOrphanedSessions(
  db: Kysely<Database>,
  node: string,
  audit: AuditLog,
  clock: Clock,
): Promise<number> {
  const open = await db
    .selectFrom('sessions')
    .selectAll()
    .where('node', '=', node)
    .where('ended_at', 'is', null)
    .execute();
  for (const row of open) {
    audit.append({
      type: 'session.end',
      sessionId: row.id,
      identity: row.identity ? (JSON.parse(row.identity) as IdentityRef) : undefined,
      connection: row.connection,
      protocol: row.protocol as Protocol,
      durationMs: Math.max(0, clock.nowMs() - Date.parse(row.started_at)),
      bytesFromClient: row.bytes_from_client,
      bytesToClient: row.bytes_to_client,
      statements: row.statements,
      outcome: 'failure',
      error: { code: 'ERR_SESSION_TERMINATED', message: 'the gateway stopped without closing this session' },
    });
  }
  return open.length;
}
