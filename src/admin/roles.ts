/**
 * @module Roles on the admin surface: `admins` manage tokens, grants and connections; `auditors`
 * read everything; the local operator (CLI with --config) may do all of it. Delegated and scoped
 * tokens hold no role (src/admin/delegated.ts).
 */
import type { AirlockConfig } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import { type Identity, matchesPrincipal, OPERATOR } from '../core/identity.js';
import { isDelegated } from './delegated.js';
import type { Role, RoleResolver } from './service.js';

/** Builds the resolver from the (live) config. */
export function createRoleResolver(config: () => AirlockConfig): RoleResolver {
  return (identity: Identity): readonly Role[] => {
    if (identity === OPERATOR) return ['operator', 'admin', 'auditor'];
    // A delegated or scoped token narrows someone's rights: it never holds their roles.
    if (isDelegated(identity)) return [];
    const { admins, auditors } = config();
    const roles: Role[] = [];
    if (matchesPrincipal(identity, admins)) roles.push('admin');
    if (matchesPrincipal(identity, auditors)) roles.push('auditor');
    return roles;
  };
}

/** Throws ERR_FORBIDDEN unless `roles` has one of `allowed`. */
export function requireRole(roles: readonly Role[], allowed: readonly Role[], what: string): void {
  if (!roles.some((role) => allowed.includes(role))) {
    throw new AirlockError('ERR_FORBIDDEN', `${what} needs role ${allowed.join(' or ')}`, {
      userMessage: `${what} needs the ${allowed.join(' or ')} role`,
    });
  }
}
