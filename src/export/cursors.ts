/**
 * @module The exporter's view of the store: which nodes have events and how far (`audit_anchors`,
 * one small row per node, instead of scanning `audit_events`), where each node's chain now starts
 * (`audit_checkpoints`, after retention), the events after a cursor, and the cursors themselves
 * (`export_cursors`, one row per sink and node).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { ExportEvent } from './sink.js';

/** How far a node's chain reaches in the store. */
export interface NodeExtent {
  readonly node: string;
  /** Seq of the newest stored event (the anchor). */
  readonly lastSeq: number;
  /** Seq of the last event retention deleted (0 when none): nothing at or below it can be read. */
  readonly deletedThrough: number;
}

/** Nodes with stored events, by name. */
export async function nodeExtents(db: Kysely<Database>): Promise<NodeExtent[]> {
  const anchors = await db.selectFrom('audit_anchors').select(['node', 'seq']).orderBy('node').execute();
  const checkpoints = await db.selectFrom('audit_checkpoints').select(['node', 'seq']).execute();
  const deleted = new Map(checkpoints.map((c) => [c.node, Number(c.seq)]));
  return anchors.map((a) => ({
    node: a.node,
    lastSeq: Number(a.seq),
    deletedThrough: deleted.get(a.node) ?? 0,
  }));
}

/** The sink's cursors by node (absent: nothing delivered yet). */
export async function readCursors(db: Kysely<Database>, sink: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('export_cursors')
    .select(['node', 'seq'])
    .where('sink', '=', sink)
    .execute();
  return new Map(rows.map((r) => [r.node, Number(r.seq)]));
}

/**
 * Events of `node` after `afterSeq`, in seq order: at most `limit`, and no more than `maxBytes` of
 * record text once the first is in (one oversized record still goes alone).
 */
export async function readEventsAfter(
  db: Kysely<Database>,
  node: string,
  afterSeq: number,
  limit: number,
  maxBytes: number,
): Promise<ExportEvent[]> {
  const rows = await db
    .selectFrom('audit_events')
    .select(['seq', 'record'])
    .where('node', '=', node)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  const events: ExportEvent[] = [];
  let bytes = 0;
  for (const row of rows) {
    bytes += row.record.length;
    if (events.length > 0 && bytes > maxBytes) break;
    events.push({ seq: Number(row.seq), record: row.record });
  }
  return events;
}

/**
 * Moves the sink's cursor for `node` to `seq`. Never moves it back: a replica or an earlier run
 * that delivered further wins (the update only applies to a lower stored seq).
 */
export async function advanceCursor(
  db: Kysely<Database>,
  sink: string,
  node: string,
  seq: number,
  at: string,
): Promise<void> {
  await db
    .insertInto('export_cursors')
    .values({ sink, node, seq, updated_at: at })
    .onConflict((oc) =>
      oc.columns(['sink', 'node']).doUpdateSet({ seq, updated_at: at }).where('export_cursors.seq', '<', seq),
    )
    .execute();
}

/** Events stored but not yet delivered to a sink with these cursors. */
export function lagOf(extents: readonly NodeExtent[], cursors: ReadonlyMap<string, number>): number {
  let lag = 0;
  for (const extent of extents) {
    const from = Math.max(cursors.get(extent.node) ?? 0, extent.deletedThrough);
    lag += Math.max(0, extent.lastSeq - from);
  }
  return lag;
}
