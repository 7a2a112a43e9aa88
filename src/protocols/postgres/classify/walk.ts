/**
 * @module The generic walk over one statement's parse tree: every relation (RangeVar) and function
 * call (FuncCall) anywhere in it is recorded, and a statement found inside another (the DELETE of a
 * writable CTE, a rule's action) is classified on its own and folded in. Statement handlers call
 * `walk` on the parts they do not read themselves, so nothing in a tree is skipped by accident.
 */
import { DML_TYPES, type SqlAction } from './actions.js';
import { type AstObject, isNodeTypeKey, isObject, listOf, nodeOf, rangeVarName, str, unwrap } from './ast.js';
import { absorbClassified, type Classified, type Draft, newDraft } from './draft.js';
import { unclassifiable } from './fail.js';
import { noteFunctionCall } from './functions.js';
import type { PreparedScope } from './prepared-scope.js';

/** Deeper trees (about 2,000 nested expressions) are refused rather than risk the stack. */
const MAX_TREE_DEPTH = 4000;

/** What statement handlers need from the classifier around them (injected: no import cycle). */
export interface Env {
  /** Statements prepared earlier in the same text (`PREPARE p AS ...; EXECUTE p`) or in the session. */
  readonly prepared: PreparedScope;
  /** How many code bodies deep this text is (a DO inside a function inside a DO...). */
  readonly depth: number;
  /** Classifies a statement node found inside another. */
  classifyNode(type: string, body: AstObject, cteNames: readonly string[]): Classified;
  /** Parses and classifies SQL text found inside a statement (a body, an EXECUTE string); throws on parse errors. */
  classifyCode(text: string): Classified[];
}

/** Where a statement that runs inside another was found; the `embeddedIn` fact of its entry. */
export type EmbeddedIn = 'cte' | 'copy' | 'schema' | 'statement';

/** Walks one statement, filling its draft and collecting the entries of DML that runs inside it. */
export class StatementWalker {
  readonly draft: Draft;
  readonly extras: Draft[] = [];
  #depth = 0;
  #replacement: Classified | undefined;

  /**
   * @param env the surrounding classifier
   * @param action the statement's action until its handler says otherwise
   * @param cteNames CTE names visible from outside (a writable CTE's DML sees its siblings)
   * @param source the statement's own text, when it was parsed from text (DO and function bodies need it)
   */
  constructor(
    readonly env: Env,
    action: SqlAction,
    readonly cteNames: readonly string[] = [],
    readonly source?: string,
  ) {
    this.draft = newDraft(action);
  }

  /** Records every relation and function under `value`, classifying statements found inside. */
  walk(value: unknown, cteNames: readonly string[] = this.cteNames): void {
    if (++this.#depth > MAX_TREE_DEPTH) unclassifiable('statement nests too deeply to classify');
    try {
      if (Array.isArray(value)) {
        for (const item of value) this.walk(item, cteNames);
      } else if (isObject(value)) {
        this.#walkObject(value, cteNames);
      }
    } finally {
      this.#depth--;
    }
  }

  #walkObject(obj: AstObject, outer: readonly string[]): void {
    // Only RangeVar has `relname`: a bare RangeVar field (DeleteStmt.relation) is found by shape.
    if (typeof obj.relname === 'string') {
      this.relation(obj, false, outer);
      return;
    }
    const withClause = isObject(obj.withClause) ? obj.withClause : undefined;
    const cteNames = withClause ? [...outer, ...cteNamesOf(withClause)] : outer;
    for (const key in obj) {
      const child = obj[key];
      if (typeof child !== 'object' || child === null) continue;
      if (child === withClause) this.#walkWith(withClause, outer);
      else if (isNodeTypeKey(key) && isObject(child)) this.#walkNode(key, child, cteNames);
      else this.walk(child, cteNames);
    }
  }

