/**
 * @module Commands: one protocol-neutral description per operation a client asks the target to do
 * (a SQL statement, later an SSH exec or an HTTP request). The gate decides on these.
 */

/** The channel a command arrived on; policy may treat them alike, audit shows which. */
export type CommandChannel = 'simple' | 'extended' | 'copy' | 'function-call';

/** A fact about a statement that policy can test (Cedar context attribute values). */
export type FactValue = string | number | boolean | readonly string[];

/**
 * What a classifier learned about one statement of a command: its action (`sql.delete`), the
 * objects it touches and named facts (`bounded`, `copyProgram`, `dynamicSql`...). A command of
 * several statements has one entry each; policy decides every one and the strictest wins.
 */
export interface StatementFacts {
  readonly action: string;
  readonly objects: readonly string[];
  readonly facts: Readonly<Record<string, FactValue>>;
}

/** One operation a client wants run. */
export interface Command {
  /** Unique within the session, increasing. */
  readonly id: number;
  readonly channel: CommandChannel;
  /** The statement text as the client sent it. Audit redacts password literals before storing. */
  readonly text: string;
  /** Bound parameters (extended protocol), as text; binary ones as `\\x...` hex. */
  readonly parameters?: readonly (string | null)[];
  /** Action such as `sql.select`, once a classifier exists; `sql.unclassified` until then. */
  readonly action: string;
  /** Relations and functions touched, once a classifier exists. */
  readonly objects: readonly string[];
  /**
   * Every statement of the command, when a classifier ran. Absent: not classified. An empty
   * array with `unparsed` set: the classifier could not place it (fail closed).
   */
  readonly statements?: readonly StatementFacts[];
  /** Why the classifier could not place the command, when it could not. */
  readonly unparsed?: string;
}

/** How a command ended at the target. */
export interface CommandResult {
  readonly outcome: 'success' | 'error';
  /** Rows returned or affected, when the target said. */
  readonly rows?: number;
  readonly durationMs: number;
  /** Target's error code (SQLSTATE) and message when it failed. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** What masking replaced in the answer: count per `table.column`, `derived` or entity. */
  readonly masked?: Readonly<Record<string, number>>;
}
