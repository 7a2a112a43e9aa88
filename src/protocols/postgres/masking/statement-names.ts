/**
 * @module The names a masked session's client gives to statements and results, and what each one
 * currently stands for: protocol prepared statements (Parse) with their described columns, portals
 * (Bind) with their result formats and row plan, and SQL cursors (DECLARE) and prepared statements
 * (PREPARE) with whether what they return reads masked data. PostgreSQL keeps protocol and SQL names
 * in one namespace, so defining one forgets the other; a Parse or Bind the upstream skipped after an
 * error is undone. It is kept apart from `session.ts` because name bookkeeping follows PostgreSQL's
 * rules for names, independent of how answers are matched or rows rewritten.
 */
import type { FieldDescription } from '../codec/messages.js';
import type { SqlMasking } from './analysis.js';
import type { ColumnAction, RowPlan } from './rows.js';

/** A cursor or SQL prepared statement a statement defines, in force once that statement completes. */
export interface Definition {
  /** The statement's position in its text. */
  readonly index: number;
  readonly kind: 'cursor' | 'prepared';
  readonly name: string;
  readonly touches: boolean;
}

/** A protocol-level prepared statement: its text, and which Parse made it (`serial`). */
export interface ParsedStatement {
  readonly text: string;
  readonly serial: number;
}

export interface PortalState {
  readonly text: string;
  readonly statement: string;
  /** The Parse of the statement it was bound to: a later Parse of the name is another statement. */
  readonly serial: number;
  readonly resultFormats: readonly number[];
  plan?: RowPlan;
}

/** A described statement: its columns, and the actions for them under rules generation `generation`. */
export interface DescribedStatement {
  readonly fields: readonly FieldDescription[];
  actions: readonly ColumnAction[];
  readonly typeOids: readonly number[];
  generation: number;
  /** The Parse it describes. */
  readonly serial: number;
}

/** One session's statement, portal, cursor and SQL prepared statement names. */
export class StatementNames {
  readonly statements = new Map<string, ParsedStatement>();
  readonly portals = new Map<string, PortalState>();
  readonly statementPlans = new Map<string, DescribedStatement>();
  /** Parses seen: each statement and portal knows which one it came from. */
  #serial = 0;
  /**
   * SQL cursors and prepared statements by name: whether what they return reads masked data. A name
   * without an entry counts as reading it. Entries are set when the defining statement completes
   * (a DECLARE or PREPARE that failed, or never ran, defines nothing) and dropped as soon as one is
   * sent, and when a protocol portal or statement takes the name (they share PostgreSQL's namespace).
   */
  readonly #cursors = new Map<string, boolean>();
  readonly #prepared = new Map<string, boolean>();

  /** A Parse was sent: `statement` names `text` now. Returns what the name held (to undo a failed Parse). */
  parse(
    statement: string,
    text: string,
  ): { previous: ParsedStatement | undefined; previousPlan: DescribedStatement | undefined } {
    const previous = this.statements.get(statement);
    const previousPlan = this.statementPlans.get(statement);
    this.statements.set(statement, { text, serial: ++this.#serial });
    this.statementPlans.delete(statement);
    // SQL EXECUTE of this name now runs this statement, not an earlier SQL PREPARE's.
    this.#prepared.delete(statement);
    return { previous, previousPlan };
  }

  /** A Bind was sent: `portal` holds `statement` now. Returns its text and what the name held. */
  bind(
    portal: string,
    statement: string,
    resultFormats: readonly number[],
  ): { text: string; previous: PortalState | undefined } {
    const parsed = this.statements.get(statement);
    const text = parsed?.text ?? '';
    const previous = this.portals.get(portal);
    this.portals.set(portal, {
      text,
      statement,
      serial: parsed?.serial ?? -1,
      resultFormats: [...resultFormats],
    });
    // SQL FETCH of this name now reads this portal, not an earlier SQL cursor's.
    this.#cursors.delete(portal);
    return { text, previous };
  }

  /** A Parse the upstream skipped: the name holds what it held before. */
  undoParse(
    statement: string,
    previous: ParsedStatement | undefined,
    previousPlan: DescribedStatement | undefined,
  ): void {
    restore(this.statements, statement, previous);
    restore(this.statementPlans, statement, previousPlan);
  }

  /** A Bind the upstream skipped: the portal holds what it held before. */
  undoBind(portal: string, previous: PortalState | undefined): void {
    restore(this.portals, portal, previous);
  }

  /**
   * Cursors and SQL prepared statements `analysis` (of a text just sent) defines. Their names count as
   * reading masked data from now (the definition may replace an old one) until the definition completes
   * (`define`); a protocol portal or statement of the same name is replaced by it (or the definition
   * fails), so it is forgotten.
   */
  noteDefinitions(analysis: SqlMasking): Definition[] {
    const definitions: Definition[] = [];
    for (const [index, s] of analysis.statements.entries()) {
      if (!s.defines) continue;
      const { kind, name, touches } = s.defines;
      if (kind === 'cursor') {
        this.#cursors.delete(name);
        this.portals.delete(name);
      } else {
        this.#prepared.delete(name);
        this.statements.delete(name);
        this.statementPlans.delete(name);
      }
      definitions.push({ index, kind, name, touches });
    }
    return definitions;
  }

  /** The statement at `index` completed: the cursor or prepared statement it defines exists now. */
  define(definitions: readonly Definition[], index: number): void {
    for (const d of definitions) {
      if (d.index !== index) continue;
      (d.kind === 'cursor' ? this.#cursors : this.#prepared).set(d.name, d.touches);
    }
  }

  /** Whether the cursor or SQL prepared statement a statement reads returns masked data (undefined: unknown). */
  readsMasked(reads: { readonly kind: 'cursor' | 'prepared'; readonly name: string }): boolean | undefined {
    return reads.kind === 'cursor' ? this.#cursors.get(reads.name) : this.#prepared.get(reads.name);
  }
}

/** Puts `value` back under `key`, or removes the key when it held nothing. */
function restore<V>(map: Map<string, V>, key: string, value: V | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}
