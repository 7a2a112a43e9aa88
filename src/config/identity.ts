/**
 * @module Validates the identity lifecycle settings of the `identity` section (beside `oidc`):
 * `maxDelegationDepth` (how long a delegation chain may get, default 3) and `login` (which OIDC
 * issuer and public client `airlock login` uses; the API advertises it at /api/v1/auth/config).
 */
import type { IdentityLogin, OidcIssuer } from '../core/config.js';
import { DEFAULT_MAX_DELEGATION_DEPTH } from '../identity/exchange.js';
import { optionalString, requiredString } from './fields.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';

/** Keys of `identity` this module reads. */
export const LIFECYCLE_KEYS = ['maxDelegationDepth', 'login'] as const;

/** Reads `identity.maxDelegationDepth` and `identity.login`. */
export function readIdentityLifecycle(
  findings: Findings,
  value: Readonly<Record<string, unknown>>,
  issuers: readonly OidcIssuer[],
): { maxDelegationDepth: number; login?: IdentityLogin } {
  let maxDelegationDepth = DEFAULT_MAX_DELEGATION_DEPTH;
  const depth = value.maxDelegationDepth;
  if (depth !== undefined && depth !== null) {
    if (typeof depth === 'number' && Number.isInteger(depth) && depth >= 0 && depth <= 16)
      maxDelegationDepth = depth;
    else findings.expected('identity.maxDelegationDepth', 'an integer from 0 to 16', depth);
  }
  const login = readLogin(findings, value.login, issuers);
  return { maxDelegationDepth, ...(login ? { login } : {}) };
}

function readLogin(
  findings: Findings,
  value: unknown,
  issuers: readonly OidcIssuer[],
): IdentityLogin | undefined {
  if (value === undefined || value === null) return undefined;
  const where = 'identity.login';
  if (!isMap(value)) {
    findings.expected(where, 'a mapping with issuer and clientId', value);
    return undefined;
  }
  checkKeys(findings, where, value, ['issuer', 'clientId', 'scope']);
  const issuer = requiredString(findings, value, 'issuer', where, 'the name of an identity.oidc issuer');
  const clientId = requiredString(
    findings,
    value,
    'clientId',
    where,
    'the public client id of the Airlock CLI',
  );
  const scope = optionalString(findings, value, 'scope', where) ?? 'openid';
  if (issuer === undefined || clientId === undefined) return undefined;
  const found = issuers.find((candidate) => candidate.name === issuer);
  if (!found) {
    findings.expected(
      keyPath(where, 'issuer'),
      `one of the identity.oidc names (${issuers.map((i) => i.name).join(', ') || 'none configured'})`,
      issuer,
    );
    return undefined;
  }
  return { issuer, issuerUrl: found.issuer, clientId, scope };
}
