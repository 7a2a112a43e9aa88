/**
 * @module Validates `identity.oidc[]`: the OIDC issuers whose access tokens Airlock trusts.
 */
import type { AirlockConfig, OidcIssuer } from '../core/config.js';
import type { IdentityKind } from '../core/identity.js';
import { DEFAULT_MAX_DELEGATION_DEPTH } from '../identity/exchange.js';
import { optionalString, requiredString } from './fields.js';
import { LIFECYCLE_KEYS, readIdentityLifecycle } from './identity.js';
import { checkKeys, type Findings, isMap, keyPath } from './problems.js';

const ISSUER_KEYS = [
  'name',
  'issuer',
  'audience',
  'groupsClaim',
  'subjectClaim',
  'kind',
  'kindClaim',
] as const;
const KINDS: readonly IdentityKind[] = ['human', 'agent', 'service'];
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Reads the `identity` section; absent means no OIDC issuers and default lifecycle settings. */
export function readIdentity(findings: Findings, value: unknown): AirlockConfig['identity'] {
  if (value === undefined || value === null)
    return { oidc: [], maxDelegationDepth: DEFAULT_MAX_DELEGATION_DEPTH };
  if (!isMap(value)) {
    findings.expected('identity', 'a mapping with key "oidc"', value);
    return { oidc: [], maxDelegationDepth: DEFAULT_MAX_DELEGATION_DEPTH };
  }
  checkKeys(findings, 'identity', value, ['oidc', ...LIFECYCLE_KEYS]);
  const oidc = readIssuers(findings, value.oidc);
  return { oidc, ...readIdentityLifecycle(findings, value, oidc) };
}

function readIssuers(findings: Findings, list: unknown): OidcIssuer[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    findings.expected('identity.oidc', 'a list of issuers', list);
    return [];
  }
  const issuers: OidcIssuer[] = [];
  const seenNames = new Set<string>();
  list.forEach((item, index) => {
    const where = keyPath('identity.oidc', index);
    const name = isMap(item) && typeof item.name === 'string' ? item.name : undefined;
    if (name !== undefined && seenNames.has(name)) {
      findings.problem(keyPath(where, 'name'), `duplicate issuer name "${name}"`);
    }
    if (name !== undefined) seenNames.add(name);
    const issuer = readIssuer(findings, item, where);
    if (issuer === undefined) return;
    // Tokens pick their issuer by `iss`; two entries for one URL would make that choice ambiguous.
    const twin = issuers.find((other) => other.issuer === issuer.issuer);
    if (twin !== undefined) {
      findings.problem(
        keyPath(where, 'issuer'),
        `issuer URL "${issuer.issuer}" is already configured as "${twin.name}"`,
      );
    }
    issuers.push(issuer);
  });
  return issuers;
}

function readIssuer(findings: Findings, value: unknown, where: string): OidcIssuer | undefined {
  if (!isMap(value)) {
    findings.expected(where, 'a mapping with name, issuer and audience', value);
    return undefined;
  }
  const before = findings.problems.length;
  checkKeys(findings, where, value, ISSUER_KEYS);
  const name = requiredString(findings, value, 'name', where, 'a name of lowercase letters, digits and "-"');
  if (name !== undefined && !/^[a-z0-9-]+$/.test(name)) {
    findings.expected(keyPath(where, 'name'), 'a name of lowercase letters, digits and "-"', name);
  }
  const issuer = requiredString(findings, value, 'issuer', where, 'an http(s) URL');
  if (issuer !== undefined) checkIssuerUrl(findings, issuer, keyPath(where, 'issuer'));
  const audience = requiredString(findings, value, 'audience', where);
  const groupsClaim = optionalString(findings, value, 'groupsClaim', where) ?? 'groups';
  const subjectClaim = optionalString(findings, value, 'subjectClaim', where) ?? 'sub';
  const kindClaim = optionalString(findings, value, 'kindClaim', where);
  let kind: IdentityKind = 'human';
  if (value.kind !== undefined) {
    if (KINDS.includes(value.kind as IdentityKind)) kind = value.kind as IdentityKind;
    else findings.expected(keyPath(where, 'kind'), 'one of human, agent, service', value.kind);
  }
  if (
    findings.problems.length > before ||
    name === undefined ||
    issuer === undefined ||
    audience === undefined
  ) {
    return undefined;
  }
  return { name, issuer, audience, groupsClaim, subjectClaim, kind, ...(kindClaim ? { kindClaim } : {}) };
}

function checkIssuerUrl(findings: Findings, issuer: string, path: string): void {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    findings.expected(path, 'an http(s) URL', issuer);
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    findings.expected(path, 'an http(s) URL', issuer);
  } else if (url.search !== '' || url.hash !== '') {
    findings.expected(path, 'an issuer URL without query or fragment', issuer);
  } else if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    // Discovery and keys over plain http can be swapped in transit; fine for a local test IdP only.
    findings.warn(path, 'plain http issuer on a non-loopback host; use https');
  }
}
