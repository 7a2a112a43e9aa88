/**
 * @module The PostgreSQL statement classifier: SQL text in, one `StatementFacts` per statement out,
 * read with PostgreSQL's own parser (libpg-query, PostgreSQL 18). Anything the parser rejects or the
 * classifier cannot place is `{ ok: false, reason }`: the gate denies it (fail closed), never guesses.
 * Results are cached by exact text; docs/sql-actions.md lists every action and fact.
 *
 * @example
 * ```ts
 * await initClassifier();
 * const r = classifySql('WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d');
 * // r.ok === true; r.statements[0].action === 'sql.select' (writableCte: true),
 * // r.statements[1].action === 'sql.delete' (bounded: false, embeddedIn: 'cte')
 * ```
 */
import { loadModule } from 'libpg-query';
import type { StatementFacts } from '../../../core/command.js';
import { AirlockError, isAirlockError } from '../../../core/errors.js';
import { DEFAULT_CACHE_LIMITS, type TextCacheLimits, TextLru } from './cache.js';
import { toStatementFacts } from './draft.js';
import { LiteralWatch } from './literal-watch.js';
import type { PreparedLookup } from './prepared-scope.js';
import { shapeOf, type TextShape } from './shape.js';
import { classifyNode, createEnv, parseStatements } from './statement.js';

/** What the classifier made of one text. */
export type ClassifiedSql =
  | { readonly ok: true; readonly statements: readonly StatementFacts[] }
  | { readonly ok: false; readonly reason: string };

/** Per-call context. */
export interface ClassifyOptions {
  /**
   * Names the session prepared earlier with SQL `PREPARE` (the facts of that PREPARE entry), so an
   * `EXECUTE name` is judged by its body instead of as unknown `dynamicSql`.
   */
  readonly prepared?: PreparedLookup;
}

interface CacheEntry {
  readonly result: ClassifiedSql;
  /** The text EXECUTEs a name it does not PREPARE itself: a session lookup could change the result. */
  readonly asksSession: boolean;
  /** The result depends on no literal of the text: every text of the same shape gets the same one. */
  readonly sameForShape: boolean;
}

let ready = false;
let loading: Promise<void> | undefined;
let cache = new TextLru<CacheEntry>(DEFAULT_CACHE_LIMITS);
/** Results that hold for every text of a shape (`shape.ts`), keyed by the shape. */
let shapes = new TextLru<ClassifiedSql>(DEFAULT_CACHE_LIMITS);

/** Loads the parser (WebAssembly) once; later calls return the same promise. */
export function initClassifier(): Promise<void> {
  loading ??= loadModule().then(
    () => {
      ready = true;
    },
    (err: unknown) => {
      loading = undefined; // a later call may try again
      throw new AirlockError('ERR_INTERNAL', 'the SQL parser could not be loaded', { cause: err });
    },
  );
  return loading;
}

/** True once `initClassifier()` has resolved. */
export function isClassifierReady(): boolean {
  return ready;
}

/**
 * Classifies every statement of `text`. Synchronous; throws only when `initClassifier()` has not
 * resolved yet. Each statement yields one entry (plus one per DML it runs inside itself, such as
 * a writable CTE); `ok: false` when any statement cannot be placed.
 */
export function classifySql(text: string, options: ClassifyOptions = {}): ClassifiedSql {
  if (!ready)
    throw new AirlockError('ERR_INTERNAL', 'classifySql was called before initClassifier() resolved');
  let entry = cache.get(text);
  if (!entry) {
    // A new literal in a known statement (`WHERE aid = 48213`) costs a lexer pass, not a parse.
    // Such hits are not added by text: thousands of one-off literals would evict real repeats.
    const shape = shapeOf(text);
    const byShape = shape && shapes.get(shape.key);
    if (byShape) return byShape;
    entry = compute(text, undefined, shape);
    cache.set(text, entry);
    if (shape && entry.sameForShape) shapes.set(shape.key, entry.result);
  }
  if (entry.asksSession && options.prepared) return compute(text, options.prepared).result;
  return entry.result;
}

/** `classifySql` without the cache: for benchmarks and tests. */
export function classifySqlUncached(text: string, options: ClassifyOptions = {}): ClassifiedSql {
  if (!ready)
    throw new AirlockError('ERR_INTERNAL', 'classifySql was called before initClassifier() resolved');
  return compute(text, options.prepared).result;
}

/** Replaces the cache (empty) with one of the given limits. */
export function configureClassifierCache(limits: Partial<TextCacheLimits> = {}): void {
  cache = new TextLru<CacheEntry>({ ...DEFAULT_CACHE_LIMITS, ...limits });
  shapes = new TextLru<ClassifiedSql>({ ...DEFAULT_CACHE_LIMITS, ...limits });
}

/** Entries and characters the cache holds now. */
export function classifierCacheStats(): {
  readonly entries: number;
  readonly chars: number;
  readonly shapes: number;
} {
  return { entries: cache.size, chars: cache.chars, shapes: shapes.size };
}

function failed(reason: string): CacheEntry {
  return { result: Object.freeze({ ok: false, reason }), asksSession: false, sameForShape: false };
}

/** Classifies `text`; with its `shape`, also proves whether the result holds for the whole shape. */
function compute(text: string, session?: PreparedLookup, shape?: TextShape): CacheEntry {
  // The wire protocol ends a query at NUL, and so does the parser's C string: never let them differ.
  if (text.includes('\0')) return failed('the statement text contains a NUL character');
  try {
    const watch = shape ? new LiteralWatch() : undefined;
    const parsed = parseStatements(text, watch && ((stmts) => watch.instrument(stmts)));
    const env = createEnv(0, session);
    const entries: StatementFacts[] = [];
    parsed.forEach((s, index) => {
      const c = classifyNode(s.type, s.body, env, [], s.source);
      entries.push(toStatementFacts(c.primary, parsed.length, index));
      for (const extra of c.extras) entries.push(toStatementFacts(extra, parsed.length, index));
    });
    const asksSession = env.prepared.askedSession;
    return {
      result: Object.freeze({ ok: true, statements: Object.freeze(entries) }),
      asksSession,
      sameForShape:
        watch !== undefined && !watch.read && !asksSession && watch.covers(shape?.literalOffsets ?? []),
    };
  } catch (err) {
    if (isAirlockError(err) && err.code === 'ERR_BAD_REQUEST') return failed(err.message);
    if (err instanceof RangeError) return failed('the statement is too complex to classify');
    return failed(`the classifier failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
