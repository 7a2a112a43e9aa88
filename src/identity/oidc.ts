/**
 * @module OIDC access-token verification. A JWT is matched to a configured issuer by its exact
 * `iss`, verified against that issuer's JWKS (found through its discovery document), and turned
 * into an Identity whose subject is `ISSUERNAME:SUBJECTCLAIM`. Verified tokens are cached briefly,
 * so a client that reconnects with the same token costs a map lookup.
 */
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { Clock } from '../core/clock.js';
import type { OidcIssuer } from '../core/config.js';
import { AirlockError } from '../core/errors.js';
import type { Actor, Identity, IdentityKind } from '../core/identity.js';
import { DEFAULT_MAX_DELEGATION_DEPTH } from './exchange.js';

/** What an OidcVerifier needs. */
export interface OidcVerifierOptions {
  readonly issuers: readonly OidcIssuer[];
  readonly clock: Clock;
  /** Used for discovery and JWKS requests; the global `fetch` when absent. */
  readonly fetch?: typeof fetch;
  /** How long a verified token is reused without verifying again (never past its `exp`). */
  readonly cacheTtlMs?: number;
  /** Most verified tokens kept; the oldest go first. */
  readonly cacheSize?: number;
  /**
   * `identity.maxDelegationDepth` of the running config, read at every use so a reload applies to
   * cached tokens too (default 3): a nested `act` chain longer than this is refused.
   */
  readonly maxDelegationDepth?: () => number;
}

/** Accepted lateness of `exp`/`nbf`, for clock skew between the IdP and Airlock. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Tokens longer than this are refused before any parsing (real access tokens are a few KB). */
const MAX_TOKEN_LENGTH = 16 * 1024;
const DISCOVERY_TIMEOUT_MS = 5_000;
const KINDS: readonly IdentityKind[] = ['human', 'agent', 'service'];

/**
 * True when `secret` has the shape of a compact JWS (three base64url parts, a JSON header), so
 * callers can tell an OIDC token from an Airlock token before trying either.
 */
export function looksLikeJwt(secret: string): boolean {
  return (
    secret.length <= MAX_TOKEN_LENGTH &&
    secret.startsWith('eyJ') &&
    /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(secret)
  );
}

interface CachedIdentity {
  readonly identity: Identity;
  readonly untilMs: number;
}

/** Verifies OIDC access tokens from the configured issuers. */
export class OidcVerifier {
  readonly #issuers: ReadonlyMap<string, OidcIssuer>;
  readonly #clock: Clock;
  readonly #fetch: typeof fetch;
  readonly #cacheTtlMs: number;
  readonly #cacheSize: number;
  readonly #maxDepth: () => number;
  /** Per issuer name: the key set, once discovery succeeded (a failed attempt is dropped, so it is retried). */
  readonly #keySets = new Map<string, Promise<JWTVerifyGetKey>>();
  readonly #verified = new Map<string, CachedIdentity>();

  constructor(options: OidcVerifierOptions) {
    this.#issuers = new Map(options.issuers.map((issuer) => [issuer.issuer, issuer]));
    this.#clock = options.clock;
    this.#fetch = options.fetch ?? fetch;
    this.#cacheTtlMs = options.cacheTtlMs ?? 30_000;
    this.#cacheSize = options.cacheSize ?? 5_000;
    this.#maxDepth = options.maxDelegationDepth ?? (() => DEFAULT_MAX_DELEGATION_DEPTH);
  }

  /** See the module function `looksLikeJwt`. */
  looksLikeJwt(secret: string): boolean {
    return looksLikeJwt(secret);
  }

