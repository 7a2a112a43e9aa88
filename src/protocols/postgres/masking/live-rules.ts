/**
 * @module The rules a session masks with, and what it needs to follow config reloads: a reload
 * replaces the connection's definition, and a session that sees a new one with other masking rules
 * builds and applies them from its next statement (session.ts `#follow`).
 */
import type { Connection, ConnectionMasking } from '../../../core/connection.js';
import type { MaskingCatalog } from './catalog.js';

/** The rules one statement is masked with: a connection's masking, its catalog and hash key. */
export interface MaskingRules {
  readonly masking: ConnectionMasking;
  readonly catalog: MaskingCatalog;
  readonly hashKey: Buffer | undefined;
}

/**
 * How a session follows config reloads: before each statement it reads the connection's live
 * definition (one lookup and an identity check); a replaced definition with other masking rules
 * puts new rules in force for that statement and every later one.
 */
export interface LiveRules {
  /** The definition the session's first rules were built from. */
  readonly initial: Connection;
  /** The definition in force now (a reload replaces the object); undefined once removed. */
  readonly current: () => Connection | undefined;
  /** Rules for a definition; throws when they cannot be built (the statement is then refused). */
  readonly build: (connection: Connection) => MaskingRules;
}

/** The rules of a connection without `masking:` (after a reload removed it): nothing masked. */
export const NO_MASKING: ConnectionMasking = {
  columns: [],
  detect: [],
  onDerived: 'redact',
  denyPredicates: false,
  region: 'US',
};

/** Masking rules as one comparable text (the hash key by reference: a changed secret is a new key). */
export function rulesKey(masking: ConnectionMasking): string {
  return JSON.stringify(masking);
}

/** Every name: what analysis assumes of relations while the catalog for new rules is being read. */
class EveryName extends Set<string> {
  override has(_name: string): boolean {
    return true;
  }
}
export const EVERY_NAME: ReadonlySet<string> = new EveryName();
