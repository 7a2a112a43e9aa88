/**
 * @module Definitions: CREATE, ALTER, DROP, TRUNCATE, GRANT/REVOKE, COMMENT and the statements that
 * leave code behind to run later (triggers, event triggers, rules: `createsRoutine`). Named objects
 * that are not relations or functions appear as `kind:name` (`schema:audit`, `role:bob`,
 * `database:app`, `extension:dblink`); `objectType` says what kind of object the statement is about.
 */
import { ACTION_BY_TYPE, SqlAction } from './actions.js';
import {
  type AstObject,
  defElemBool,
  joinName,
  listOf,
  nameParts,
  nodeOf,
  rangeVarName,
  str,
  stringNode,
  unwrap,
} from './ast.js';
import { unclassifiable } from './fail.js';
import { isBuiltinFunction, isDangerousFunction } from './functions.js';
import { noteSetStatement } from './settings.js';
import type { StatementWalker } from './walk.js';

/** Object kinds that are relations: their names are plain objects (and targets when changed). */
const RELATION_KINDS: ReadonlySet<string> = new Set([
  'OBJECT_TABLE',
  'OBJECT_VIEW',
  'OBJECT_MATVIEW',
  'OBJECT_SEQUENCE',
  'OBJECT_INDEX',
  'OBJECT_FOREIGN_TABLE',
]);

/** Object kinds named by a function signature: `fn:` objects. */
const ROUTINE_KINDS: ReadonlySet<string> = new Set([
  'OBJECT_FUNCTION',
  'OBJECT_PROCEDURE',
  'OBJECT_ROUTINE',
  'OBJECT_AGGREGATE',
]);

/** `OBJECT_FOREIGN_TABLE` → `foreign_table`. */
export function objectKind(objtype: string): string {
  return objtype.replace(/^OBJECT_/, '').toLowerCase();
}

/** The policy name of one object of a DROP/GRANT/COMMENT list, or undefined when it has no usable name. */
function namedObject(objtype: string, item: unknown): string | undefined {
  if (ROUTINE_KINDS.has(objtype)) {
    const owa = nodeOf(item, 'ObjectWithArgs');
    return owa ? `fn:${joinName(nameParts(owa.objname))}` : undefined;
  }
  const rv = nodeOf(item, 'RangeVar');
  if (rv) return rangeVarName(rv);
  const single = stringNode(item);
  const parts =
    single !== undefined
      ? [single]
      : nameParts(
          nodeOf(item, 'List')?.items ??
            nodeOf(item, 'TypeName')?.names ??
            nodeOf(item, 'ObjectWithArgs')?.objname,
        );
  if (parts.length === 0) return undefined;
  const name = joinName(parts);
  return RELATION_KINDS.has(objtype) ? name : `${objectKind(objtype)}:${name}`;
}

export function classifyDrop(body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  d.action = SqlAction.drop;
  const objtype = str(body, 'removeType') ?? 'OBJECT_UNKNOWN';
  d.extra.objectType = objectKind(objtype);
  if (body.behavior === 'DROP_CASCADE') d.extra.cascade = true;
  for (const item of listOf(body.objects)) {
    const name = namedObject(objtype, item);
    if (name === undefined) continue;
    if (RELATION_KINDS.has(objtype)) d.targets.add(name);
    else d.objects.add(name);
  }
}

export function classifyTruncate(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.truncate;
  if (body.behavior === 'DROP_CASCADE') w.draft.extra.cascade = true;
  for (const item of listOf(body.relations)) {
    const rv = nodeOf(item, 'RangeVar');
    if (rv) w.relation(rv, true);
  }
}

/** GRANT/REVOKE privileges ON objects. */
export function classifyGrant(body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  d.action = body.is_grant === true ? SqlAction.grant : SqlAction.revoke;
  const objtype = str(body, 'objtype') ?? 'OBJECT_UNKNOWN';
  d.extra.objectType = objectKind(objtype);
  const allInSchema = body.targtype === 'ACL_TARGET_ALL_IN_SCHEMA';
  for (const item of listOf(body.objects)) {
    const name = allInSchema ? `schema:${stringNode(item) ?? ''}` : namedObject(objtype, item);
    if (name !== undefined) d.objects.add(name);
  }
  for (const grantee of listOf(body.grantees)) noteRole(nodeOf(grantee, 'RoleSpec'), w);
}

