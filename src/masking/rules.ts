/**
 * @module Column rules of one connection, as a matcher: `[schema.]table.column` patterns (each part
 * a name or `*`) to strategies. The first matching rule wins, in configuration order, except that a
 * rule naming the exact column beats a wildcard one, so `customers.*: redact` plus
 * `customers.email: email` masks email by domain and every other column whole.
 */
import type { MaskingColumnRule } from '../core/connection.js';
import type { Strategy } from './strategies.js';

/** Where a relation lives and what it is called, as the catalog stores it. */
export interface RelationName {
  readonly schema: string;
  readonly table: string;
}

function partMatches(pattern: string | undefined, name: string): boolean {
  return pattern === undefined || pattern === '*' || pattern === name;
}

/** Rules compiled for lookups. */
export class ColumnRules {
  readonly #rules: readonly MaskingColumnRule[];

  constructor(rules: readonly MaskingColumnRule[]) {
    // Exact column names first, wildcards after; otherwise configuration order.
    this.#rules = [...rules].sort((a, b) => Number(a.column === '*') - Number(b.column === '*'));
  }

  get isEmpty(): boolean {
    return this.#rules.length === 0;
  }

  /** The strategy for one column, or undefined when no rule masks it. */
  strategyFor(relation: RelationName, column: string): Strategy | undefined {
    for (const rule of this.#rules) {
      if (
        partMatches(rule.schema, relation.schema) &&
        partMatches(rule.table, relation.table) &&
        partMatches(rule.column, column)
      ) {
        return rule.strategy;
      }
    }
    return undefined;
  }

  /** True when some rule could mask a column of this relation. */
  coversRelation(relation: RelationName): boolean {
    return this.#rules.some(
      (r) => partMatches(r.schema, relation.schema) && partMatches(r.table, relation.table),
    );
  }

  /** Literal table names of the rules, or undefined when a rule's table part is `*`. */
  literalTables(): string[] | undefined {
    if (this.#rules.some((r) => r.table === '*')) return undefined;
    return [...new Set(this.#rules.map((r) => r.table))];
  }
}
