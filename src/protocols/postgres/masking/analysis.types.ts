/**
 * @module The types of a statement analysis: what it reads from the connection's rules and catalog
 * snapshot (`AnalysisContext`) and what it answers (`SqlMasking`: a `StatementShape` per statement, or
 * a `MaskingRefusal`). They sit apart from `analysis.ts` so that the analyzer and the rule files can
 * name them without importing the entry point that runs them; `analysis.ts` re-exports them.
 */

/** What analysis needs from the connection's rules and the catalog snapshot. */
export interface AnalysisContext {
  /** Unqualified names of masked relations and of views reading them. */
  readonly sensitiveNames: ReadonlySet<string>;
  /** Unqualified names of views reading masked data (their column names do not trace). */
  readonly viewNames: ReadonlySet<string>;
  readonly maskedColumnNames: ReadonlySet<string>;
  readonly onDerived: 'redact' | 'deny';
  readonly denyPredicates: boolean;
  /** Content detection is on: binary COPY cannot be checked. */
  readonly detects: boolean;
  /** Code the target's catalog holds outside the system schemas (`catalog.ts`); none when absent. */
  readonly userCode?: UserCodeNames;
}

/**
 * Names of code objects created on the target outside Airlock (any schema but pg_catalog and
 * information_schema), unqualified: a call, operator use or cast naming one runs code Airlock cannot
 * see, whatever schema qualification or search_path the statement uses.
 */
export interface UserCodeNames {
  /** Functions, procedures and aggregates (`pg_proc`). */
  readonly routines: ReadonlySet<string>;
  /** Operators (`pg_operator`). */
  readonly operators: ReadonlySet<string>;
  /** Domains with a CHECK constraint, their own or a base domain's. */
  readonly checkedDomains: ReadonlySet<string>;
}

/** `COPY relation [(columns)] TO STDOUT` in a format Airlock can rewrite. */
export interface CopyShape {
  readonly schema?: string;
  readonly table: string;
  readonly columns?: readonly string[];
  readonly format: 'text' | 'csv';
  readonly header: boolean;
}

/** Masking's view of one statement. */
export interface StatementShape {
  readonly touches: boolean;
  /** Set operations over masked data: every output column is derived. */
  readonly allDerived: boolean;
  /** Per output position: true when a computed column is provably not from masked data. Undefined: unknown. */
  readonly cleanOutputs?: readonly boolean[];
  readonly copy?: CopyShape;
  /** Cursor or SQL prepared statement this statement defines (with its own `touches`) or reads. */
  readonly defines?: {
    readonly kind: 'cursor' | 'prepared';
    readonly name: string;
    readonly touches: boolean;
  };
  readonly reads?: { readonly kind: 'cursor' | 'prepared'; readonly name: string };
  /**
   * The statement returns no masked rows itself but may run a query over masked data whose errors
   * and notices quote values: EXPLAIN ANALYZE, DECLARE (a holdable cursor runs at commit), COMMIT.
   */
  readonly runs?: boolean;
}

/** A refusal: the rule name (`masking-...`) and the reason the client reads. */
export interface MaskingRefusal {
  readonly rule: string;
  readonly reason: string;
}

export interface SqlMasking {
  readonly statements: readonly StatementShape[];
  readonly refusal?: MaskingRefusal;
}
