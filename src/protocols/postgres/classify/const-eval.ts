/**
 * @module Folds constant SQL expressions (`1 = 1`, `'t'::boolean`, `NOT false`, `2 > 1`, `'a' LIKE '%'`,
 * `1 IN (1, 2)`) to their value with SQL's three-valued logic, so `bounded` can tell a tautology from
 * a filter. Anything it does not fold is `undefined` ("not known here"), never a guess.
 */
import { type AstObject, isObject, listOf, nameParts, nodeOf, parseBool, str, unwrap } from './ast.js';

/** A constant's value, as far as this module folds them. */
export type Value =
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'num'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'null' };

const NULL: Value = { t: 'null' };
const bool = (v: boolean): Value => ({ t: 'bool', v });

/** The value of a constant expression, or undefined when it is not one (or not folded here). */
export function constEval(node: unknown): Value | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  const b = u.body;
  switch (u.type) {
    case 'A_Const':
      return constValue(b);
    case 'TypeCast':
      return castValue(
        constEval(b.arg),
        nameParts(isObject(b.typeName) ? b.typeName.names : undefined).at(-1),
      );
    case 'A_Expr':
      return exprValue(b);
    case 'BoolExpr':
      return boolExprValue(b);
    case 'NullTest': {
      const v = constEval(b.arg);
      if (!v) return undefined;
      return bool(b.nulltesttype === 'IS_NULL' ? v.t === 'null' : v.t !== 'null');
    }
    case 'BooleanTest': {
      const v = constEval(b.arg);
      if (!v || (v.t !== 'bool' && v.t !== 'null')) return undefined;
      const t = v.t === 'bool' && v.v;
      const f = v.t === 'bool' && !v.v;
      const results: Record<string, boolean> = {
        IS_TRUE: t,
        IS_NOT_TRUE: !t,
        IS_FALSE: f,
        IS_NOT_FALSE: !f,
        IS_UNKNOWN: v.t === 'null',
        IS_NOT_UNKNOWN: v.t !== 'null',
      };
      const r = results[String(b.booltesttype)];
      return r === undefined ? undefined : bool(r);
    }
    default:
      return undefined;
  }
}

function constValue(c: AstObject): Value | undefined {
  if (c.isnull === true) return NULL;
  const ival = nodeOf(c, 'ival');
  if (ival) return { t: 'num', v: typeof ival.ival === 'number' ? ival.ival : 0 };
  const fval = nodeOf(c, 'fval');
  if (fval) return { t: 'num', v: Number(str(fval, 'fval') ?? '0') };
  const boolval = nodeOf(c, 'boolval');
  if (boolval) return bool(boolval.boolval === true);
  const sval = nodeOf(c, 'sval');
  if (sval) return { t: 'str', v: str(sval, 'sval') ?? '' };
  return undefined;
}

const NUMERIC_TYPES = new Set([
  'int2',
  'int4',
  'int8',
  'numeric',
  'float4',
  'float8',
  'int',
  'integer',
  'bigint',
]);
const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'name', 'char']);
const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i;

function castValue(v: Value | undefined, type: string | undefined): Value | undefined {
  if (!v || type === undefined) return undefined;
  if (v.t === 'null') return NULL;
  if (type === 'bool') {
    if (v.t === 'bool') return v;
    if (v.t === 'num') return bool(v.v !== 0);
    const parsed = parseBool(v.v);
    return parsed === undefined ? undefined : bool(parsed);
  }
  if (NUMERIC_TYPES.has(type)) {
    if (v.t === 'num') return v;
    if (v.t === 'bool') return { t: 'num', v: v.v ? 1 : 0 };
    return NUMERIC_TEXT.test(v.v) ? { t: 'num', v: Number(v.v) } : undefined;
  }
  if (TEXT_TYPES.has(type)) return { t: 'str', v: String(v.v) };
  return undefined;
}

/** Brings two constants to one type for comparison, as PostgreSQL coerces an untyped literal. */
function coerce(l: Value, r: Value): [Value, Value] | undefined {
  if (l.t === r.t) return [l, r];
  if (l.t === 'str' && r.t === 'num')
    return NUMERIC_TEXT.test(l.v) ? [{ t: 'num', v: Number(l.v) }, r] : undefined;
  if (l.t === 'num' && r.t === 'str')
    return NUMERIC_TEXT.test(r.v) ? [l, { t: 'num', v: Number(r.v) }] : undefined;
  if (l.t === 'str' && r.t === 'bool') {
    const b = parseBool(l.v);
    return b === undefined ? undefined : [bool(b), r];
  }
  if (l.t === 'bool' && r.t === 'str') {
    const b = parseBool(r.v);
    return b === undefined ? undefined : [l, bool(b)];
  }
  return undefined;
}

