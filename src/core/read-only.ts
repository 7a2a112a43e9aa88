/**
 * @module What keeps a read-only session read-only. A read-scoped session runs upstream with
 * `default_transaction_read_only=on`, so a write hidden where the classifier cannot see it (inside
 * a function) fails at the target. That only holds while the client cannot switch the mode back:
 * these checks refuse the statements that would (SET, SET SESSION CHARACTERISTICS, BEGIN/START
 * ... READ WRITE, set_config), and statements run after a transaction ends in the same command,
 * where a mode switch hidden in a function would take effect before anyone could see it. The
 * engine closes what is left: a target that reports `default_transaction_read_only=off` (a
 * function called set_config) ends the session before its next statement. Protocols that pipeline
 * (several statements before the target reports anything) use `endsTransaction` and
 * `afterTransactionEnd` to apply the same rule across messages.
 */
import type { Command, StatementFacts } from './command.js';
import { AirlockError } from './errors.js';

/** Settings that decide whether a transaction may write (`*`: chosen at run time). */
const MODE_SETTINGS: ReadonlySet<string> = new Set([
  'default_transaction_read_only',
  'transaction_read_only',
  '*',
]);

/** Statements after which the same command runs in a new transaction with the session's default mode. */
const TRANSACTION_ENDS: ReadonlySet<string> = new Set([
  'commit',
  'rollback',
  'prepare',
  'commit_prepared',
  'rollback_prepared',
]);

/** True when `command` ends the transaction it runs in (COMMIT/END, ROLLBACK/ABORT, two-phase commit). */
export function endsTransaction(command: Command): boolean {
  const statements = command.statements;
  if (!statements) return false;
  for (const statement of statements) {
    const kind = statement.facts.transactionKind;
    if (typeof kind === 'string' && TRANSACTION_ENDS.has(kind)) return true;
  }
  return false;
}

/**
 * The refusal for a statement pipelined behind a transaction end (an Execute after a COMMIT before
 * the Sync): the target reports a mode switch only once the pipeline is synchronised, too late.
 */
export function afterTransactionEnd(scope: string): AirlockError {
  const userMessage = `blocked by airlock: scope ${scope} is read-only: statements after COMMIT or ROLLBACK must wait for the result of the transaction; send Sync first`;
  return new AirlockError('ERR_SCOPE_DENIED', userMessage, { userMessage });
}

/** Why one statement could make a read-only session write, or undefined. */
function modeSwitch(statement: StatementFacts): string | undefined {
  const facts = statement.facts;
  if (facts.readWrite === true) return `${statement.action} would switch the session to read-write`;
  const settings = facts.settings;
  // A value the classifier could not read (RESET, a computed value) counts as off: fail closed.
  if (Array.isArray(settings) && facts.readWrite !== false && settings.some((s) => MODE_SETTINGS.has(s)))
    return `${statement.action} changes the transaction read-only mode`;
  return undefined;
}

/**
 * The refusal for a command that would let a read-only session write, or undefined. Call it only
 * for sessions whose access is read-only; unclassified commands are left to the scope check.
 */
export function readOnlyBreach(scope: string, command: Command): AirlockError | undefined {
  const statements = command.statements;
  if (!statements) return undefined;
  for (let i = 0; i < statements.length; i++) {
    const statement = statements[i]!;
    let why = modeSwitch(statement);
    const kind = statement.facts.transactionKind;
    if (!why && typeof kind === 'string' && TRANSACTION_ENDS.has(kind) && i < statements.length - 1)
      why = 'statements after COMMIT or ROLLBACK must be sent as a separate query';
    if (why) {
      const userMessage = `blocked by airlock: scope ${scope} is read-only: ${why}`;
      return new AirlockError('ERR_SCOPE_DENIED', userMessage, { userMessage });
    }
  }
  return undefined;
}
