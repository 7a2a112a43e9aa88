/**
 * @module Usage evidence for approvers, read from the audit trail: sessions in the last 30 days,
 * statement counts by action, tables touched and the last use. Bounded reads (newest 2,000
 * command events), so a busy identity cannot make a request slow.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import type { Database } from '../store/schema.js';
import type { Evidence } from './types.js';

const WINDOW_DAYS = 30;
const MAX_COMMANDS = 2000;

/** Evidence of `subject`'s use of `connection`. */
export async function gatherEvidence(
  db: Kysely<Database>,
  clock: Clock,
  subject: string,
  connection: string,
  windowDays: number = WINDOW_DAYS,
): Promise<Evidence> {
  const since = new Date(clock.nowMs() - windowDays * 86_400_000).toISOString();
  const sessions = await db
    .selectFrom('sessions')
    .select(['id', 'started_at', 'statements'])
    .where('subject', '=', subject)
    .where('connection', '=', connection)
    .where('started_at', '>=', since)
    .orderBy('started_at', 'desc')
    .limit(500)
    .execute();
  const commands = await db
    .selectFrom('audit_events')
    .select(['record', 'time'])
    .where('type', '=', 'command')
    .where('subject', '=', subject)
    .where('connection', '=', connection)
    .where('time', '>=', since)
    .orderBy('time', 'desc')
    .limit(MAX_COMMANDS)
    .execute();
  const byAction: Record<string, number> = {};
  const tables = new Set<string>();
  for (const row of commands) {
    const record = JSON.parse(row.record) as { action?: string; objects?: string[]; decision?: string };
    if (record.decision !== 'allow') continue;
    for (const action of (record.action ?? 'sql.unclassified').split(',')) {
      byAction[action] = (byAction[action] ?? 0) + 1;
    }
    for (const object of record.objects ?? []) if (tables.size < 50) tables.add(object);
  }
  return {
    windowDays,
    sessions: sessions.length,
    recentSessions: sessions
      .slice(0, 5)
      .map((s) => ({ id: s.id, startedAt: s.started_at, statements: Number(s.statements) })),
    statementsByAction: byAction,
    tables: [...tables].sort(),
    lastUsedAt: commands[0]?.time ?? sessions[0]?.started_at ?? null,
  };
}
