/**
 * @module Token exchange (RFC 8693): a subject token (an Airlock token or an OIDC access token) is
 * exchanged for a short Airlock token. With an actor name the new token is a delegate: a new
 * identity acting for the subject's, whose scope can only shrink and whose expiry never passes its
 * parent's. Without one it acts as the subject itself, which is how a person's OIDC login (or an
 * agent holding a long JWT) becomes a token short enough for psql, ssh and mysql password prompts.
 * `POST /api/v1/token/exchange` and `airlock delegate` both call `TokenExchange.exchange`.
 */
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import type { Authenticator, ConnectionCatalog } from '../core/gate.js';
import type { Identity, IdentityKind, RootIdentity, ScopeGrant } from '../core/identity.js';
import { checkNarrowing, formatScopeGrant, parseScopeGrant } from './delegation.js';
import { randomBase62, type TokenInfo, type TokenService } from './tokens.js';

/** Default for `identity.maxDelegationDepth`. */
export const DEFAULT_MAX_DELEGATION_DEPTH = 3;
/** A delegate lives this long unless asked otherwise (and never past its parent). */
export const DEFAULT_DELEGATE_TTL_MS = 15 * 60_000;
/** An exchanged login token lives this long unless asked otherwise (and never past the subject token). */
export const DEFAULT_EXCHANGE_TTL_MS = 8 * 3600_000;

/** One exchange, already parsed from the form or the CLI flags. */
export interface ExchangeRequest {
  /** The Airlock token or OIDC access token being exchanged. */
  readonly subjectToken: string;
  /** Name of the new delegate; absent: the new token acts as the subject token's identity. */
  readonly actorName?: string;
  readonly actorKind?: IdentityKind;
  /** `CONNECTION:read|write|admin|<actions>` entries (or bare scopes with `audience`). */
  readonly scope: readonly string[];
  /** RFC 8693 `audience`: the connection the scope entries without a prefix are for. */
  readonly audience?: string;
  readonly ttlMs?: number;
}

/** What an exchange issued. */
export interface ExchangeResult {
  /** The new token; the only copy of its secret. */
  readonly token: string;
  readonly info: TokenInfo;
  /** Seconds until it expires (RFC 6749 `expires_in`). */
  readonly expiresIn: number;
  /** The granted scope entries, space-separated as OAuth prints them; empty when not narrowed. */
  readonly scope: string;
}

/** What `TokenExchange` needs. */
export interface TokenExchangeDeps {
  readonly tokens: TokenService;
  readonly authenticator: Authenticator;
  readonly connections: () => ConnectionCatalog;
  readonly clock: Clock;
  /** `identity.maxDelegationDepth` of the running config. */
  readonly maxDepth: () => number;
}

/** Issues delegated and exchanged tokens. */
export class TokenExchange {
  readonly #deps: TokenExchangeDeps;

  constructor(deps: TokenExchangeDeps) {
    this.#deps = deps;
  }

  /** Exchanges `request.subjectToken`. Throws AirlockError (the route maps codes to OAuth errors). */
  async exchange(request: ExchangeRequest): Promise<ExchangeResult> {
    if (request.subjectToken === '') throw new AirlockError('ERR_TOKEN_MISSING', 'no subject_token');
    const parent = await this.#deps.authenticator.authenticate(request.subjectToken);
    const scope = this.#parseScope(request);
    checkNarrowing(scope, parent.delegation?.scopes ?? []);
    const delegate = request.actorName !== undefined;
    if (delegate && scope.length === 0) {
      throw new AirlockError('ERR_BAD_REQUEST', 'delegation without scope', {
        userMessage: 'a delegate needs at least one scope, e.g. --scope orders:read',
      });
    }
    // A delegate acts for someone: it is software (agent or service), never a person, so a chain can
    // not mint "humans" that pass kind-based policies or approve requests.
    if (delegate && request.actorKind === 'human') {
      const userMessage = 'a delegate is an agent or a service, never a human (use --kind agent or service)';
      throw new AirlockError('ERR_DELEGATION_DENIED', userMessage, { userMessage });
    }
    const chain = delegate ? [...parent.chain, { subject: parent.subject, kind: parent.kind }] : parent.chain;
    const maxDepth = this.#deps.maxDepth();
    if (chain.length > maxDepth) {
      const userMessage = `delegating from "${parent.subject}" would make a chain of depth ${chain.length}; identity.maxDelegationDepth is ${maxDepth}`;
      throw new AirlockError('ERR_DELEGATION_DENIED', userMessage, { userMessage });
    }
    const self: RootIdentity = {
      subject: parent.subject,
      kind: parent.kind,
      groups: parent.groups,
      issuer: parent.issuer,
    };
    const ttlMs = this.#ttl(
      parent,
      request.ttlMs ?? (delegate ? DEFAULT_DELEGATE_TTL_MS : DEFAULT_EXCHANGE_TTL_MS),
    );
    const { token, info } = await this.#deps.tokens.create({
      name: request.actorName ?? `x-${randomBase62(12)}`,
      groups: [],
      kind: delegate ? (request.actorKind ?? 'agent') : parent.kind,
      ttlMs,
      actor: parent,
      delegation: {
        parentId: parent.issuer === 'airlock' && parent.tokenId !== undefined ? parent.tokenId : null,
        root: parent.delegation?.root ?? self,
        chain,
        scope: scope.length > 0 ? scope : null,
        depth: chain.length,
        ...(delegate ? {} : { acting: self }),
        parentSubject: parent.subject,
      },
    });
    return {
      token,
      info,
      expiresIn: Math.floor(ttlMs / 1000),
      scope: scope.map(formatScopeGrant).join(' '),
    };
  }

  #parseScope(request: ExchangeRequest): ScopeGrant[] {
    const audience = request.audience?.trim() || undefined;
    const scope = request.scope.map((entry) => parseScopeGrant(entry, audience));
    if (audience !== undefined && scope.length === 0) {
      throw new AirlockError('ERR_BAD_REQUEST', 'audience without scope', {
        userMessage: `audience "${audience}" needs a scope (read, write, admin or actions)`,
      });
    }
    for (const grant of scope) {
      if (audience !== undefined && grant.connection !== audience) {
        throw new AirlockError('ERR_BAD_REQUEST', `scope ${grant.connection} vs audience ${audience}`, {
          userMessage: `scope "${formatScopeGrant(grant)}" names another connection than the audience "${audience}"`,
        });
      }
      if (grant.connection !== '*' && !this.#deps.connections().get(grant.connection)) {
        throw new AirlockError('ERR_CONNECTION_UNKNOWN', `unknown connection ${grant.connection}`, {
          userMessage: `there is no connection named "${grant.connection}"`,
        });
      }
    }
    return scope;
  }

  /** The requested lifetime, cut so the token never outlives the subject token. */
  #ttl(parent: Identity, requestedMs: number): number {
    if (!Number.isSafeInteger(requestedMs) || requestedMs <= 0) {
      throw new AirlockError('ERR_BAD_REQUEST', `ttl ${requestedMs}`, {
        userMessage: 'the requested lifetime must be a positive duration, e.g. 15m',
      });
    }
    const now = this.#deps.clock.nowMs();
    const parentLeft = parent.expiresAt ? parent.expiresAt.getTime() - now : requestedMs;
    const ttl = Math.min(requestedMs, Math.floor(parentLeft));
    if (ttl <= 0) throw new AirlockError('ERR_TOKEN_EXPIRED', `subject token of ${parent.subject} expired`);
    return ttl;
  }
}
