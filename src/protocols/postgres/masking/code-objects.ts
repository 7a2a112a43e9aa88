/**
 * @module DDL that creates code PostgreSQL runs implicitly, where a statement shows no function call:
 * an operator (`@@@ x` runs its function), an aggregate (`max(x)` may resolve to a user `max(bytea)`
 * when pg_catalog has none for the type), a domain's CHECK (run on every cast to the domain), a cast,
 * a conversion, a base type's I/O functions, a range's subtype_diff or canonical function, operator
 * classes and families, transforms. Such code sees the masked values it is fed and may store them
 * anywhere (a sink function, `sinks.ts`), and the statement that feeds it names only a type or an
 * operator. On a connection with column rules these statements are refused: an admin creates such
 * objects on the target directly, where the catalog snapshot then lists them (`catalog.ts`) and a use
 * of one over masked data is refused like a user function's (`refusal-rules.ts`).
 *
 * A search_path that puts a schema before pg_catalog makes a user operator or function shadow a
 * built-in of the same name (`public.+`); PostgreSQL searches pg_catalog first when it is not listed,
 * so only a path that lists it after another schema, or one Airlock cannot read, is refused.
 */
import { type AstObject, isObject, listOf, nodeOf, str } from '../classify/ast.js';

const ADMIN_FIX = 'an admin must create such objects on the target directly, outside Airlock';

/** DefineStmt kinds whose objects run code implicitly. */
const CODE_DEFINE_KINDS: ReadonlyMap<string, string> = new Map([
  ['OBJECT_OPERATOR', 'an operator runs its function on its operands'],
  ['OBJECT_AGGREGATE', 'an aggregate runs its functions on every aggregated value'],
  ['OBJECT_TYPE', "a base type's I/O functions run on every value of the type"],
  ['OBJECT_TSPARSER', 'a text search parser runs its functions on every document'],
  ['OBJECT_TSTEMPLATE', 'a text search template runs its functions on every document'],
]);

/**
 * Statements that always create or change implicitly run code (functions, procedures, triggers and
 * rules are refused with the other code bodies in `refusal-rules.ts`).
 */
const CODE_STATEMENT_REASONS: ReadonlyMap<string, string> = new Map([
  ['AlterOperatorStmt', 'an operator runs its functions on its operands'],
  ['CreateCastStmt', 'a cast runs its function on every value cast'],
  ['CreateConversionStmt', 'a conversion runs its function on converted text'],
  ['CreateOpClassStmt', "an operator class's functions run on indexed and compared values"],
  ['CreateOpFamilyStmt', "an operator family's functions run on indexed and compared values"],
  ['AlterOpFamilyStmt', "an operator family's functions run on indexed and compared values"],
  ['CreateTransformStmt', 'a transform runs its functions on every value passed to a function'],
]);

/** Range type options naming a function. */
const RANGE_FUNCTIONS = new Set(['subtype_diff', 'canonical']);

/** ALTER TYPE ... SET options naming a function. */
const TYPE_FUNCTIONS = new Set(['receive', 'send', 'typmod_in', 'typmod_out', 'analyze', 'subscript']);

/**
 * Why a statement of `type` is refused on a connection with column rules because it creates or
 * changes code that runs without a call in the statement, or undefined.
 */
export function codeObjectRefusal(type: string, stmt: AstObject): string | undefined {
  const why = CODE_STATEMENT_REASONS.get(type) ?? defineReason(type, stmt);
  return why ? `${why}, where it would see masked values unmasked; ${ADMIN_FIX}` : undefined;
}

function defineReason(type: string, stmt: AstObject): string | undefined {
  switch (type) {
    case 'DefineStmt': {
      const kind = str(stmt, 'kind') ?? '';
      // `CREATE TYPE t` (a shell, no definition) runs nothing until a definition gives it functions.
      if (kind === 'OBJECT_TYPE' && listOf(stmt.definition).length === 0) return undefined;
      return CODE_DEFINE_KINDS.get(kind);
    }
    case 'CreateDomainStmt':
      return listOf(stmt.constraints).some(isCheck)
        ? "a domain's CHECK constraint runs on every value cast to the domain"
        : undefined;
    case 'AlterDomainStmt':
      // subtype C: ADD CONSTRAINT (a NOT NULL needs no code; any other kind is refused to fail closed).
      return str(stmt, 'subtype') === 'C' && !isNotNull(stmt.def)
        ? "a domain's CHECK constraint runs on every value cast to the domain"
        : undefined;
    case 'CreateRangeStmt':
      return optionNames(stmt.params).some((n) => RANGE_FUNCTIONS.has(n))
        ? "a range type's functions run on every range value"
        : undefined;
    case 'AlterTypeStmt':
      return optionNames(stmt.options).some((n) => TYPE_FUNCTIONS.has(n))
        ? "a type's I/O functions run on every value of the type"
        : undefined;
    default:
      return undefined;
  }
}

function isCheck(constraint: unknown): boolean {
  return str(nodeOf(constraint, 'Constraint') ?? {}, 'contype') === 'CONSTR_CHECK';
}

function isNotNull(constraint: unknown): boolean {
  const contype = str(nodeOf(constraint, 'Constraint') ?? {}, 'contype');
  return contype === 'CONSTR_NOTNULL' || contype === 'CONSTR_NULL';
}

function optionNames(options: unknown): string[] {
  return listOf(options).map((o) => str(nodeOf(o, 'DefElem') ?? {}, 'defname') ?? '');
}

/** The text of a string constant node (`'x'` or an identifier in a SET list), or undefined. */
function constText(node: unknown): string | undefined {
  const c = nodeOf(node, 'A_Const');
  if (!c) return undefined;
  return isObject(c.sval) ? (str(c.sval, 'sval') ?? '') : undefined;
}

/**
 * Why a search_path value is refused, or undefined: it lists pg_catalog after another schema, or
 * it is not a constant Airlock can read (`items` undefined).
 */
function searchPathReason(items: readonly string[] | undefined): string | undefined {
  if (!items)
    return 'a search_path Airlock cannot read could make user operators or functions shadow built-ins';
  const at = items.findIndex((s) => s.trim().replace(/^"|"$/g, '').toLowerCase() === 'pg_catalog');
  if (at > 0)
    return 'a search_path with a schema before pg_catalog would make user operators or functions shadow built-ins; keep pg_catalog first (or leave it out)';
  return undefined;
}

/** `SET [LOCAL] search_path = ...` (also nested in ALTER ROLE / DATABASE / FUNCTION ... SET): refusal or undefined. */
export function setSearchPathRefusal(set: AstObject): string | undefined {
  if ((str(set, 'name') ?? '').toLowerCase() !== 'search_path') return undefined;
  if (str(set, 'kind') !== 'VAR_SET_VALUE') return undefined; // RESET, SET ... TO DEFAULT, FROM CURRENT
  const items: string[] = [];
  for (const arg of listOf(set.args)) {
    const text = constText(arg);
    if (text === undefined) return searchPathReason(undefined);
    items.push(text);
  }
  return searchPathReason(items);
}

/** `set_config(name, value, local)`: refusal when it may set search_path to a path that shadows built-ins. */
export function setConfigRefusal(args: readonly unknown[]): string | undefined {
  const name = constText(args[0]);
  if (name !== undefined && name.trim().toLowerCase() !== 'search_path') return undefined;
  if (name === undefined)
    return 'set_config() with a setting name Airlock cannot read could change search_path; name the setting as a constant';
  const value = constText(args[1]);
  return searchPathReason(value === undefined ? undefined : value.split(','));
}
