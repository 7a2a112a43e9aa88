/**
 * @module Deletes audit events older than `retention.audit`, node by node, oldest first, and moves
 * each node's signed checkpoint forward so `airlock audit verify` still reads OK afterwards.
 *
 * What it never deletes, by design:
 * - an event an export sink has not delivered yet: each node stops at the slowest configured
 *   sink's cursor (a sink that is down holds retention back; the run says which one, `heldBy`);
 * - the newest stored event of a node: the drainer resumes after the highest stored seq, so an
 *   emptied node would be drained again from its journal file;
 * - an event that does not verify, or anything after it: each chunk is checked (hashes, links,
 *   columns) before it is deleted, and only its verified prefix goes, so retention never signs a
 *   checkpoint over a tampered chain; the run reports where it stopped (`stoppedAt`, `problem`).
 *
 * Each chunk is one transaction: the rows go and the checkpoint moves together. Sessions rows of
 * the node that ended before the last deleted event go with them. One `retention.run` event
 * records what was deleted whenever something was (or something stopped it).
 */
import type { Kysely } from 'kysely';
import { GENESIS_HASH } from '../audit/chain.js';
import type { AuditLog, AuditRecord, RetentionNodeResult } from '../audit/events.js';
import { checkStoredEvent } from '../audit/verify.js';
import type { Clock } from '../core/clock.js';
import type { RetentionPeriod } from '../core/config.js';
import type { IdentityRef } from '../core/identity.js';
import type { Database } from '../store/schema.js';
import { checkpointSignatureValid, signCheckpoint } from './checkpoint.js';

/** The identity retention acts as in its audit event. */
export const RETENTION_ACTOR: IdentityRef = Object.freeze({
  subject: 'airlock',
  kind: 'service',
  groups: [],
  issuer: 'local',
  chain: [],
});

/** What one retention run needs. */
export interface AuditRetentionOptions {
  readonly db: Kysely<Database>;
  /** The node key: checks the current checkpoint and signs the new one. */
  readonly key: Buffer;
  readonly clock: Clock;
  /** Where the `retention.run` event goes (the server's journal). */
  readonly audit: AuditLog;
  readonly period: RetentionPeriod;
  /** Names of the configured export sinks, whose cursors bound what may be deleted. */
  readonly sinks: readonly string[];
  /** Events per transaction. Default 1000. */
  readonly chunkSize?: number;
}

/** The outcome of a run. */
export interface AuditRetentionResult {
  readonly cutoff: string;
  readonly deleted: number;
  readonly sessions: number;
  readonly nodes: RetentionNodeResult[];
  /** The `retention.run` event, when one was written. */
  readonly event?: AuditRecord;
}

interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
}

/** Runs retention once over every node in the store. */
export async function runAuditRetention(options: AuditRetentionOptions): Promise<AuditRetentionResult> {
  const { db } = options;
  const cutoff = new Date(options.clock.nowMs() - options.period.ms).toISOString();
  const anchors = await db.selectFrom('audit_anchors').select(['node', 'seq']).orderBy('node').execute();
  const nodes: RetentionNodeResult[] = [];
  let deleted = 0;
  let sessions = 0;
  for (const anchor of anchors) {
    const result = await retainNode(options, anchor.node, Number(anchor.seq), cutoff);
    deleted += result.node.deleted;
    sessions += result.sessions;
    if (result.node.deleted > 0 || result.node.problem || result.node.heldBy) nodes.push(result.node);
  }
  const summary = { cutoff, deleted, sessions, nodes };
  if (deleted === 0 && !nodes.some((n) => n.problem)) return summary;
  const event = options.audit.append({
    type: 'retention.run',
    actor: RETENTION_ACTOR,
    cutoff,
    period: options.period.text,
    deleted,
    sessions,
    nodes,
  });
  return { ...summary, event };
}

