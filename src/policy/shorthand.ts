/**
 * @module Compiles a connection's `guardrails:` shorthand to Cedar. Each listed name becomes one
 * `forbid` scoped to the connection, with `@id("deny:<name>")` (or `review:<name>` plus
 * `@airlock("review")`) so the decision names the rule, and `@guardrail("<name>")` so the engine can
 * word the reason. Nothing here is trusted to be complete: unknown names are problems, not skipped.
 */
import { SHORTHAND_NAMES, SHORTHAND_RULES } from './shorthand-rules.js';
import type { GuardrailConfig } from './types.js';

/** The compiled Cedar text and what was wrong with the input. */
export interface CompiledGuardrails {
  readonly cedar: string;
  /** One line per problem, naming the list, the index and the unknown name. */
  readonly problems: string[];
}

/** A Cedar string literal. */
export function cedarString(value: string): string {
  return JSON.stringify(value);
}

/** Edit distance, for "did you mean"; names are short, so the quadratic table is fine. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The closest known name within two edits, if any. */
export function suggestName(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of SHORTHAND_NAMES) {
    const d = distance(name.toLowerCase(), known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

function unknownName(list: string, index: number, name: string): string {
  const suggestion = suggestName(name);
  const hint = suggestion ? `; did you mean "${suggestion}"?` : '';
  return `guardrails.${list}[${index}]: unknown guardrail "${name}"${hint} (known: ${SHORTHAND_NAMES.join(', ')})`;
}

/** One shorthand entry as a Cedar policy. */
export function compileRule(name: string, outcome: 'deny' | 'review', connectionName: string): string {
  const rule = SHORTHAND_RULES[name];
  if (!rule) throw new RangeError(`unknown guardrail ${name}`);
  const annotations = [
    `@id(${cedarString(`${outcome}:${name}`)})`,
    ...(outcome === 'review' ? ['@airlock("review")'] : []),
    `@guardrail(${cedarString(name)})`,
  ];
  return (
    `${annotations.join('\n')}\n` +
    `forbid (\n  principal,\n  action,\n  resource == Airlock::Connection::${cedarString(connectionName)}\n)\n` +
    `when { ${rule.condition} };\n`
  );
}

/**
 * Compiles `deny:` and `review:` lists to Cedar policies for `connectionName`, deny rules first.
 * Duplicates compile once; a name in both lists compiles in both (deny wins at decision time).
 */
export function compileGuardrails(
  cfg: Pick<GuardrailConfig, 'deny' | 'review'>,
  connectionName: string,
): CompiledGuardrails {
  const problems: string[] = [];
  const parts: string[] = [];
  for (const outcome of ['deny', 'review'] as const) {
    const seen = new Set<string>();
    cfg[outcome].forEach((name, index) => {
      if (!Object.hasOwn(SHORTHAND_RULES, name)) {
        problems.push(unknownName(outcome, index, name));
        return;
      }
      if (seen.has(name)) return;
      seen.add(name);
      parts.push(compileRule(name, outcome, connectionName));
    });
  }
  return { cedar: parts.join('\n'), problems };
}
