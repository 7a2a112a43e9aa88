/**
 * @module Who is calling. An Identity is built once per authentication (Airlock token or OIDC
 * access token) and travels, unchanged, through the gate, the engines and every audit event.
 */

/** What sort of actor an identity is. */
export type IdentityKind = 'human' | 'agent' | 'service';

/** One link of a delegation chain: the actor on whose behalf the next one acts. */
export interface Actor {
  readonly subject: string;
  readonly kind: IdentityKind;
}

/** A verified caller. Immutable. */
export interface Identity {
  /** Airlock tokens: the token NAME. OIDC: `ISSUERNAME:SUBJECTCLAIM`. `user:SUBJECT` matches it. */
  readonly subject: string;
  readonly displayName: string;
  readonly kind: IdentityKind;
  /** Group names without the `group:` prefix. */
  readonly groups: readonly string[];
  /** `airlock` for Airlock tokens, the issuer's configured `name` for OIDC. */
  readonly issuer: string;
  /** Airlock token id, or the JWT's `jti` when it has one. */
  readonly tokenId: string | undefined;
  readonly expiresAt: Date | undefined;
  /** Actors this identity acts for, root first (user → orchestrator → subagent). Empty when direct. */
  readonly chain: readonly Actor[];
  /** Set for delegates (src/identity/delegation.ts): whose access they use and how it is narrowed. */
  readonly delegation?: Delegation;
}

/** The root of a delegation chain as its delegates carry it: their access is the root's. */
export interface RootIdentity {
  readonly subject: string;
  readonly kind: IdentityKind;
  readonly groups: readonly string[];
  readonly issuer: string;
}

/** One entry of a delegated scope: `CONNECTION:read|write|admin|<actions>`, parsed. */
export interface ScopeGrant {
  readonly connection: string;
  /** `read`, `write`, `admin` or `custom`. */
  readonly scope: string;
  /** Actions allowed; empty = every action (admin). */
  readonly actions: readonly string[];
}

/**
 * How a delegate's rights are derived: the root's current access, narrowed by every scope list
 * of the chain (its own first, then each ancestor's). An empty `scopes` list narrows nothing.
 */
export interface Delegation {
  readonly root: RootIdentity;
  readonly scopes: readonly (readonly ScopeGrant[])[];
}

/** The identity CLI commands run as when acting locally on the store with operator rights. */
export const OPERATOR: Identity = Object.freeze({
  subject: 'operator',
  displayName: 'local operator',
  kind: 'human',
  groups: Object.freeze([]) as readonly string[],
  issuer: 'local',
  tokenId: undefined,
  expiresAt: undefined,
  chain: Object.freeze([]) as readonly Actor[],
});

/** `group:NAME` or `user:SUBJECT`, as written in `access`, `admins` and `auditors` lists. */
export type PrincipalRef = `group:${string}` | `user:${string}`;

/** True when `identity` is named by any of `refs` (by subject or by one of its groups). */
export function matchesPrincipal(identity: Identity, refs: readonly PrincipalRef[]): boolean {
  for (const ref of refs) {
    if (ref.startsWith('user:')) {
      if (ref.slice(5) === identity.subject) return true;
    } else if (identity.groups.includes(ref.slice(6))) {
      return true;
    }
  }
  return false;
}

/** The compact form of an identity that audit events and session rows carry. */
export interface IdentityRef {
  readonly subject: string;
  readonly kind: IdentityKind;
  readonly groups: readonly string[];
  readonly issuer: string;
  readonly chain: readonly Actor[];
}

/** Drops the token id and expiry: what an audit row needs to name a caller. */
export function toIdentityRef(identity: Identity): IdentityRef {
  return {
    subject: identity.subject,
    kind: identity.kind,
    groups: identity.groups,
    issuer: identity.issuer,
    chain: identity.chain,
  };
}
