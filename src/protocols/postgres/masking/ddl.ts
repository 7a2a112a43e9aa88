/**
 * @module DDL that would detach a column rule from its column. Rules are written by name
 * (`[schema.]table.column`), and the catalog is read by name: after `ALTER TABLE customers RENAME TO
 * clients`, `... SET SCHEMA other`, `ALTER SCHEMA public RENAME TO x` or `... RENAME COLUMN email TO
 * e`, no rule names the data any more and it would be read unmasked. On a connection with column
 * rules such statements are refused; the fix is an admin's: change the masking configuration first
 * (or with the rename, so both name the same thing), then rename directly on the target.
 */
import { type AstObject, isObject, str } from '../classify/ast.js';

const ADMIN_FIX =
  "an admin must update this connection's masking configuration first, then make the change on the target";

/**
 * The refusal reason for a statement of `type` (an AlterTableStmt, RenameStmt or
 * AlterObjectSchemaStmt), or undefined when it detaches nothing.
 *
 * @param sensitiveNames relations (and their partitions, children and views) holding masked data
 * @param hasColumnRules the connection masks columns (detection alone is not bound to names)
 */
export function detachRefusal(
  type: string,
  stmt: AstObject,
  sensitiveNames: ReadonlySet<string>,
  hasColumnRules: boolean,
): string | undefined {
  if (!hasColumnRules) return undefined;
  // Every relation of a schema may be covered by `schema.table.column` rules, and the schema of a
  // relation is not in the statement: any schema rename is refused on such a connection.
  if (type === 'RenameStmt' && str(stmt, 'renameType') === 'OBJECT_SCHEMA')
    return `renaming schema ${str(stmt, 'subname') ?? ''} would detach the masking rules that name its tables; ${ADMIN_FIX}`;
  const rv = isObject(stmt.relation) ? stmt.relation : undefined;
  const name = rv ? (str(rv, 'relname') ?? '') : '';
  if (!rv || !sensitiveNames.has(name)) return undefined;
  if (type === 'AlterObjectSchemaStmt')
    return `moving ${name} to schema ${str(stmt, 'newschema') ?? ''} would detach the masking rules that name it; ${ADMIN_FIX}`;
  if (type === 'RenameStmt')
    return `renaming ${name} or one of its columns would detach the masking rules that name them; ${ADMIN_FIX}`;
  // ALTER TABLE on masked data can also copy it (a generated column over a masked one), re-type it
  // or detach a partition from the parent its rule names.
  return `altering ${name} could detach its masked columns from their masking rules or copy them unmasked; ${ADMIN_FIX}`;
}
