/**
 * @module Checks the stored audit trail: per node, every event in sequence order, its hash, its
 * link to the previous event, its searchable columns against its record, and finally the signed
 * anchor against the last event. Reading is paged, so memory stays flat on any table size.
 *
 * Chains are checked from seq 1, or, once retention has deleted a node's oldest events, from its
 * signed checkpoint in `audit_checkpoints` (seq and hash of the last deleted event): the first kept
 * event must follow it and link to its hash, and the checkpoint's signature must verify.
 */
import type { Kysely } from 'kysely';
import { checkpointSignatureValid } from '../retention/checkpoint.js';
import type { AuditEventsTable, Database } from '../store/schema.js';
import { anchorSignatureValid, checkRecordHash, GENESIS_HASH } from './chain.js';
import type { AuditRecord } from './events.js';
import { INDEXED_COLUMNS, toAuditRow } from './rows.js';

/** The first problem found in one node's chain. */
export interface VerifyProblem {
  readonly node: string;
  /** The first event that is wrong or missing. */
  readonly seq: number;
  /** One line naming the event and what is wrong, e.g. "event node-a#17: hash mismatch (edited)". */
  readonly reason: string;
}

/** What was checked for one node. */
export interface NodeVerifyReport {
  readonly node: string;
  /** Events checked and found good. */
  readonly events: number;
  /** Seq of the last good event (0 when none). */
  readonly lastSeq: number;
  readonly ok: boolean;
  /** False when no key was given for this node, so its anchor's signature could not be checked. */
  readonly anchorSignatureChecked: boolean;
  /** Present when retention deleted the node's oldest events: the walk started after this seq. */
  readonly checkpointSeq?: number;
}

/** The result of `verifyAudit`. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly nodes: NodeVerifyReport[];
  /** The first problem, in node order; absent when `ok`. */
  readonly firstBad?: VerifyProblem;
  /** The first problem of each bad node. */
  readonly problems: VerifyProblem[];
}

/**
 * The key that signed a node's anchor. Replicas that share a store should share one node.key so
 * that any of them can check all anchors; a function lets a caller hold several.
 */
export type AnchorKeys = Buffer | ((node: string) => Buffer | undefined);

/** Options for `verifyAudit`. */
export interface VerifyOptions {
  /** Events read per query. Default 1000. */
  readonly pageSize?: number;
}

/** Verifies every node's chain and anchor in the store. */
export async function verifyAudit(
  db: Kysely<Database>,
  keys: AnchorKeys,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const pageSize = options.pageSize ?? 1000;
  const nodes = new Set<string>();
  for (const row of await db.selectFrom('audit_events').select('node').distinct().execute())
    nodes.add(row.node);
  for (const row of await db.selectFrom('audit_anchors').select('node').execute()) nodes.add(row.node);
  for (const row of await db.selectFrom('audit_checkpoints').select('node').execute()) nodes.add(row.node);
  const reports: NodeVerifyReport[] = [];
  const problems: VerifyProblem[] = [];
  for (const node of [...nodes].sort()) {
    const key = typeof keys === 'function' ? keys(node) : keys;
    const { report, problem } = await verifyNode(db, node, key, pageSize);
    reports.push(report);
    if (problem) problems.push(problem);
  }
  return {
    ok: problems.length === 0,
    nodes: reports,
    ...(problems[0] ? { firstBad: problems[0] } : {}),
    problems,
  };
}

