/**
 * @module From SQL text to classified statements: parse with libpg-query, pick each statement's
 * handler, and give handlers an `Env` through which they classify what they find inside (nested
 * statements, SQL in strings, routine bodies) with the same rules.
 */
import { parseSync } from 'libpg-query';
import { ACTION_BY_TYPE, type SqlAction } from './actions.js';
import { type AstObject, isObject, unwrap } from './ast.js';
import {
  classifyAlterFunction,
  classifyAlterSetting,
  classifyByType,
  classifyCreateEventTrigger,
  classifyCreateSchema,
  classifyCreateTableAs,
  classifyCreateTrigger,
  classifyDefaultPrivileges,
  classifyDrop,
  classifyGrant,
  classifyGrantRole,
  classifyRule,
  classifyTruncate,
} from './ddl.js';
import {
  classifyCopy,
  classifyDelete,
  classifyInsert,
  classifyMerge,
  classifySelect,
  classifyUpdate,
} from './dml.js';
import type { Classified } from './draft.js';
import { unclassifiable } from './fail.js';
import { type PreparedLookup, PreparedScope } from './prepared-scope.js';
import { classifyCall, classifyCreateFunction, classifyDo } from './routines.js';
import {
  classifyDeallocate,
  classifyDiscard,
  classifyExecute,
  classifyExplain,
  classifyPrepare,
  classifySet,
  classifyTransaction,
  classifyVacuum,
} from './session.js';
import { type Env, StatementWalker } from './walk.js';

/** The action of a draft no handler has placed yet; never leaves this module. */
const NO_ACTION = 'sql.unplaced' as SqlAction;

/** Code inside code inside code... deeper than this is refused (EXECUTE strings can nest forever). */
const MAX_CODE_DEPTH = 8;

/** A handler fills the walker's draft (or replaces the whole result: EXPLAIN ANALYZE). */
type Handler = (body: AstObject, w: StatementWalker, type: string) => void;

const HANDLERS: Readonly<Record<string, Handler>> = {
  SelectStmt: classifySelect,
  InsertStmt: classifyInsert,
  UpdateStmt: classifyUpdate,
  DeleteStmt: classifyDelete,
  MergeStmt: classifyMerge,
  CopyStmt: classifyCopy,
  VariableSetStmt: classifySet,
  TransactionStmt: classifyTransaction,
  ExplainStmt: classifyExplain,
  PrepareStmt: classifyPrepare,
  ExecuteStmt: classifyExecute,
  DeallocateStmt: classifyDeallocate,
  DiscardStmt: classifyDiscard,
  VacuumStmt: classifyVacuum,
  DoStmt: classifyDo,
  CreateFunctionStmt: classifyCreateFunction,
  CallStmt: classifyCall,
  DropStmt: classifyDrop,
  TruncateStmt: classifyTruncate,
  GrantStmt: classifyGrant,
  GrantRoleStmt: classifyGrantRole,
  AlterDefaultPrivilegesStmt: classifyDefaultPrivileges,
  CreateSchemaStmt: classifyCreateSchema,
  CreateTableAsStmt: classifyCreateTableAs,
  CreateTrigStmt: classifyCreateTrigger,
  CreateEventTrigStmt: classifyCreateEventTrigger,
  RuleStmt: classifyRule,
  AlterRoleSetStmt: (body, w, type) => classifyAlterSetting(type, body, w),
  AlterDatabaseSetStmt: (body, w, type) => classifyAlterSetting(type, body, w),
  AlterSystemStmt: (body, w, type) => classifyAlterSetting(type, body, w),
  AlterFunctionStmt: classifyAlterFunction,
};

/** Every statement type the classifier places; any other fails closed. */
export const KNOWN_STATEMENT_TYPES: ReadonlySet<string> = new Set([
  ...Object.keys(HANDLERS),
  ...Object.keys(ACTION_BY_TYPE),
]);

/** One statement of a parsed text. */
export interface ParsedStatement {
  readonly type: string;
  readonly body: AstObject;
  /** The statement's own text; only kept for CREATE FUNCTION, whose PL/pgSQL body is parsed again. */
  readonly source?: string;
}

/** Parses SQL text into its statements; a parse error fails closed with PostgreSQL's message. */
export function parseStatements(
  text: string,
  inspect?: (stmts: readonly unknown[]) => void,
): ParsedStatement[] {
  if (text === '') return []; // libpg-query refuses the empty string; PostgreSQL answers EmptyQueryResponse
  let stmts: readonly unknown[];
  try {
    stmts = parseSync(text).stmts ?? [];
  } catch (err) {
    const position = (err as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    // libpg-query counts from 0; PostgreSQL's own error position counts characters from 1.
    const where = typeof position === 'number' ? ` (at character ${position + 1})` : '';
    unclassifiable(`${err instanceof Error ? err.message : String(err)}${where}`);
  }
  inspect?.(stmts);
  let bytes: Buffer | undefined;
  return stmts.map((raw) => {
    const rawStmt = isObject(raw) ? raw : {};
    const u = unwrap(rawStmt.stmt);
    if (!u) return unclassifiable('a statement the parser returned without a body');
    if (u.type !== 'CreateFunctionStmt') return { type: u.type, body: u.body };
    // libpg-query positions are byte offsets into the UTF-8 text; a length of 0 means "to the end".
    bytes ??= Buffer.from(text, 'utf8');
    const start = typeof rawStmt.stmt_location === 'number' ? rawStmt.stmt_location : 0;
    const length =
      typeof rawStmt.stmt_len === 'number' && rawStmt.stmt_len > 0 ? rawStmt.stmt_len : undefined;
    const end = length === undefined ? bytes.length : start + length;
    return { type: u.type, body: u.body, source: bytes.subarray(start, end).toString('utf8') };
  });
}

/** Classifies one statement node. */
export function classifyNode(
  type: string,
  body: AstObject,
  env: Env,
  cteNames: readonly string[] = [],
  source?: string,
): Classified {
  if (!KNOWN_STATEMENT_TYPES.has(type)) unclassifiable(`unknown statement type ${type}`);
  const w = new StatementWalker(env, NO_ACTION, cteNames, source);
  const handler = HANDLERS[type];
  if (handler) handler(body, w, type);
  else classifyByType(type, body, w);
  const result = w.result();
  // A handler that set no action is a bug; it must not surface as some harmless-looking action.
  if (result.primary.action === NO_ACTION) unclassifiable(`no action for ${type}`);
  return result;
}

/** A classification context for one text at one code depth. */
export function createEnv(depth: number, session?: PreparedLookup): Env {
  const env: Env = {
    prepared: new PreparedScope(session),
    depth,
    classifyNode: (type, body, cteNames) => classifyNode(type, body, env, cteNames),
    classifyCode: (text) => classifyCode(text, depth + 1),
  };
  return env;
}

/** Parses and classifies SQL text found inside a statement, one level deeper. */
export function classifyCode(text: string, depth: number): Classified[] {
  if (depth > MAX_CODE_DEPTH) unclassifiable('SQL nested in code nests too deeply to classify');
  const env = createEnv(depth);
  return parseStatements(text).map((s) => classifyNode(s.type, s.body, env, [], s.source));
}
