/**
 * @module Statement analyses cached across sessions, the way the classifier caches classifications:
 * by exact text, and by the text's shape (`classify/shape.ts`, literals replaced by markers) when the
 * analysis provably read no literal (`classify/literal-watch.ts`). pgbench `-S` simple sends a new
 * literal every time; without the shape its every statement would be parsed again.
 *
 * An analysis depends on the connection's rules (`onDerived`, `denyPredicates`, detection on, column
 * rules) and on the catalog snapshot's names (masked relations, tainted views, masked column names),
 * nothing else. Caches are therefore kept per *context signature*, built from exactly those inputs:
 * a config reload that changes a rule, or a catalog refresh after DDL that changes a name, lands on
 * another cache; a refresh that finds the same names (the 5 s time to live) keeps the warm one.
 */
import { LruCache } from '../../../core/lru.js';
import { type TextCacheLimits, TextLru } from '../classify/cache.js';
import { shapeOf } from '../classify/shape.js';
import { type AnalysisContext, analyzeSqlWatched, type SqlMasking } from './analysis.js';

/** Per context: 2,000 statements, 1 MiB of text, statements up to 16 KiB (by text and by shape each). */
const LIMITS: TextCacheLimits = { maxEntries: 2_000, maxChars: 1024 * 1024, maxKeyChars: 16 * 1024 };
/** Contexts kept at once (connections with different rules, catalog generations). */
const MAX_CONTEXTS = 8;

/** The analyses of one context. */
export class StatementAnalyses {
  readonly #ctx: AnalysisContext;
  readonly #hasColumnRules: boolean;
  readonly #texts = new TextLru<SqlMasking>(LIMITS);
  readonly #shapes = new TextLru<SqlMasking>(LIMITS);

  constructor(ctx: AnalysisContext, hasColumnRules: boolean) {
    this.#ctx = ctx;
    this.#hasColumnRules = hasColumnRules;
  }

  /** The analysis of `text`: a cache hit by text or shape, else one parse. */
  analyze(text: string): SqlMasking {
    const known = this.#texts.get(text);
    if (known) return known;
    // NUL never arrives from the wire (it ends the C string), but shape markers are built on it.
    const shape = text.includes('\0') ? undefined : shapeOf(text);
    const byShape = shape && this.#shapes.get(shape.key);
    // Shape hits are not added by text: one-off literals would evict real repeats.
    if (byShape) return byShape;
    const { analysis, sameForShape } = analyzeSqlWatched(
      text,
      this.#ctx,
      this.#hasColumnRules,
      shape?.literalOffsets,
    );
    this.#texts.set(text, analysis);
    if (shape && sameForShape) this.#shapes.set(shape.key, analysis);
    return analysis;
  }

  /** Entries held by text and by shape (tests, diagnostics). */
  get stats(): { readonly texts: number; readonly shapes: number } {
    return { texts: this.#texts.size, shapes: this.#shapes.size };
  }
}

const contexts = new LruCache<StatementAnalyses>(MAX_CONTEXTS);

/** Everything an analysis reads from its context, as one key. Sets are sorted: order never matters. */
export function contextSignature(ctx: AnalysisContext, hasColumnRules: boolean): string {
  return JSON.stringify([
    [...ctx.sensitiveNames].sort(),
    [...ctx.viewNames].sort(),
    [...ctx.maskedColumnNames].sort(),
    ctx.onDerived,
    ctx.denyPredicates,
    ctx.detects,
    hasColumnRules,
    [...(ctx.userCode?.routines ?? [])].sort(),
    [...(ctx.userCode?.operators ?? [])].sort(),
    [...(ctx.userCode?.checkedDomains ?? [])].sort(),
  ]);
}

/** The shared analyses for `ctx` (one per distinct signature). */
export function analysesFor(ctx: AnalysisContext, hasColumnRules: boolean): StatementAnalyses {
  const key = contextSignature(ctx, hasColumnRules);
  let found = contexts.get(key);
  if (!found) {
    found = new StatementAnalyses(ctx, hasColumnRules);
    contexts.set(key, found);
  }
  return found;
}