async function verifyNode(
  db: Kysely<Database>,
  node: string,
  key: Buffer | undefined,
  pageSize: number,
): Promise<{ report: NodeVerifyReport; problem: VerifyProblem | undefined }> {
  let events = 0;
  let lastSeq = 0;
  let lastHash = GENESIS_HASH;
  const checkpoint = await db
    .selectFrom('audit_checkpoints')
    .selectAll()
    .where('node', '=', node)
    .executeTakeFirst();
  const done = (problem: VerifyProblem | undefined) => ({
    report: {
      node,
      events,
      lastSeq,
      ok: !problem,
      anchorSignatureChecked: key !== undefined,
      ...(checkpoint ? { checkpointSeq: checkpoint.seq } : {}),
    },
    problem,
  });
  if (checkpoint) {
    if (key && !checkpointSignatureValid(key, node, checkpoint.seq, checkpoint.hash, checkpoint.signature)) {
      const reason = `retention checkpoint of ${node} at #${checkpoint.seq} has an invalid signature (forged)`;
      return done({ node, seq: checkpoint.seq + 1, reason });
    }
    lastSeq = checkpoint.seq;
    lastHash = checkpoint.hash;
  }
  for (;;) {
    const page = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('node', '=', node)
      .where('seq', '>', lastSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const row of page) {
      const expected = lastSeq + 1;
      if (row.seq !== expected)
        return done({ node, seq: expected, reason: gapReason(node, lastSeq, row.seq, checkpoint?.seq) });
      const reason = checkStoredEvent(row, lastHash);
      if (reason) return done({ node, seq: row.seq, reason: `event ${node}#${row.seq}: ${reason}` });
      events++;
      lastSeq = row.seq;
      lastHash = row.hash;
    }
    if (page.length < pageSize) break;
  }
  return done(await checkAnchor(db, node, key, lastSeq, lastHash));
}

function gapReason(node: string, lastSeq: number, foundSeq: number, checkpointSeq?: number): string {
  const first = lastSeq + 1;
  const missing =
    foundSeq - 1 === first
      ? `event ${node}#${first} missing`
      : `events ${node}#${first}..#${foundSeq - 1} missing`;
  const context =
    lastSeq === checkpointSeq
      ? `the retention checkpoint is at #${lastSeq} but the chain continues at #${foundSeq}`
      : lastSeq === 0
        ? `the chain starts at #${foundSeq}`
        : `#${lastSeq} is followed by #${foundSeq}`;
  return `${missing} (deleted): ${context}`;
}

/**
 * Why a stored row is not the record the chain expects after `prevHash`, or undefined. Retention
 * runs it over what it is about to delete, so it never signs a checkpoint over a broken chain.
 */
export function checkStoredEvent(row: AuditEventsTable, prevHash: string): string | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(row.record) as Record<string, unknown>;
  } catch {
    return 'record is not JSON (edited)';
  }
  if (typeof record !== 'object' || record === null) return 'record is not an object (edited)';
  const hashProblem = checkRecordHash(record);
  if (hashProblem) return `${hashProblem} (edited)`;
  if (record.prevHash !== prevHash) {
    return 'prevHash does not link to the previous event (inserted, reordered or re-hashed)';
  }
  const implied = toAuditRow(record as unknown as AuditRecord, row.record);
  for (const column of INDEXED_COLUMNS) {
    if (implied[column] !== row[column]) return `column ${column} does not match the record (edited)`;
  }
  return undefined;
}

async function checkAnchor(
  db: Kysely<Database>,
  node: string,
  key: Buffer | undefined,
  lastSeq: number,
  lastHash: string,
): Promise<VerifyProblem | undefined> {
  const anchor = await db.selectFrom('audit_anchors').selectAll().where('node', '=', node).executeTakeFirst();
  if (!anchor) {
    return {
      node,
      seq: lastSeq,
      reason: `node ${node} has events up to #${lastSeq} but no anchor (anchor deleted)`,
    };
  }
  if (anchor.seq > lastSeq) {
    const after = lastSeq === 0 ? `all events of ${node} missing` : `events after ${node}#${lastSeq} missing`;
    return { node, seq: lastSeq + 1, reason: `${after}: anchor is at #${anchor.seq} (truncated)` };
  }
  if (anchor.seq < lastSeq) {
    const first = anchor.seq + 1;
    const beyond =
      first === lastSeq ? `event ${node}#${first} lies` : `events ${node}#${first}..#${lastSeq} lie`;
    return {
      node,
      seq: first,
      reason: `${beyond} beyond the anchor at #${anchor.seq} (inserted, or anchor rolled back)`,
    };
  }
  if (anchor.hash !== lastHash) {
    return {
      node,
      seq: lastSeq,
      reason: `anchor of ${node} at #${anchor.seq} does not match that event's hash (edited)`,
    };
  }
  if (key && !anchorSignatureValid(key, node, anchor.seq, anchor.hash, anchor.signature)) {
    return {
      node,
      seq: lastSeq,
      reason: `anchor of ${node} at #${anchor.seq} has an invalid signature (forged)`,
    };
  }
  return undefined;
}
