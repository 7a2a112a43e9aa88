/**
 * @module SQL-level prepared statements as one classification sees them: those PREPAREd earlier in
 * the same text, and (when the caller passes them) those the session prepared before. EXECUTE of a
 * name is judged by the body it runs. A classification that had to ask the session cannot be cached
 * by its text alone; `askedSession` says so.
 */
import type { StatementFacts } from '../../../core/command.js';
import type { SqlAction } from './actions.js';
import { type Classified, HAZARD_FLAGS, newDraft } from './draft.js';

/** Looks up a name the session prepared earlier: the facts of its PREPARE entry. */
export type PreparedLookup = (name: string) => StatementFacts | undefined;

/** Prepared statements visible to one text, in statement order. */
export class PreparedScope {
  readonly #local = new Map<string, Classified>();
  readonly #deallocated = new Set<string>();
  #deallocatedAll = false;
  /** True once a name was looked for beyond this text (the answer depends on the session). */
  askedSession = false;

  constructor(readonly session?: PreparedLookup) {}

  get(name: string): Classified | undefined {
    const local = this.#local.get(name);
    if (local || this.#deallocatedAll || this.#deallocated.has(name)) return local;
    this.askedSession = true;
    const facts = this.session?.(name);
    return facts ? classifiedFromPrepare(facts) : undefined;
  }

  set(name: string, body: Classified): void {
    this.#local.set(name, body);
  }

  delete(name: string): void {
    this.#local.delete(name);
    this.#deallocated.add(name);
  }

  clear(): void {
    this.#local.clear();
    this.#deallocatedAll = true;
  }
}

const strings = (value: unknown): readonly string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

/** Rebuilds a prepared body's classification from the facts of its PREPARE entry. */
export function classifiedFromPrepare(prepare: StatementFacts): Classified | undefined {
  const action = prepare.facts.preparedAction;
  if (prepare.action !== 'sql.prepare' || typeof action !== 'string') return undefined;
  const d = newDraft(action as SqlAction);
  for (const object of prepare.objects) d.objects.add(object);
  for (const target of strings(prepare.facts.targets)) d.targets.add(target);
  for (const inner of strings(prepare.facts.innerActions)) if (inner !== action) d.innerActions.add(inner);
  for (const fn of strings(prepare.facts.dangerousFunctions)) d.dangerousFunctions.add(fn);
  for (const setting of strings(prepare.facts.settings)) d.settings.add(setting);
  for (const flag of HAZARD_FLAGS) d.flags[flag] = prepare.facts[flag] === true;
  const bounded = prepare.facts.bounded;
  if (typeof bounded === 'boolean') d.extra.bounded = bounded;
  return { primary: d, extras: [] };
}
