/**
 * @module Proves a classification did not depend on the text's literals, so it may be reused for
 * every text of the same shape (`shape.ts`). Before classifying, `instrument` walks the parse tree
 * and turns each constant (`A_Const`) into one whose values report any read: the const-evaluator
 * (`WHERE 1 = 1`), `set_config('role', ...)`, `SET x = 'v'` and every other reader flip `read`.
 * `covers` then checks that every literal the shape lexer found became such a constant: a string
 * that became something else (a function body, a DO block, a COPY file name, an option value, one
 * half of two adjacent strings) is read without any constant being touched, so such a text is
 * never shared by shape.
 */
import { isObject } from './ast.js';

/** One classification's watch over its constants. */
export class LiteralWatch {
  /** A constant's value was read while classifying. */
  read = false;
  readonly #locations = new Set<number>();

  /** Makes every constant in `tree` report reads of its values, and notes where each starts. */
  instrument(tree: unknown): void {
    if (Array.isArray(tree)) {
      for (const item of tree) this.instrument(item);
      return;
    }
    if (!isObject(tree)) return;
    for (const key of Object.keys(tree)) {
      const child = tree[key];
      if (key === 'A_Const' && isObject(child)) this.#watchConstant(child as Record<string, unknown>);
      else this.instrument(child);
    }
  }

  /** True when every offset is the start of a constant in the tree. */
  covers(offsets: readonly number[]): boolean {
    for (const offset of offsets) if (!this.#locations.has(offset)) return false;
    return true;
  }

  #watchConstant(constant: Record<string, unknown>): void {
    if (typeof constant.location === 'number') this.#locations.add(constant.location);
    for (const key of Object.keys(constant)) {
      if (key === 'location') continue;
      const value = constant[key];
      Object.defineProperty(constant, key, {
        enumerable: true,
        configurable: true,
        get: () => {
          this.read = true;
          return value;
        },
      });
    }
  }
}
