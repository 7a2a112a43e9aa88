/**
 * @module Small readers for libpg-query's JSON parse tree. A node is `{ "TypeName": { ...fields } }`
 * where a field's declared type is the generic `Node`, and the bare field object where the declared
 * type is one node type (`DeleteStmt.relation` is a bare RangeVar). Protobuf defaults are left out of
 * the JSON: an absent `ival`, `boolval` or `sval` means 0, false or the empty string.
 * @see https://github.com/pganalyze/libpg_query/blob/17-latest/protobuf/pg_query.proto
 */

/** One object of the parse tree (a node body or a bare field object). */
export type AstObject = Readonly<Record<string, unknown>>;

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is AstObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The list under `value`, or an empty one: the tree leaves out empty lists. */
export function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Splits a wrapped node into its type and body; undefined when `value` is not one. */
export function unwrap(value: unknown): { readonly type: string; readonly body: AstObject } | undefined {
  if (!isObject(value)) return undefined;
  for (const type in value) {
    const body = value[type];
    // A wrapper has exactly one key, named after the node type (always capitalised).
    return isObject(body) && isNodeTypeKey(type) ? { type, body } : undefined;
  }
  return undefined;
}

/** Node type names start with a capital letter; field names never do. */
export function isNodeTypeKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 65 && c <= 90;
}

/** The body of `value` when it is a node of `type`. */
export function nodeOf(value: unknown, type: string): AstObject | undefined {
  if (!isObject(value)) return undefined;
  const body = value[type];
  return isObject(body) ? body : undefined;
}

/** The text of a `String` node (`{ String: { sval } }`), or undefined. */
export function stringNode(value: unknown): string | undefined {
  const body = nodeOf(value, 'String');
  if (!body) return undefined;
  return typeof body.sval === 'string' ? body.sval : '';
}

/** The parts of a name list (`[{ String }, { String }]`), e.g. `['pg_catalog', 'lower']`. */
export function nameParts(list: unknown): string[] {
  const parts: string[] = [];
  for (const item of listOf(list)) {
    const text = stringNode(item);
    if (text !== undefined) parts.push(text);
  }
  return parts;
}

/** A string field of a node, or undefined. */
export function str(body: AstObject | undefined, field: string): string | undefined {
  const value = body?.[field];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Joins name parts as the statement wrote them. The parser already lower-cased unquoted identifiers;
 * a part that holds a dot or a quote is quoted again so `"a.b"` never reads as schema `a`, table `b`.
 */
export function joinName(parts: readonly string[]): string {
  return parts.map((p) => (/[."]/.test(p) ? `"${p.replaceAll('"', '""')}"` : p)).join('.');
}

/** The written name of a RangeVar body: `schema.table` when qualified. */
export function rangeVarName(rv: AstObject): string {
  const parts: string[] = [];
  for (const field of ['catalogname', 'schemaname', 'relname']) {
    const part = str(rv, field);
    if (part !== undefined) parts.push(part);
  }
  return joinName(parts);
}

/** The boolean a DefElem option carries: absent means true (`ANALYZE` alone), as PostgreSQL reads it. */
export function defElemBool(defElem: AstObject): boolean | undefined {
  const arg = defElem.arg;
  if (arg === undefined) return true;
  const b = nodeOf(arg, 'Boolean');
  if (b) return b.boolval === true;
  const i = nodeOf(arg, 'Integer');
  if (i) return i.ival === undefined ? false : i.ival === 1 ? true : undefined;
  const s = stringNode(arg);
  if (s !== undefined) return parseBool(s);
  return undefined;
}

/** PostgreSQL's boolean spelling (`parse_bool`): unique prefixes of true/false/yes/no, on/off, 1/0. */
export function parseBool(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  if ('true'.startsWith(t) || 'yes'.startsWith(t) || t === 'on' || t === '1') return true;
  if ('false'.startsWith(t) || 'no'.startsWith(t) || t === 'off' || t === 'of' || t === '0') return false;
  return undefined;
}

/** Keys that only say where a node was written; structural comparison ignores them. */
function isPositionKey(key: string): boolean {
  return (
    key === 'location' ||
    key.endsWith('_location') ||
    key.endsWith('_list_start') ||
    key.endsWith('_list_end')
  );
}

/** Structural equality of two subtrees, ignoring positions (`x = x` written twice compares equal). */
export function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameTree(item, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const aKeys = Object.keys(a).filter((k) => !isPositionKey(k));
  const bKeys = Object.keys(b).filter((k) => !isPositionKey(k));
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((k) => Object.hasOwn(b, k) && sameTree(a[k], b[k]));
}
