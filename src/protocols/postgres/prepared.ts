/**
 * @module What the client has prepared through the extended protocol, as Airlock must know it to
 * audit an Execute: statement name → text, portal name → text and bound parameters. Changes made by
 * a batch can be rolled back when the batch is refused (it never reached the server), and follow the
 * server's rules: a named statement that already exists is kept (the server refuses the new Parse),
 * the unnamed statement and portals are replaced.
 */
import type { PortalState } from './audit.js';

const ABSENT = Symbol('absent');

type UndoEntry =
  | { readonly map: 'statements'; readonly name: string; readonly previous: string | typeof ABSENT }
  | { readonly map: 'portals'; readonly name: string; readonly previous: PortalState | typeof ABSENT };

/** Prepared statements and portals of one session, with a per-batch undo log. */
export class PreparedState {
  readonly #statements = new Map<string, string>();
  readonly #portals = new Map<string, PortalState>();
  #undo: UndoEntry[] = [];

  statementText(name: string): string | undefined {
    return this.#statements.get(name);
  }

  portal(name: string): PortalState | undefined {
    return this.#portals.get(name);
  }

  /** Records a Parse. */
  parse(name: string, text: string): void {
    if (name !== '' && this.#statements.has(name)) return;
    this.#undo.push({ map: 'statements', name, previous: this.#statements.get(name) ?? ABSENT });
    this.#statements.set(name, text);
  }

  /** Records a Bind. */
  bind(name: string, state: PortalState): void {
    this.#undo.push({ map: 'portals', name, previous: this.#portals.get(name) ?? ABSENT });
    this.#portals.set(name, state);
  }

  /** Records a Close of a statement ('S') or portal ('P'). */
  close(kind: 'S' | 'P', name: string): void {
    if (kind === 'S') {
      const previous = this.#statements.get(name);
      if (previous === undefined) return;
      this.#undo.push({ map: 'statements', name, previous });
      this.#statements.delete(name);
    } else {
      const previous = this.#portals.get(name);
      if (previous === undefined) return;
      this.#undo.push({ map: 'portals', name, previous });
      this.#portals.delete(name);
    }
  }

  /** The batch reached the server: keep its changes. */
  commit(): void {
    if (this.#undo.length > 0) this.#undo = [];
  }

  /** The batch was refused: undo its changes, newest first. */
  rollback(): void {
    for (let i = this.#undo.length - 1; i >= 0; i--) {
      const entry = this.#undo[i]!;
      if (entry.map === 'statements') {
        if (entry.previous === ABSENT) this.#statements.delete(entry.name);
        else this.#statements.set(entry.name, entry.previous);
      } else if (entry.previous === ABSENT) {
        this.#portals.delete(entry.name);
      } else {
        this.#portals.set(entry.name, entry.previous);
      }
    }
    this.#undo = [];
  }
}
