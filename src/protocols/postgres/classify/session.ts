/**
 * @module Session and transaction statements: SET/RESET, BEGIN/COMMIT/..., EXPLAIN, SQL-level
 * PREPARE/EXECUTE/DEALLOCATE, DISCARD, VACUUM/ANALYZE. EXPLAIN ANALYZE runs its statement, so it is
 * classified as that statement (`explainAnalyze: true`); a plain EXPLAIN only plans it. A prepared
 * statement is judged by its body: PREPARE exposes `preparedAction`, and EXECUTE of a name prepared
 * earlier in the same text (or known to the session) carries the same facts.
 */
import { SqlAction } from './actions.js';
import { type AstObject, defElemBool, listOf, nodeOf, str, unwrap } from './ast.js';
import { absorbClassified, absorbHazards, type Classified } from './draft.js';
import { unclassifiable } from './fail.js';
import { noteReadOnlyMode, noteSetStatement } from './settings.js';
import type { StatementWalker } from './walk.js';

export function classifySet(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.set;
  noteSetStatement(w.draft, body);
}

const TRANSACTION_KINDS: Readonly<Record<string, string>> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollback_to',
  TRANS_STMT_PREPARE: 'prepare',
  TRANS_STMT_COMMIT_PREPARED: 'commit_prepared',
  TRANS_STMT_ROLLBACK_PREPARED: 'rollback_prepared',
};

/** BEGIN, START TRANSACTION, COMMIT/END, ROLLBACK/ABORT, SAVEPOINT, two-phase commit. */
export function classifyTransaction(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.transaction;
  const kind = TRANSACTION_KINDS[str(body, 'kind') ?? ''];
  if (kind === undefined) unclassifiable(`unknown transaction statement ${str(body, 'kind') ?? ''}`);
  w.draft.extra.transactionKind = kind;
  for (const option of listOf(body.options)) {
    const def = nodeOf(option, 'DefElem');
    if (def && str(def, 'defname') === 'transaction_read_only') noteReadOnlyMode(w.draft, def);
  }
}

/** EXPLAIN [ANALYZE] stmt. With ANALYZE the statement runs, so the result is its classification. */
export function classifyExplain(body: AstObject, w: StatementWalker): void {
  const query = unwrap(body.query);
  if (!query) unclassifiable('EXPLAIN without a statement');
  let analyze = false;
  for (const option of listOf(body.options)) {
    const def = nodeOf(option, 'DefElem');
    // An ANALYZE value PostgreSQL might read as true counts as true.
    if (def && str(def, 'defname') === 'analyze') analyze = defElemBool(def) ?? true;
  }
  const inner = w.env.classifyNode(query.type, query.body, w.cteNames);
  if (analyze) {
    inner.primary.explainAnalyze = true;
    for (const extra of inner.extras) extra.explainAnalyze = true;
    w.replaceWith(inner);
    return;
  }
  w.draft.action = SqlAction.explain;
  w.draft.extra.explainedAction = inner.primary.action;
  // Planning alone can run functions (constant folding of immutable ones): keep their hazards.
  absorbHazards(w.draft, inner.primary);
  for (const extra of inner.extras) absorbHazards(w.draft, extra);
}

/** Copies what policy reads from a prepared body onto PREPARE or EXECUTE. */
function exposePrepared(prepared: Classified, w: StatementWalker): void {
  w.draft.extra.preparedAction = prepared.primary.action;
  const bounded = prepared.primary.extra.bounded;
  if (bounded !== undefined) w.draft.extra.bounded = bounded;
  absorbClassified(w.draft, prepared);
}

/** PREPARE name AS stmt: the body is what counts (`preparedAction`, `bounded`, `innerActions`). */
export function classifyPrepare(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.prepare;
  const name = str(body, 'name') ?? '';
  const query = unwrap(body.query);
  if (!query) unclassifiable('PREPARE without a statement');
  w.draft.extra.prepareName = name;
  const inner = w.env.classifyNode(query.type, query.body, w.cteNames);
  exposePrepared(inner, w);
  w.env.prepared.set(name, inner);
}

/**
 * EXECUTE name(params): the body's facts when the name was prepared in the same text (or the
 * session told the classifier about it); otherwise the body is unknown here, so `dynamicSql`.
 */
export function classifyExecute(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.execute;
  const name = str(body, 'name') ?? '';
  w.draft.extra.executeName = name;
  const prepared = w.env.prepared.get(name);
  if (prepared) exposePrepared(prepared, w);
  else w.draft.flags.dynamicSql = true;
  w.walk(body.params);
}

export function classifyDeallocate(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.deallocate;
  if (body.isall === true) {
    w.draft.extra.deallocateAll = true;
    w.env.prepared.clear();
  } else {
    const name = str(body, 'name') ?? '';
    w.draft.extra.deallocateName = name;
    w.env.prepared.delete(name);
  }
}

/** DISCARD ALL also resets every setting and the session's role (SET SESSION AUTHORIZATION DEFAULT). */
export function classifyDiscard(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.discard;
  if (str(body, 'target') === 'DISCARD_ALL') {
    w.draft.settings.add('all');
    w.draft.flags.setsRole = true;
    w.env.prepared.clear();
  }
}

/** VACUUM or ANALYZE (the parser gives both one node). */
export function classifyVacuum(body: AstObject, w: StatementWalker): void {
  w.draft.action = body.is_vacuumcmd === true ? SqlAction.vacuum : SqlAction.analyze;
  w.walk(body.rels);
}