/** GRANT/REVOKE role TO role. */
export function classifyGrantRole(body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  d.action = body.is_grant === true ? SqlAction.grant : SqlAction.revoke;
  d.extra.objectType = 'role';
  for (const role of listOf(body.granted_roles)) {
    const name = str(nodeOf(role, 'AccessPriv'), 'priv_name');
    if (name !== undefined) d.objects.add(`role:${name}`);
  }
  for (const grantee of listOf(body.grantee_roles)) noteRole(nodeOf(grantee, 'RoleSpec'), w);
}

/** ALTER DEFAULT PRIVILEGES ... GRANT|REVOKE: grants on objects not created yet. */
export function classifyDefaultPrivileges(body: AstObject, w: StatementWalker): void {
  const inner = nodeOf(body, 'action');
  w.draft.action = inner?.is_grant === true ? SqlAction.grant : SqlAction.revoke;
  w.draft.extra.objectType = 'default_privileges';
  for (const grantee of listOf(inner?.grantees)) noteRole(nodeOf(grantee, 'RoleSpec'), w);
}

function noteRole(spec: AstObject | undefined, w: StatementWalker): void {
  const name = str(spec, 'rolename');
  if (name !== undefined) w.draft.objects.add(`role:${name}`);
}

/** CREATE SCHEMA s [CREATE TABLE ... GRANT ...]: the elements run now, each with its own entry. */
export function classifyCreateSchema(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.create;
  w.draft.extra.objectType = 'schema';
  const name = str(body, 'schemaname');
  if (name !== undefined) w.draft.objects.add(`schema:${name}`);
  for (const element of listOf(body.schemaElts)) {
    const u = unwrap(element);
    if (u) w.embed(u.type, u.body, 'schema');
  }
}

/** CREATE TABLE AS / CREATE MATERIALIZED VIEW AS. */
export function classifyCreateTableAs(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.create;
  w.draft.extra.objectType = objectKind(str(body, 'objtype') ?? 'OBJECT_TABLE');
  const into = nodeOf(body, 'into');
  if (into) w.relationField(into, 'rel', true);
  w.walk(body);
}

/** A routine a trigger or event trigger will call: an object, and unseen code unless built in. */
function noteRoutineName(funcname: unknown, w: StatementWalker): void {
  const parts = nameParts(funcname);
  const name = parts.at(-1) ?? '';
  w.draft.objects.add(`fn:${joinName(parts)}`);
  if (!isBuiltinFunction(parts.length > 1 ? parts.slice(0, -1).join('.') : undefined, name)) {
    w.draft.flags.callsUserFunction = true;
  }
  if (isDangerousFunction(name)) w.draft.dangerousFunctions.add(name);
}

/** CREATE [CONSTRAINT] TRIGGER: its function runs later, on every matching row or statement. */
export function classifyCreateTrigger(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.create;
  w.draft.flags.createsRoutine = true;
  w.draft.extra.objectType = 'trigger';
  w.relationField(body, 'relation', true);
  noteRoutineName(body.funcname, w);
  w.walk(body.whenClause);
  w.walk(body.constrrel);
}

/** CREATE EVENT TRIGGER: its function runs later, on DDL of any session. */
export function classifyCreateEventTrigger(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.create;
  w.draft.flags.createsRoutine = true;
  w.draft.extra.objectType = 'event_trigger';
  noteRoutineName(body.funcname, w);
}

/** CREATE RULE: its actions run later, in place of (or with) statements on the relation. */
export function classifyRule(body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.create;
  w.draft.flags.createsRoutine = true;
  w.draft.extra.objectType = 'rule';
  w.relationField(body, 'relation', true);
  w.walk(body.whereClause);
  for (const action of listOf(body.actions)) {
    const u = unwrap(action);
    if (u) w.nested(u.type, u.body);
  }
}

/** ALTER ROLE/DATABASE ... SET and ALTER SYSTEM SET: settings for later sessions (or the server). */
export function classifyAlterSetting(type: string, body: AstObject, w: StatementWalker): void {
  w.draft.action = SqlAction.alter;
  const kinds: Record<string, string> = {
    AlterRoleSetStmt: 'role',
    AlterDatabaseSetStmt: 'database',
    AlterSystemStmt: 'system',
  };
  w.draft.extra.objectType = kinds[type] ?? 'unknown';
  if (type === 'AlterRoleSetStmt') noteRole(nodeOf(body, 'role'), w);
  const db = str(body, 'dbname');
  if (db !== undefined) w.draft.objects.add(`database:${db}`);
  const set = nodeOf(body, 'setstmt');
  if (!set) unclassifiable(`${type} without a setting`);
  noteSetStatement(w.draft, set);
}

