/**
 * @module Scopes: named sets of actions (docs/reviews.md has the table). `read` reads, `write` also
 * changes rows, `admin` is everything (guardrails still apply). A read session also runs read-only
 * upstream, as defence in depth.
 */
import type { ScopeName } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';

/** `read`: select, show, set, transaction, explain, and COPY to the client. */
export const READ_ACTIONS: readonly string[] = [
  'sql.select',
  'sql.show',
  'sql.set',
  'sql.transaction',
  'sql.explain',
  'sql.copy',
];

/** `write`: read plus insert, update, delete, merge, COPY from the client (`sql.copy.from`), call. */
export const WRITE_ACTIONS: readonly string[] = [
  ...READ_ACTIONS,
  'sql.insert',
  'sql.update',
  'sql.delete',
  'sql.merge',
  'sql.copy.from',
  'sql.call',
];

/** A scope as stored on a grant: its name and its actions (empty = every action). */
export interface ResolvedScope {
  readonly scope: string;
  readonly actions: readonly string[];
}

/** The actions of a named scope; admin is the empty list (everything). */
export function scopeActions(scope: ScopeName): readonly string[] {
  if (scope === 'read') return READ_ACTIONS;
  if (scope === 'write') return WRITE_ACTIONS;
  return [];
}

/** Parses `read`, `write`, `admin` or a comma list of actions (`sql.select,sql.insert`). */
export function parseScope(text: string): ResolvedScope {
  const trimmed = text.trim();
  if (trimmed === 'read' || trimmed === 'write' || trimmed === 'admin')
    return { scope: trimmed, actions: scopeActions(trimmed) };
  const actions = trimmed
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (actions.length === 0 || actions.some((a) => !/^[a-z0-9]+\.[a-z0-9_.]+$/.test(a))) {
    throw new AirlockError('ERR_BAD_REQUEST', `scope ${text}`, {
      userMessage: `scope: expected read, write, admin or a comma list of actions such as sql.select, received "${text}"`,
    });
  }
  return { scope: 'custom', actions };
}

/** How wide a scope is, to pick the widest of several grants: admin > write > custom > read. */
export function scopeRank(scope: ResolvedScope): number {
  if (scope.actions.length === 0) return 4;
  if (scope.scope === 'write') return 3;
  if (scope.scope === 'custom') return 2;
  return 1;
}

/** Read-only upstream only when no write action is in the scope. */
export function isReadOnly(scope: ResolvedScope): boolean {
  if (scope.actions.length === 0) return false;
  return scope.actions.every((a) => READ_ACTIONS.includes(a));
}
