/**
 * @module Statements that read or change rows: SELECT (and SELECT INTO, which creates a table),
 * INSERT, UPDATE, DELETE, MERGE and COPY. The relation a statement writes is its `target`; DELETE
 * and UPDATE carry `bounded`; COPY carries its direction and where the data goes or comes from.
 */
import { DML_TYPES, SqlAction } from './actions.js';
import { type AstObject, isObject, listOf, nodeOf, str, unwrap } from './ast.js';
import { isBounded } from './bounded.js';
import type { StatementWalker } from './walk.js';

/** SELECT, VALUES, TABLE; `SELECT ... INTO t` creates t. */
export function classifySelect(body: AstObject, w: StatementWalker): void {
  const into = body.intoClause;
  if (isObject(into)) {
    w.draft.action = SqlAction.create;
    w.draft.extra.objectType = 'table';
    w.relationField(into, 'rel', true);
  } else {
    w.draft.action = SqlAction.select;
  }
  if (listOf(body.lockingClause).length > 0) w.draft.extra.rowLocks = true;
  w.walk(body);
}

export function classifyInsert(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.insert;
  w.relationField(body, 'relation', true);
  if (str(nodeOf(body, 'onConflictClause'), 'action') === 'ONCONFLICT_UPDATE') w.draft.extra.upsert = true;
  w.walk(body);
}

export function classifyUpdate(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.update;
  boundedWrite(body, w);
}

export function classifyDelete(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.delete;
  boundedWrite(body, w);
}

/** DELETE and UPDATE: the target, and whether the statement's own WHERE bounds it. */
function boundedWrite(body: AstObject, w: StatementWalker): void {
  w.relationField(body, 'relation', true);
  const relation = nodeOf(body, 'relation');
  w.draft.extra.bounded = relation !== undefined && isBounded(body.whereClause, relation);
  w.walk(body);
}

const MERGE_COMMANDS: Readonly<Record<string, SqlAction>> = {
  CMD_UPDATE: SqlAction.update,
  CMD_DELETE: SqlAction.delete,
  CMD_INSERT: SqlAction.insert,
};

/**
 * MERGE: its WHEN clauses' UPDATE/DELETE/INSERT land in `innerActions`. When it updates or deletes,
 * the ON condition decides which target rows it reaches, so it is judged like a WHERE (`bounded`;
 * `ON true ... THEN DELETE` empties the table and counts as `innerUnbounded`).
 */
export function classifyMerge(body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  d.action = SqlAction.merge;
  w.relationField(body, 'relation', true);
  for (const clause of listOf(body.mergeWhenClauses)) {
    const action = MERGE_COMMANDS[str(nodeOf(clause, 'MergeWhenClause'), 'commandType') ?? ''];
    if (action) d.innerActions.add(action);
  }
  if (d.innerActions.has(SqlAction.update) || d.innerActions.has(SqlAction.delete)) {
    const relation = nodeOf(body, 'relation');
    const bounded = relation !== undefined && isBounded(body.joinCondition, relation);
    d.extra.bounded = bounded;
    if (!bounded) d.flags.innerUnbounded = true;
  }
  w.walk(body);
}

/**
 * COPY: `copyDirection` (from = into a table), `copyStdio` (data over the client connection),
 * `copyFile` (a file on the database server), `copyProgram` (a shell command on the server).
 * `COPY (DELETE ... RETURNING ...) TO` runs its DML now: it gets its own entry.
 */
export function classifyCopy(body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  d.action = SqlAction.copy;
  const from = body.is_from === true;
  const program = body.is_program === true;
  const file = typeof body.filename === 'string';
  d.extra.copyDirection = from ? 'from' : 'to';
  d.extra.copyStdio = !file;
  d.flags.copyProgram = program;
  d.flags.copyFile = file && !program;
  w.relationField(body, 'relation', from);
  const query = unwrap(body.query);
  if (query && DML_TYPES.has(query.type)) w.embed(query.type, query.body, 'copy');
  else w.walk(body.query);
  w.walk(body.whereClause);
  w.walk(body.options);
}
