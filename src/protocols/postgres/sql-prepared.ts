/**
 * @module The SQL-level prepared statements (`PREPARE name AS ...`) one session has on its server,
 * as far as Airlock can be sure, so a later `EXECUTE name` is judged by the body it runs instead of
 * as unknown dynamic SQL. Protocol-level prepared statements (Parse) are tracked in `prepared.ts`.
 *
 * Airlock learns a name when a command holding its PREPARE is forwarded. It must never believe a
 * body the server does not run, so any doubt makes the name *ambiguous* for the rest of the
 * session, and an ambiguous name is looked up as unknown (the classifier then sets `dynamicSql`,
 * which gets the strictest outcome any rule on the connection can produce):
 *  - a second PREPARE of a known name: the server refuses it if the first still exists, keeping the
 *    old body, while Airlock would see the new one;
 *  - `DEALLOCATE name`, `DEALLOCATE ALL`, `DISCARD ALL`: they fail inside an aborted transaction
 *    (and DISCARD ALL inside any transaction), leaving the old body in place.
 * A single-statement PREPARE that the server rejects created nothing, so its name is forgotten
 * again (a typo'd PREPARE can be corrected without making the name ambiguous).
 */
import type { Command, CommandResult, FactValue, StatementFacts } from '../../core/command.js';
import type { PreparedLookup } from './classify/index.js';

function includesAll(settings: FactValue | undefined): boolean {
  return Array.isArray(settings) && settings.includes('all');
}

/** A name whose body Airlock cannot be sure of. */
const AMBIGUOUS = Symbol('ambiguous');

/** One session's SQL-level prepared statement names. */
export class SqlPreparedNames {
  readonly #names = new Map<string, StatementFacts | typeof AMBIGUOUS>();
  /** Names a forwarded single-statement command prepared for the first time, until its result. */
  readonly #fresh = new WeakMap<Command, string>();

  /** For the classifier: the PREPARE entry's facts of a name known for sure. */
  readonly lookup: PreparedLookup = (name) => {
    const entry = this.#names.get(name);
    return entry === AMBIGUOUS ? undefined : entry;
  };

  /** True when the session has prepared nothing by name: the classifier need not ask. */
  get isEmpty(): boolean {
    return this.#names.size === 0;
  }

  /** A command was forwarded to the server: learn (or doubt) the names its statements touch. */
  onForwarded(command: Command): void {
    const statements = command.statements;
    if (!statements) return;
    for (const statement of statements) {
      const facts = statement.facts;
      // Entries found inside another statement (a CTE, a COPY) are not run by name.
      if (facts.embeddedIn !== undefined) continue;
      if (statement.action === 'sql.prepare' && typeof facts.prepareName === 'string') {
        const name = facts.prepareName;
        if (this.#names.has(name)) {
          this.#names.set(name, AMBIGUOUS);
        } else {
          this.#names.set(name, statement);
          if (statements.length === 1) this.#fresh.set(command, name);
        }
      } else if (statement.action === 'sql.deallocate') {
        if (facts.deallocateAll === true) this.#doubtAll();
        else if (typeof facts.deallocateName === 'string' && this.#names.has(facts.deallocateName)) {
          this.#names.set(facts.deallocateName, AMBIGUOUS);
        }
      } else if (statement.action === 'sql.discard' && includesAll(facts.settings)) {
        this.#doubtAll();
      }
    }
  }

  /** A forwarded command ended: a lone PREPARE that failed created nothing on the server. */
  onResult(command: Command, result: CommandResult): void {
    const name = this.#fresh.get(command);
    if (name === undefined) return;
    this.#fresh.delete(command);
    if (result.outcome === 'error' && this.#names.get(name) !== AMBIGUOUS) this.#names.delete(name);
  }

  #doubtAll(): void {
    for (const name of this.#names.keys()) this.#names.set(name, AMBIGUOUS);
  }
}
