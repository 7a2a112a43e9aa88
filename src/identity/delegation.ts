/**
 * @module Delegation chains: what a delegate may do. A delegate (an agent a person or another agent
 * started) has no access entry or grant of its own; it uses its root's, narrowed by its own scope
 * and by every ancestor's. Effective rights = own scope ∩ each ancestor's scope ∩ the root's current
 * access, worked out here as pure functions the gate calls when a session opens; the session's
 * action set then bounds every statement (gate.ts `outOfScope`).
 */
import type { Connection } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import type { Identity, ScopeGrant } from '../core/identity.js';
import type { SessionAccess } from '../core/session.js';
import { isReadOnly, parseScope, READ_ACTIONS, WRITE_ACTIONS } from '../reviews/scopes.js';

/** Connection names as config allows them; `*` stands for every connection. */
const CONNECTION_NAME = /^(\*|[a-zA-Z0-9][a-zA-Z0-9._-]{0,62})$/;

/**
 * Parses `CONNECTION:read|write|admin|<actions>` (actions as a comma list). Without a
 * `CONNECTION:` prefix the entry applies to `audience` (the token-exchange form), if given.
 */
export function parseScopeGrant(text: string, audience?: string): ScopeGrant {
  const colon = text.indexOf(':');
  const connection = colon >= 0 ? text.slice(0, colon).trim() : audience;
  const spec = colon >= 0 ? text.slice(colon + 1) : text;
  if (connection === undefined || !CONNECTION_NAME.test(connection)) {
    const userMessage = `scope: expected CONNECTION:read, CONNECTION:write, CONNECTION:admin or CONNECTION:ACTION,ACTION, received "${text}"`;
    throw new AirlockError('ERR_BAD_REQUEST', userMessage, { userMessage });
  }
  const resolved = parseScope(spec);
  return { connection, scope: resolved.scope, actions: resolved.actions };
}

/** The text form, as `parseScopeGrant` reads it back. */
export function formatScopeGrant(grant: ScopeGrant): string {
  return `${grant.connection}:${grant.scope === 'custom' ? grant.actions.join(',') : grant.scope}`;
}

/** An action set: undefined = every action. */
type Actions = ReadonlySet<string> | undefined;

function intersect(a: Actions, b: Actions): Actions {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const out = new Set<string>();
  for (const action of a) if (b.has(action)) out.add(action);
  return out;
}

/**
 * What one scope list allows on `connection`: the union of its entries for that connection (or
 * `*`); `null` when none applies (no rights there at all).
 */
export function scopeListActions(list: readonly ScopeGrant[], connection: string): Actions | null {
  let found = false;
  let union: Set<string> | undefined = new Set();
  for (const grant of list) {
    if (grant.connection !== connection && grant.connection !== '*') continue;
    found = true;
    if (grant.actions.length === 0) union = undefined;
    else if (union !== undefined) for (const action of grant.actions) union.add(action);
  }
  return found ? union : null;
}

/**
 * The actions the chain's scope lists leave on `connection` (before the root's access): undefined
 * = every action, `null` = none (some list has no entry for the connection).
 */
export function chainActions(scopes: readonly (readonly ScopeGrant[])[], connection: string): Actions | null {
  let actions: Actions;
  for (const list of scopes) {
    const allowed = scopeListActions(list, connection);
    if (allowed === null) return null;
    actions = intersect(actions, allowed);
  }
  return actions;
}

/** The identity whose access list entries and grants a delegate uses: its root (itself when direct). */
export function accessPrincipal(identity: Identity): Identity {
  const delegation = identity.delegation;
  if (!delegation) return identity;
  const { root } = delegation;
  return {
    subject: root.subject,
    displayName: root.subject,
    kind: root.kind,
    groups: root.groups,
    issuer: root.issuer,
    tokenId: undefined,
    expiresAt: identity.expiresAt,
    chain: [],
  };
}

function sameSet(a: ReadonlySet<string>, b: readonly string[]): boolean {
  return a.size === b.length && b.every((x) => a.has(x));
}

/** Names an action set the way scopes are named: read, write, or custom. */
function scopeName(actions: ReadonlySet<string>): string {
  if (sameSet(actions, READ_ACTIONS)) return 'read';
  if (sameSet(actions, WRITE_ACTIONS)) return 'write';
  return 'custom';
}

/**
 * The root's `access` on `connection` narrowed to what the delegate's chain allows. Throws
 * ERR_ACCESS_DENIED when nothing is left. Direct identities get `access` back unchanged.
 */
export function narrowAccess(
  identity: Identity,
  connection: Connection,
  access: SessionAccess,
): SessionAccess {
  const delegation = identity.delegation;
  if (!delegation || delegation.scopes.length === 0) return access;
  const allowed = chainActions(delegation.scopes, connection.name);
  const effective = allowed === null ? new Set<string>() : intersect(access.actions, allowed);
  if (effective !== undefined && effective.size === 0) {
    const userMessage = `"${identity.subject}" (delegate of "${delegation.root.subject}") has no scope on connection "${connection.name}"`;
    throw new AirlockError('ERR_ACCESS_DENIED', userMessage, { userMessage });
  }
  if (effective === access.actions) return access;
  const actions = effective === undefined ? [] : [...effective];
  const scope = effective === undefined ? access.scope : scopeName(effective);
  return {
    ...access,
    scope,
    ...(effective === undefined ? {} : { actions: effective }),
    readOnly: access.readOnly || isReadOnly({ scope, actions }),
    source: `${access.source} via delegation`,
  };
}

/**
 * Checks that `requested` asks for nothing the parent's chain (`parentScopes`, the parent's own
 * list first) does not allow: a delegate's rights only shrink. Throws ERR_SCOPE_DENIED naming the
 * first entry that is wider.
 */
export function checkNarrowing(
  requested: readonly ScopeGrant[],
  parentScopes: readonly (readonly ScopeGrant[])[],
): void {
  for (const grant of requested) {
    const connections = grant.connection === '*' ? ['*'] : [grant.connection];
    for (const connection of connections) {
      const parent =
        connection === '*' ? wildcardActions(parentScopes) : chainActions(parentScopes, connection);
      const wider =
        parent === null ||
        (parent !== undefined && (grant.actions.length === 0 || grant.actions.some((a) => !parent.has(a))));
      if (wider) {
        const userMessage = `scope "${formatScopeGrant(grant)}" is wider than the parent's; a delegate's rights can only shrink`;
        throw new AirlockError('ERR_SCOPE_DENIED', userMessage, { userMessage });
      }
    }
  }
}

/** What the chain allows on every connection at once: only `*` entries count. */
function wildcardActions(scopes: readonly (readonly ScopeGrant[])[]): Actions | null {
  return chainActions(
    scopes.map((list) => list.filter((grant) => grant.connection === '*')),
    '*',
  );
}
