/**
 * @module Function calls: which are built in, which are dangerous, and which run SQL handed to them
 * as a string. Every call becomes an object (`fn:name`, `fn:schema.name`); a call outside the
 * built-ins sets `callsUserFunction` (its body is not visible here); a dangerous built-in lands in
 * `dangerousFunctions`; SQL passed as a constant string is classified like any other statement and
 * folded into `innerActions`, while SQL built at run time sets `dynamicSql`.
 */
import { type AstObject, listOf, nameParts, nodeOf, str } from './ast.js';
import { BUILTIN_FUNCTION_NAMES } from './builtin-functions.js';
import { noteSetting } from './settings.js';
import type { StatementWalker } from './walk.js';

/**
 * Built-ins that reach outside the statement's own data: the server's files, other servers,
 * other sessions, the server process, or time (pg_sleep holds a backend and is the classic probe of
 * time-based blind injection). `set_config` joins them when it changes the role.
 */
export const DANGEROUS_FUNCTIONS: ReadonlySet<string> = new Set([
  // Server files
  'pg_read_file',
  'pg_read_binary_file',
  'pg_stat_file',
  'lo_import',
  'lo_export',
  // adminpack
  'pg_file_write',
  'pg_file_rename',
  'pg_file_unlink',
  'pg_file_sync',
  'pg_logdir_ls',
  // Other sessions and the server process
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_wal_replay_pause',
  'pg_wal_replay_resume',
  'pg_log_backend_memory_contexts',
  // Replication slots: decoded WAL carries every user's changes
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_replication_slot_advance',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_peek_changes',
  'pg_logical_slot_get_binary_changes',
  'pg_logical_slot_peek_binary_changes',
  'pg_logical_emit_message',
  // Time
  'pg_sleep',
  'pg_sleep_for',
  'pg_sleep_until',
]);

/** Name prefixes that are dangerous as a family: every dblink function, directory listings, resets. */
export const DANGEROUS_PREFIXES: readonly string[] = ['dblink', 'pg_ls_', 'pg_stat_reset', 'binary_upgrade_'];

/** True when a function of this (unqualified) name is dangerous, whatever schema it was called in. */
export function isDangerousFunction(name: string): boolean {
  return DANGEROUS_FUNCTIONS.has(name) || DANGEROUS_PREFIXES.some((p) => name.startsWith(p));
}

/** True when the call resolves to a built-in (qualified with a system schema, or a built-in name). */
export function isBuiltinFunction(schema: string | undefined, name: string): boolean {
  if (schema === undefined) return BUILTIN_FUNCTION_NAMES.has(name);
  return schema === 'pg_catalog' || schema === 'information_schema';
}

const isBoolArg = (arg: unknown): boolean => nodeOf(nodeOf(arg, 'A_Const'), 'boolval') !== undefined;

/** Functions that run SQL given as a string argument: which argument holds it. */
const SQL_TEXT_ARGUMENT: Readonly<Record<string, (args: readonly unknown[]) => number | undefined>> = {
  dblink: (args) => (args.length >= 2 && !isBoolArg(args[1]) ? 1 : 0),
  dblink_exec: (args) => (args.length >= 2 && !isBoolArg(args[1]) ? 1 : 0),
  dblink_send_query: () => 1,
  dblink_open: (args) => (args.length >= 3 && !isBoolArg(args[2]) ? 2 : 1),
  query_to_xml: () => 0,
  query_to_xmlschema: () => 0,
  query_to_xml_and_xmlschema: () => 0,
  ts_stat: () => 0,
  ts_rewrite: (args) => (args.length === 2 ? 1 : undefined),
};

/** Functions that read every table of a schema or database, which the statement never names. */
const READS_UNNAMED_RELATIONS: ReadonlySet<string> = new Set([
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
]);

/** Functions that read the table named by their first argument (a regclass given as text). */
const READS_NAMED_RELATION: ReadonlySet<string> = new Set([
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
]);

/** A string known before run time, and whether it had to be put together from pieces. */
export interface ConstantString {
  readonly value: string;
  /** Built from pieces (`'DROP ' || 'TABLE t'`): known here, but written to hide from a reader. */
  readonly folded: boolean;
}

