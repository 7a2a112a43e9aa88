/**
 * @module What one drain transaction writes, and writing it through kysely. A batch is the
 * events' rows, their session projection and the node's signed anchor; it is plain data, so the
 * SQLite fast path (sqlite-batch-writer.ts) can take it on the main thread or in a worker.
 */
import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import type { AuditAnchorsTable, AuditEventsTable, Database } from '../store/schema.js';
import { signAnchor } from './chain.js';
import type { AuditRecord } from './events.js';
import { type JournalEntry, parseJournalLine } from './journal-file.js';
import { toAuditRow } from './rows.js';
import { applySessionPlan, planSessions, type SessionPlan } from './session-projection.js';

/** Everything one transaction stores: the rows, in seq order, then the projection, then the anchor. */
export interface StoreBatch {
  readonly events: AuditEventsTable[];
  readonly sessions: SessionPlan;
  /** Points at the batch's last record; signed with the node key. */
  readonly anchor: AuditAnchorsTable;
}

/** Rows per INSERT statement: 200 × 13 columns stays far below every driver's parameter limit. */
const ROWS_PER_INSERT = 200;

/** The node's anchor at `last`, signed with the node key. */
export function signedAnchor(last: AuditRecord, node: string, key: Buffer, clock: Clock): AuditAnchorsTable {
  return {
    node,
    seq: last.seq,
    hash: last.hash,
    signature: signAnchor(key, node, last.seq, last.hash),
    updated_at: clock.now().toISOString(),
  };
}

/** The batch for `entries` (non-empty, this node's, rising seq). */
export function buildStoreBatch(
  entries: readonly JournalEntry[],
  node: string,
  key: Buffer,
  clock: Clock,
): StoreBatch {
  const events: AuditEventsTable[] = new Array(entries.length);
  const records: AuditRecord[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const { record, json } = entries[i]!;
    events[i] = toAuditRow(record, json);
    records[i] = record;
  }
  return {
    events,
    sessions: planSessions(records),
    anchor: signedAnchor(records[records.length - 1]!, node, key, clock),
  };
}

/**
 * The batch for journal `lines` whose anchor the caller signed (the drain worker's side: the
 * lines were records when the drainer picked them, so one that no longer parses is a bug).
 */
export function batchFromLines(lines: readonly string[], anchor: AuditAnchorsTable): StoreBatch {
  const events: AuditEventsTable[] = new Array(lines.length);
  const records: AuditRecord[] = new Array(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const record = parseJournalLine(lines[i]!);
    if (!record) throw new AirlockError('ERR_INTERNAL', 'the drain worker got a line that is not a record');
    events[i] = toAuditRow(record, lines[i]!);
    records[i] = record;
  }
  return { events, sessions: planSessions(records), anchor };
}

/** Writes `batch` in one kysely transaction (the PostgreSQL path, and SQLite without its handle). */
export async function writeBatchKysely(db: Kysely<Database>, batch: StoreBatch): Promise<void> {
  const { node, ...anchor } = batch.anchor;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < batch.events.length; i += ROWS_PER_INSERT) {
      await trx
        .insertInto('audit_events')
        .values(batch.events.slice(i, i + ROWS_PER_INSERT))
        .execute();
    }
    await applySessionPlan(trx, batch.sessions);
    await trx
      .insertInto('audit_anchors')
      .values(batch.anchor)
      .onConflict((oc) => oc.column('node').doUpdateSet(anchor))
      .execute();
  });
}