/** ALTER FUNCTION/PROCEDURE/ROUTINE ... (SECURITY DEFINER, SET ...). */
export function classifyAlterFunction(body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  d.action = SqlAction.alter;
  d.extra.objectType = objectKind(str(body, 'objtype') ?? 'OBJECT_FUNCTION');
  d.objects.add(`fn:${joinName(nameParts(nodeOf(body, 'func')?.objname))}`);
  for (const item of listOf(body.actions)) {
    const def = nodeOf(item, 'DefElem');
    const name = str(def, 'defname');
    if (def && name === 'security') d.extra.securityDefiner = defElemBool(def) === true;
    const set = name === 'set' ? nodeOf(def?.arg, 'VariableSetStmt') : undefined;
    if (set) noteSetStatement(d, set);
  }
}

/** Fields that hold the relation a CREATE/ALTER/DROP-like statement defines or changes. */
const TARGET_FIELDS = ['relation', 'view', 'sequence', 'table', 'typevar'] as const;
const CHANGES_DEFINITION: ReadonlySet<string> = new Set([
  SqlAction.create,
  SqlAction.alter,
  SqlAction.drop,
  SqlAction.refresh,
  SqlAction.cluster,
  SqlAction.reindex,
]);
const OBJECT_TYPE_BY_STATEMENT: Readonly<Record<string, string>> = {
  CreateStmt: 'table',
  ViewStmt: 'view',
  IndexStmt: 'index',
  CreateSeqStmt: 'sequence',
  CreateExtensionStmt: 'extension',
  CreateRoleStmt: 'role',
  AlterRoleStmt: 'role',
  DropRoleStmt: 'role',
  CreatedbStmt: 'database',
  AlterDatabaseStmt: 'database',
  DropdbStmt: 'database',
  CreatePolicyStmt: 'policy',
  AlterPolicyStmt: 'policy',
  CreateForeignTableStmt: 'foreign_table',
  CreateFdwStmt: 'foreign_data_wrapper',
  CreateForeignServerStmt: 'server',
  CreateUserMappingStmt: 'user_mapping',
  CreatePublicationStmt: 'publication',
  CreateSubscriptionStmt: 'subscription',
  CreateTableSpaceStmt: 'tablespace',
  CreatePLangStmt: 'language',
};

/**
 * The statements whose action follows from their type (`ACTION_BY_TYPE`): action, objectType,
 * the relation they define or change as a target, named roles/databases/extensions, then the walk.
 */
export function classifyByType(type: string, body: AstObject, w: StatementWalker): void {
  const action = ACTION_BY_TYPE[type];
  if (action === undefined) unclassifiable(`unknown statement type ${type}`);
  const d = w.draft;
  d.action = action;
  const objtype =
    str(body, 'objtype') ?? str(body, 'renameType') ?? str(body, 'objectType') ?? str(body, 'kind');
  const objectType =
    OBJECT_TYPE_BY_STATEMENT[type] ?? (objtype?.startsWith('OBJECT_') ? objectKind(objtype) : undefined);
  if (objectType !== undefined) d.extra.objectType = objectType;
  if (CHANGES_DEFINITION.has(action)) {
    for (const field of TARGET_FIELDS) w.relationField(body, field, true);
  }
  noteNamedObjects(type, body, w);
  w.walk(body);
}

function noteNamedObjects(type: string, body: AstObject, w: StatementWalker): void {
  const d = w.draft;
  const role = str(body, 'role') ?? str(nodeOf(body, 'role'), 'rolename');
  if (type === 'CreateRoleStmt' || type === 'AlterRoleStmt') {
    if (role !== undefined) d.objects.add(`role:${role}`);
    for (const option of listOf(body.options)) {
      if (str(nodeOf(option, 'DefElem'), 'defname') === 'password') d.extra.containsPassword = true;
    }
  }
  if (type === 'DropRoleStmt') for (const r of listOf(body.roles)) noteRole(nodeOf(r, 'RoleSpec'), w);
  const db = str(body, 'dbname');
  if (db !== undefined) d.objects.add(`database:${db}`);
  const extension = str(body, 'extname');
  if (type === 'CreateExtensionStmt' && extension !== undefined) d.objects.add(`extension:${extension}`);
  if (type === 'CommentStmt' || type === 'SecLabelStmt') {
    const name = namedObject(str(body, 'objtype') ?? 'OBJECT_UNKNOWN', body.object);
    if (name !== undefined) d.objects.add(name);
  }
  if (type === 'DropOwnedStmt' || type === 'ReassignOwnedStmt') {
    for (const r of listOf(body.roles)) noteRole(nodeOf(r, 'RoleSpec'), w);
    noteRole(nodeOf(body, 'newrole'), w);
  }
}