  /**
   * A CTE's own query sees only the CTEs before it (all of them, itself included, under WITH
   * RECURSIVE): in `WITH secrets AS (SELECT * FROM secrets) ...` the inner `secrets` is the table.
   */
  #walkWith(withClause: AstObject, outer: readonly string[]): void {
    const names = cteNamesOf(withClause);
    listOf(withClause.ctes).forEach((cte, i) => {
      const visible = withClause.recursive === true ? names : names.slice(0, i);
      this.walk(cte, [...outer, ...visible]);
    });
  }

  #walkNode(type: string, body: AstObject, cteNames: readonly string[]): void {
    switch (type) {
      case 'A_Const':
      case 'String':
      case 'Integer':
      case 'Float':
      case 'Boolean':
      case 'BitString':
      case 'ParamRef':
      case 'TypeName':
        return; // leaves: nothing to record, and the hot path skips them
      case 'RangeVar':
        this.relation(body, false, cteNames);
        return;
      case 'FuncCall':
        noteFunctionCall(body, this);
        this.walk(body, cteNames);
        return;
      case 'CommonTableExpr': {
        const query = unwrap(body.ctequery);
        if (query && DML_TYPES.has(query.type)) {
          this.embed(query.type, query.body, 'cte', cteNames);
          return;
        }
        this.walk(body, cteNames);
        return;
      }
      case 'SelectStmt':
        this.walk(body, cteNames); // a subquery belongs to this statement
        return;
      default:
        if (DML_TYPES.has(type)) this.embed(type, body, 'statement', cteNames);
        else if (type.endsWith('Stmt')) this.nested(type, body, cteNames);
        else this.walk(body, cteNames);
    }
  }

  /**
   * Records a relation. Unqualified names of CTEs in scope are not relations. A relation the
   * statement writes (a DML target, a created or dropped table) is also a `target`.
   */
  relation(rv: AstObject, target: boolean, cteNames: readonly string[] = this.cteNames): void {
    const name = rangeVarName(rv);
    const isCte = str(rv, 'schemaname') === undefined && cteNames.includes(str(rv, 'relname') ?? '');
    if (target) this.draft.targets.add(name);
    else if (!isCte) this.draft.objects.add(name);
  }

  /** A bare RangeVar field of the statement, when present. */
  relationField(body: AstObject, field: string, target: boolean): void {
    const rv = body[field];
    if (isObject(rv)) this.relation(rv, target);
  }

  /**
   * DML that runs now inside this statement (a writable CTE, `COPY (DELETE ... RETURNING)`): it gets
   * its own entry, so every rule about its action applies unchanged, and is folded in here too.
   */
  embed(type: string, body: AstObject, via: EmbeddedIn, cteNames: readonly string[] = this.cteNames): void {
    const inner = this.env.classifyNode(type, body, cteNames);
    inner.primary.extra.embeddedIn = via;
    if (via === 'cte') this.draft.writableCte = true;
    this.extras.push(inner.primary, ...inner.extras);
    absorbClassified(this.draft, inner);
  }

  /** Any other statement found inside this one (a rule's actions, CREATE FUNCTION ... SET): folded in. */
  nested(type: string, body: AstObject, cteNames: readonly string[] = this.cteNames): void {
    absorbClassified(this.draft, this.env.classifyNode(type, body, cteNames));
  }

  /** Classifies SQL text that runs inside this statement and folds it in (DO and function bodies). */
  code(text: string): void {
    for (const inner of this.env.classifyCode(text)) absorbClassified(this.draft, inner);
  }

  /** Makes `classified` the result instead of this walker's draft (EXPLAIN ANALYZE is its statement). */
  replaceWith(classified: Classified): void {
    this.#replacement = classified;
  }

  /** The finished classification. */
  result(): Classified {
    return this.#replacement ?? { primary: this.draft, extras: this.extras };
  }
}

/** The names a WITH clause defines, in order. */
function cteNamesOf(withClause: AstObject): string[] {
  const names: string[] = [];
  for (const cte of listOf(withClause.ctes)) {
    const name = str(nodeOf(cte, 'CommonTableExpr'), 'ctename');
    if (name !== undefined) names.push(name);
  }
  return names;
}