function compare(op: string, l: Value, r: Value): Value | undefined {
  if (l.t === 'null' || r.t === 'null') return NULL;
  const pair = coerce(l, r);
  if (!pair) return undefined;
  const [a, b] = pair as [Exclude<Value, { t: 'null' }>, Exclude<Value, { t: 'null' }>];
  const x = a.v;
  const y = b.v;
  switch (op) {
    case '=':
      return bool(x === y);
    case '<>':
    case '!=':
      return bool(x !== y);
    case '<':
      return bool(x < y);
    case '>':
      return bool(x > y);
    case '<=':
      return bool(x <= y);
    case '>=':
      return bool(x >= y);
    default:
      return undefined;
  }
}

function arithmetic(op: string, l: Value, r: Value): Value | undefined {
  if (l.t === 'null' || r.t === 'null') return NULL;
  if (op === '||' && l.t === 'str' && r.t === 'str') return { t: 'str', v: l.v + r.v };
  if (l.t !== 'num' || r.t !== 'num') return undefined;
  const results: Record<string, number> = { '+': l.v + r.v, '-': l.v - r.v, '*': l.v * r.v };
  const v = results[op];
  return v === undefined ? undefined : { t: 'num', v };
}

function exprValue(e: AstObject): Value | undefined {
  const op = nameParts(e.name).at(-1) ?? '';
  switch (e.kind) {
    case 'AEXPR_OP': {
      const r = constEval(e.rexpr);
      if (!r) return undefined;
      if (e.lexpr === undefined) {
        if (r.t === 'null') return NULL;
        if (r.t === 'num' && (op === '-' || op === '+')) return { t: 'num', v: op === '-' ? -r.v : r.v };
        return undefined;
      }
      const l = constEval(e.lexpr);
      if (!l) return undefined;
      return compare(op, l, r) ?? arithmetic(op, l, r);
    }
    case 'AEXPR_DISTINCT':
    case 'AEXPR_NOT_DISTINCT': {
      const l = constEval(e.lexpr);
      const r = constEval(e.rexpr);
      if (!l || !r) return undefined;
      const equal = l.t === 'null' || r.t === 'null' ? l.t === r.t : compare('=', l, r);
      if (equal === undefined) return undefined;
      const isEqual = typeof equal === 'boolean' ? equal : equal.t === 'bool' && equal.v;
      return bool(e.kind === 'AEXPR_NOT_DISTINCT' ? isEqual : !isEqual);
    }
    case 'AEXPR_IN': {
      const l = constEval(e.lexpr);
      const items = listOf(nodeOf(e.rexpr, 'List')?.items).map(constEval);
      if (!l || items.some((i) => i === undefined)) return undefined;
      const results = items.map((i) => compare('=', l, i as Value));
      if (results.some((r) => r === undefined)) return undefined;
      const found = results.some((r) => r?.t === 'bool' && r.v);
      const unknown = !found && results.some((r) => r?.t === 'null');
      if (unknown) return NULL;
      return bool(op === '=' ? found : !found);
    }
    case 'AEXPR_LIKE':
    case 'AEXPR_ILIKE': {
      const l = constEval(e.lexpr);
      const r = constEval(e.rexpr);
      if (l?.t !== 'str' || r?.t !== 'str') return l?.t === 'null' || r?.t === 'null' ? NULL : undefined;
      const flags = e.kind === 'AEXPR_ILIKE' ? 'is' : 's';
      const matches = likeToRegExp(r.v, flags).test(l.v);
      return bool(op.startsWith('!') ? !matches : matches);
    }
    default:
      return undefined;
  }
}

/** LIKE pattern → anchored RegExp (`%` any run, `_` one character, `\` escapes). */
function likeToRegExp(pattern: string, flags: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? '';
    if (ch === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i] ?? '');
    else if (ch === '%') source += '.*';
    else if (ch === '_') source += '.';
    else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, flags);
}

const escapeRegExp = (ch: string): string => ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function boolExprValue(b: AstObject): Value | undefined {
  const values = listOf(b.args).map(constEval);
  const truth = (v: Value | undefined): boolean | null | undefined =>
    v === undefined ? undefined : v.t === 'null' ? null : v.t === 'bool' ? v.v : undefined;
  const truths = values.map(truth);
  if (b.boolop === 'NOT_EXPR') {
    const t = truths[0];
    return t === undefined ? undefined : t === null ? NULL : bool(!t);
  }
  const isAnd = b.boolop === 'AND_EXPR';
  // AND: one false decides; OR: one true decides, even next to unknown parts.
  if (truths.includes(!isAnd)) return bool(!isAnd);
  if (truths.includes(undefined)) return undefined;
  return truths.includes(null) ? NULL : bool(isAnd);
}