async function retainNode(
  options: AuditRetentionOptions,
  node: string,
  anchorSeq: number,
  cutoff: string,
): Promise<{ node: RetentionNodeResult; sessions: number }> {
  const { db, key } = options;
  const row = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('node', '=', node)
    .executeTakeFirst();
  let checkpoint: Checkpoint = row
    ? { seq: Number(row.seq), hash: row.hash }
    : { seq: 0, hash: GENESIS_HASH };
  const result = (
    deleted: number,
    extra: { heldBy?: string; stoppedAt?: number; problem?: string },
    sessions = 0,
  ) => ({
    node: { node, deleted, throughSeq: checkpoint.seq, ...extra },
    sessions,
  });
  if (row && !checkpointSignatureValid(key, node, checkpoint.seq, checkpoint.hash, row.signature)) {
    return result(0, { problem: `the checkpoint at #${checkpoint.seq} does not verify with the node key` });
  }

  // Only a prefix of the chain may go: up to the first event still within the period.
  const firstFresh = await db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.min('seq').as('seq'))
    .where('node', '=', node)
    .where('time', '>=', cutoff)
    .executeTakeFirst();
  const byAge = firstFresh?.seq == null ? anchorSeq : Number(firstFresh.seq) - 1;
  let upTo = Math.min(byAge, anchorSeq - 1);
  let heldBy: string | undefined;
  for (const sink of options.sinks) {
    const cursor = await db
      .selectFrom('export_cursors')
      .select('seq')
      .where('sink', '=', sink)
      .where('node', '=', node)
      .executeTakeFirst();
    const delivered = cursor ? Number(cursor.seq) : 0;
    if (delivered < upTo) {
      upTo = delivered;
      heldBy = sink;
    }
  }
  const held = heldBy ? { heldBy } : {};

  let deleted = 0;
  let lastDeletedTime: string | undefined;
  const chunkSize = options.chunkSize ?? 1000;
  while (checkpoint.seq < upTo) {
    const end = Math.min(upTo, checkpoint.seq + chunkSize);
    const step = await deleteChunk(options, node, checkpoint, end);
    checkpoint = step.checkpoint;
    deleted += step.deleted;
    lastDeletedTime = step.lastTime ?? lastDeletedTime;
    if (step.stop) {
      const stopped = { ...held, stoppedAt: step.stop.seq, problem: step.stop.problem };
      return result(deleted, stopped, await dropSessions());
    }
  }
  return result(deleted, held, await dropSessions());

  /** Sessions of this node that ended before the last deleted event: their events are gone. */
  async function dropSessions(): Promise<number> {
    if (lastDeletedTime === undefined) return 0;
    const gone = await db
      .deleteFrom('sessions')
      .where('node', '=', node)
      .where('ended_at', 'is not', null)
      .where('ended_at', '<', lastDeletedTime)
      .executeTakeFirst();
    return Number(gone.numDeletedRows);
  }
}

/** What one chunk did; `stop` is set when a bad event ended the node's run. */
interface ChunkResult {
  readonly checkpoint: Checkpoint;
  readonly deleted: number;
  /** Time of the last deleted event (undefined when none was). */
  readonly lastTime: string | undefined;
  readonly stop?: { readonly seq: number; readonly problem: string };
}

/**
 * Checks the events after `from` up to `end` and deletes the verified prefix in one transaction,
 * moving the checkpoint to its last event: all of them, or those before the first event that
 * does not verify (edited, relinked, missing), which is then reported as `stop`. The good events
 * before a tampered one are as old and as verified as any: keeping them would only hold back the
 * period, while the bad event and everything after it stay for `airlock audit verify` to show.
 */
async function deleteChunk(
  options: AuditRetentionOptions,
  node: string,
  from: Checkpoint,
  end: number,
): Promise<ChunkResult> {
  return options.db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('audit_events')
      .selectAll()
      .where('node', '=', node)
      .where('seq', '>', from.seq)
      .where('seq', '<=', end)
      .orderBy('seq')
      .execute();
    let expected = from.seq + 1;
    let prevHash = from.hash;
    let good: (typeof rows)[number] | undefined;
    let stop: ChunkResult['stop'];
    for (const row of rows) {
      const why = Number(row.seq) !== expected ? 'is missing' : checkStoredEvent(row, prevHash);
      if (why) {
        stop = stopAt(node, expected, why);
        break;
      }
      good = row;
      prevHash = row.hash;
      expected++;
    }
    if (!stop && expected <= end) stop = stopAt(node, expected, 'is missing');
    if (!good) return { checkpoint: from, deleted: 0, lastTime: undefined, ...(stop ? { stop } : {}) };
    const through = Number(good.seq);
    const gone = await trx
      .deleteFrom('audit_events')
      .where('node', '=', node)
      .where('seq', '<=', through)
      .executeTakeFirst();
    const at = options.clock.now().toISOString();
    const signature = signCheckpoint(options.key, node, through, good.hash);
    // Never moves back: a replica that ran at the same time and got further keeps its checkpoint.
    await trx
      .insertInto('audit_checkpoints')
      .values({ node, seq: through, hash: good.hash, signature, updated_at: at })
      .onConflict((oc) =>
        oc
          .column('node')
          .doUpdateSet({ seq: through, hash: good.hash, signature, updated_at: at })
          .where('audit_checkpoints.seq', '<', through),
      )
      .execute();
    return {
      checkpoint: { seq: through, hash: good.hash },
      deleted: Number(gone.numDeletedRows),
      lastTime: good.time,
      ...(stop ? { stop } : {}),
    };
  });
}

/** `why` is `checkStoredEvent`'s reason (`hash mismatch (edited)`) or `is missing`. */
function stopAt(node: string, seq: number, why: string): { seq: number; problem: string } {
  const what = why === 'is missing' ? `event ${node}#${seq} is missing` : `event ${node}#${seq}: ${why}`;
  return { seq, problem: `${what}; retention stopped there: nothing from it on was deleted` };
}