  /**
   * Verifies `token` and returns its identity. Throws `ERR_TOKEN_EXPIRED` for an expired token and
   * `ERR_TOKEN_INVALID` for anything else wrong; the operator message keeps the precise reason.
   */
  async verify(token: string): Promise<Identity> {
    const nowMs = this.#clock.nowMs();
    const cached = this.#verified.get(token);
    if (cached !== undefined) {
      if (nowMs < cached.untilMs) return this.#withinDepth(cached.identity);
      this.#verified.delete(token);
    }
    const issuer = this.#issuerOf(token);
    const keySet = await this.#keySet(issuer);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, keySet, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        currentDate: this.#clock.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw verificationError(issuer, err);
    }
    const identity = identityFromClaims(issuer, claims);
    this.#remember(token, identity, nowMs);
    return this.#withinDepth(identity);
  }

  /**
   * The identity, unless its `act` chain is deeper than `identity.maxDelegationDepth`: the same
   * limit Airlock's own token exchange applies, so an IdP cannot mint chains Airlock would refuse.
   * Depth counts the actors behind the current one (the `sub` and every earlier `act`).
   */
  #withinDepth(identity: Identity): Identity {
    const max = this.#maxDepth();
    if (identity.chain.length <= max) return identity;
    const path = [...identity.chain.map((actor) => actor.subject), identity.subject].join(' → ');
    const userMessage = `the token's act claim makes a delegation chain of depth ${identity.chain.length} (${path}); identity.maxDelegationDepth is ${max}`;
    throw new AirlockError('ERR_DELEGATION_DENIED', userMessage, { userMessage });
  }

  /** The configured issuer named by the token's (not yet verified) `iss`. */
  #issuerOf(token: string): OidcIssuer {
    let iss: unknown;
    try {
      if (token.length > MAX_TOKEN_LENGTH) throw new Error(`longer than ${MAX_TOKEN_LENGTH} characters`);
      iss = decodeJwt(token).iss;
    } catch (err) {
      throw new AirlockError('ERR_TOKEN_INVALID', `OIDC token is not a JWT: ${(err as Error).message}`);
    }
    const issuer = typeof iss === 'string' ? this.#issuers.get(iss) : undefined;
    if (issuer === undefined) {
      throw new AirlockError(
        'ERR_TOKEN_INVALID',
        `OIDC token issuer not trusted: ${JSON.stringify(iss ?? null)}`,
      );
    }
    return issuer;
  }

  #keySet(issuer: OidcIssuer): Promise<JWTVerifyGetKey> {
    let pending = this.#keySets.get(issuer.name);
    if (pending === undefined) {
      pending = this.#discover(issuer);
      this.#keySets.set(issuer.name, pending);
      const attempt = pending;
      attempt.catch(() => {
        if (this.#keySets.get(issuer.name) === attempt) this.#keySets.delete(issuer.name);
      });
    }
    return pending;
  }

  /** Reads the issuer's discovery document and builds a (self-refreshing) remote key set. */
  async #discover(issuer: OidcIssuer): Promise<JWTVerifyGetKey> {
    const url = `${issuer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let jwksUri: string;
    try {
      const response = await this.#fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const doc = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // OIDC Discovery 4.3: the document must name the very issuer it was fetched for.
      if (doc.issuer !== issuer.issuer)
        throw new Error(`document names issuer ${JSON.stringify(doc.issuer)}`);
      if (typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri))
        throw new Error('no valid jwks_uri');
      jwksUri = doc.jwks_uri;
    } catch (err) {
      throw unavailable(issuer, `discovery at ${url} failed: ${(err as Error).message}`, err);
    }
    return createRemoteJWKSet(new URL(jwksUri), { [customFetch]: this.#fetch });
  }

  #remember(token: string, identity: Identity, nowMs: number): void {
    const expMs = identity.expiresAt?.getTime() ?? nowMs;
    const untilMs = Math.min(nowMs + this.#cacheTtlMs, expMs);
    if (untilMs <= nowMs) return;
    if (this.#verified.size >= this.#cacheSize) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.#verified.keys().next();
      if (!oldest.done) this.#verified.delete(oldest.value);
    }
    this.#verified.set(token, { identity, untilMs });
  }
}

/** Maps a jose failure: expiry is its own code; key-fetch trouble is not the caller's fault. */
function verificationError(issuer: OidcIssuer, err: unknown): AirlockError {
  if (err instanceof joseErrors.JWTExpired) {
    return new AirlockError('ERR_TOKEN_EXPIRED', `OIDC token from ${issuer.name} expired: ${err.message}`, {
      cause: err,
    });
  }
  if (err instanceof AirlockError) return err;
  if (
    !(err instanceof joseErrors.JOSEError) ||
    err.code === 'ERR_JWKS_TIMEOUT' ||
    err.code === 'ERR_JOSE_GENERIC'
  ) {
    return unavailable(issuer, `JWKS of ${issuer.name} unavailable: ${(err as Error).message}`, err);
  }
  return new AirlockError('ERR_TOKEN_INVALID', `OIDC token from ${issuer.name} rejected: ${err.message}`, {
    cause: err,
  });
}

function unavailable(issuer: OidcIssuer, message: string, cause: unknown): AirlockError {
  return new AirlockError('ERR_IDP_UNAVAILABLE', `${message} (issuer ${issuer.name})`, { cause });
}

/** Builds the identity from verified claims, per the issuer's claim settings. */
export function identityFromClaims(issuer: OidcIssuer, claims: JWTPayload): Identity {
  const service = isClientCredentialsToken(claims);
  let subjectValue = claimText(readClaim(claims, issuer.subjectClaim));
  // A client_credentials token may carry no subject at all; the client is then who is calling.
  if (subjectValue === undefined && service)
    subjectValue = claimText(claims.client_id) ?? claimText(claims.azp);
  if (subjectValue === undefined) {
    throw new AirlockError(
      'ERR_TOKEN_INVALID',
      `OIDC token from ${issuer.name} has no "${issuer.subjectClaim}" claim`,
    );
  }
  const subject = `${issuer.name}:${subjectValue}`;
  const direct: Identity = {
    subject,
    displayName:
      claimText(claims.name) ??
      claimText(claims.preferred_username) ??
      claimText(claims.email) ??
      subjectValue,
    kind: kindOf(issuer, claims, service),
    groups: groupsOf(readClaim(claims, issuer.groupsClaim)),
    issuer: issuer.name,
    tokenId: claimText(claims.jti),
    expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : undefined,
    chain: [],
  };
  const actors = actorsFromClaims(issuer, claims.act);
  if (actors.length === 0) return direct;
  // RFC 8693 4.1: `sub` is whom the token is about, `act` the party acting now, nested `act`s the
  // parties that acted before it. The identity is the current actor; the chain starts at `sub`,
  // whose groups (the token's) and access the actors use.
  const current = actors[0] as Actor;
  const earlier = actors.slice(1).reverse();
  return {
    ...direct,
    subject: current.subject,
    displayName: current.subject,
    kind: current.kind,
    groups: [],
    chain: [{ subject, kind: direct.kind }, ...earlier],
    delegation: {
      root: { subject, kind: direct.kind, groups: direct.groups, issuer: issuer.name },
      scopes: [],
    },
  };
}

/** Most nested `act` claims read; deeper ones make the token invalid rather than truncated. */
const MAX_ACT_DEPTH = 8;

/**
 * The actors of an `act` claim, current actor first. Each is `{ sub, act? }`; an actor's kind is
 * its `airlock_kind` (or `kind`) member when that is human, agent or service, else agent.
 */
function actorsFromClaims(issuer: OidcIssuer, act: unknown): Actor[] {
  const actors: Actor[] = [];
  for (let node = act; node !== undefined && node !== null; ) {
    if (typeof node !== 'object' || actors.length >= MAX_ACT_DEPTH) {
      throw new AirlockError('ERR_TOKEN_INVALID', `OIDC token from ${issuer.name} has a malformed act claim`);
    }
    const member = node as Record<string, unknown>;
    const sub = claimText(member.sub);
    if (sub === undefined) {
      throw new AirlockError(
        'ERR_TOKEN_INVALID',
        `OIDC token from ${issuer.name} has an act claim without sub`,
      );
    }
    const kind = member.airlock_kind ?? member.kind;
    actors.push({
      subject: `${issuer.name}:${sub}`,
      kind: KINDS.includes(kind as IdentityKind) ? (kind as IdentityKind) : 'agent',
    });
    node = member.act;
  }
  return actors;
}

/**
 * A client_credentials token: marked by `gty` (Auth0), or with no `sub`, or with `sub` naming the
 * client itself (what most IdPs, oidc-provider included, issue for this grant).
 */
function isClientCredentialsToken(claims: JWTPayload): boolean {
  if (claims.gty === 'client_credentials') return true;
  const clientId = claimText(claims.client_id) ?? claimText(claims.azp);
  if (claims.sub === undefined) return clientId !== undefined;
  return claims.sub === claims.client_id || claims.sub === claims.azp;
}

function kindOf(issuer: OidcIssuer, claims: JWTPayload, service: boolean): IdentityKind {
  if (issuer.kindClaim !== undefined) {
    const value = readClaim(claims, issuer.kindClaim);
    if (KINDS.includes(value as IdentityKind)) return value as IdentityKind;
  }
  return service ? 'service' : issuer.kind;
}

/** Groups as an array of strings, or one string separated by spaces or commas. */
function groupsOf(value: unknown): string[] {
  let names: string[] = [];
  if (Array.isArray(value)) names = value.filter((item): item is string => typeof item === 'string');
  else if (typeof value === 'string') names = value.split(/[\s,]+/);
  return [...new Set(names.map((name) => name.trim()).filter((name) => name !== ''))];
}

/** A claim by exact name, else by dotted path (`realm_access.roles`, as Keycloak nests roles). */
function readClaim(claims: JWTPayload, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function claimText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
