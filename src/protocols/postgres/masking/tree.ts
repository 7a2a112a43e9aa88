/**
 * @module Walking the classifier's parse tree for masking: every node of a subtree (constants skipped,
 * so an analysis reads no literal) and a call's schema and name.
 */
import { type AstObject, isObject, nameParts, unwrap } from '../classify/ast.js';

/** Walks every object of a subtree (arrays and node bodies alike). */
export function visit(
  value: unknown,
  fn: (obj: AstObject, type: string | undefined) => boolean | undefined,
): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (const child of item) stack.push(child);
      continue;
    }
    if (!isObject(item)) continue;
    const u = unwrap(item);
    if (u) {
      // fn returns true to skip the node's children.
      if (fn(u.body, u.type) === true) continue;
      // A constant holds values, never a relation, column or call: not reading them keeps the
      // analysis literal-free (LiteralWatch), so it can be shared by every text of its shape.
      if (u.type === 'A_Const') continue;
      stack.push(u.body);
      continue;
    }
    if (typeof item.relname === 'string' && fn(item, 'RangeVar') === true) continue;
    for (const key in item) {
      const child = item[key];
      if (typeof child === 'object' && child !== null) stack.push(child);
    }
  }
}

/** A call's schema (when qualified) and name. */
export function funcName(call: AstObject): { schema: string | undefined; name: string } {
  const parts = nameParts(call.funcname);
  return {
    schema: parts.length > 1 ? parts[parts.length - 2] : undefined,
    name: parts[parts.length - 1] ?? '',
  };
}