/** The value of a constant string expression: a literal, a cast literal, or literals joined by `||`/concat. */
export function constantString(node: unknown): ConstantString | undefined {
  const c = nodeOf(node, 'A_Const');
  if (c) {
    const sval = nodeOf(c, 'sval');
    return sval ? { value: str(sval, 'sval') ?? '', folded: false } : undefined;
  }
  const cast = nodeOf(node, 'TypeCast');
  if (cast) return constantString(cast.arg);
  const expr = nodeOf(node, 'A_Expr');
  if (expr && str(expr, 'kind') === 'AEXPR_OP' && nameParts(expr.name).at(-1) === '||') {
    const left = constantPiece(expr.lexpr);
    const right = left && constantPiece(expr.rexpr);
    return right ? { value: left.value + right.value, folded: true } : undefined;
  }
  const call = nodeOf(node, 'FuncCall');
  if (call && nameParts(call.funcname).at(-1) === 'concat') {
    const parts = listOf(call.args).map(constantPiece);
    if (parts.every((p) => p !== undefined))
      return { value: parts.map((p) => p?.value).join(''), folded: true };
  }
  return undefined;
}

/** A piece of a concatenation: a constant string, or a number (`'... id = ' || 1`). */
function constantPiece(node: unknown): ConstantString | undefined {
  const c = nodeOf(node, 'A_Const');
  const ival = nodeOf(c, 'ival');
  if (ival) return { value: String(typeof ival.ival === 'number' ? ival.ival : 0), folded: true };
  const fval = nodeOf(c, 'fval');
  if (fval) return { value: str(fval, 'fval') ?? '0', folded: true };
  return constantString(node);
}

/**
 * Classifies SQL handed over as a string (EXECUTE in PL/pgSQL, dblink_exec, query_to_xml). A plain
 * literal is as good as written SQL; a string put together from pieces is classified too but still
 * counts as dynamic; anything else, or text that does not parse, is dynamic SQL.
 */
export function noteSqlString(node: unknown, w: StatementWalker): void {
  const text = constantString(node);
  if (!text) {
    w.draft.flags.dynamicSql = true;
    return;
  }
  if (text.folded) w.draft.flags.dynamicSql = true;
  try {
    w.code(text.value);
  } catch {
    w.draft.flags.dynamicSql = true; // not SQL we can read: PostgreSQL decides at run time
  }
}

/** Records one function call (FuncCall body) on the walker's draft. */
export function noteFunctionCall(call: AstObject, w: StatementWalker): void {
  const parts = nameParts(call.funcname);
  const name = parts.at(-1) ?? '';
  const schema = parts.length > 1 ? parts.slice(0, -1).join('.') : undefined;
  // SQL-syntax forms (EXTRACT, TRIM, SUBSTRING) arrive as pg_catalog.<fn>; show them as written.
  const shown = call.funcformat === 'COERCE_SQL_SYNTAX' && schema === 'pg_catalog' ? name : parts.join('.');
  const d = w.draft;
  d.objects.add(`fn:${shown}`);
  if (!isBuiltinFunction(schema, name)) d.flags.callsUserFunction = true;
  if (isDangerousFunction(name)) d.dangerousFunctions.add(name);
  const args = listOf(call.args);
  if (name === 'set_config') noteSetConfig(args, w);
  const sqlArg = SQL_TEXT_ARGUMENT[name]?.(args);
  if (sqlArg !== undefined) noteSqlString(args[sqlArg], w);
  if (READS_UNNAMED_RELATIONS.has(name)) d.flags.dynamicSql = true;
  if (READS_NAMED_RELATION.has(name)) noteNamedRelation(args[0], w);
}

/** `set_config(name, value, is_local)`: a SET in function form, so the same rules apply. */
function noteSetConfig(args: readonly unknown[], w: StatementWalker): void {
  const d = w.draft;
  const name = constantString(args[0]);
  if (!name) {
    // Any setting at all, chosen at run time: the role, or how later statements are read.
    d.settings.add('*');
    d.flags.setsRole = true;
    d.flags.dynamicSql = true;
    d.dangerousFunctions.add('set_config');
    return;
  }
  const value = constantString(args[1]);
  noteSetting(d, name.value, value ? { kind: 'value', text: value.value } : { kind: 'unknown' });
  const lower = name.value.toLowerCase();
  if (lower === 'role' || lower === 'session_authorization') d.dangerousFunctions.add('set_config');
}

/** `table_to_xml('secret', ...)`: the table is named in a string, so name it as an object. */
function noteNamedRelation(arg: unknown, w: StatementWalker): void {
  const text = constantString(arg);
  if (!text || text.folded) {
    w.draft.flags.dynamicSql = true;
    return;
  }
  try {
    const tables = w.env.classifyCode(`TABLE ${text.value}`);
    const objects = tables.length === 1 && tables[0] ? [...tables[0].primary.objects] : [];
    if (objects.length === 1 && objects[0] && !objects[0].startsWith('fn:')) {
      w.draft.objects.add(objects[0]);
      return;
    }
  } catch {
    // not a relation name: fall through
  }
  w.draft.flags.dynamicSql = true;
}
