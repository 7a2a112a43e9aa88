/**
 * @module `POST /api/v1/token/exchange`: OAuth 2.0 Token Exchange (RFC 8693). The body is a form
 * (`application/x-www-form-urlencoded`); the subject token authenticates the call, so the route
 * needs no bearer header. Errors are OAuth-style `{ error, error_description }` (RFC 6749 5.2).
 * Airlock's extension: `actor_name` (and `actor_kind`) names the delegate to create; without it
 * the new token acts as the subject token's identity.
 * @see https://www.rfc-editor.org/rfc/rfc8693
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { type AirlockError, toAirlockError } from '../../core/errors.js';
import type { IdentityKind } from '../../core/identity.js';
import { parseDuration } from '../../identity/duration.js';
import type { TokenExchange } from '../../identity/exchange.js';
import { documented } from '../openapi.js';
import { fromBodyError } from '../request-errors.js';

/** The RFC 8693 grant type. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** Token types Airlock accepts as subject tokens, and the type it issues. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TOKEN_TYPES = new Set([ACCESS_TOKEN_TYPE, 'urn:ietf:params:oauth:token-type:jwt']);
const KINDS: readonly IdentityKind[] = ['human', 'agent', 'service'];

/** Route options. */
export interface ExchangeRouteDeps {
  readonly exchange: TokenExchange;
}

const FORM_ONLY = 'send the request as application/x-www-form-urlencoded';

/** An OAuth error answer. */
interface OAuthError {
  readonly status: number;
  readonly error: string;
  readonly description: string;
}

function oauthError(status: number, error: string, description: string): OAuthError {
  return { status, error, description };
}

/** Maps Airlock's catalog codes to RFC 6749 / 8693 error codes. */
function fromAirlockError(err: AirlockError): OAuthError {
  switch (err.code) {
    case 'ERR_TOKEN_MISSING':
      return oauthError(400, 'invalid_request', err.userMessage);
    case 'ERR_TOKEN_INVALID':
    case 'ERR_TOKEN_EXPIRED':
    case 'ERR_TOKEN_REVOKED':
      return oauthError(401, 'invalid_grant', `subject_token: ${err.userMessage}`);
    case 'ERR_SCOPE_DENIED':
      return oauthError(400, 'invalid_scope', err.userMessage);
    case 'ERR_CONNECTION_UNKNOWN':
      return oauthError(400, 'invalid_target', err.userMessage);
    case 'ERR_BAD_REQUEST':
    case 'ERR_CONFLICT':
    case 'ERR_DELEGATION_DENIED':
      return oauthError(400, 'invalid_request', err.userMessage);
    case 'ERR_IDP_UNAVAILABLE':
      return oauthError(503, 'temporarily_unavailable', err.userMessage);
    default:
      return oauthError(500, 'server_error', err.userMessage);
  }
}

function send(reply: FastifyReply, err: OAuthError): FastifyReply {
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .send({ error: err.error, error_description: err.description });
}

/** The form's single value of `name` (RFC 6749 3.2: parameters must not repeat, except scope lists). */
function one(form: URLSearchParams, name: string): string | undefined {
  const values = form.getAll(name);
  if (values.length > 1) throw oauthError(400, 'invalid_request', `${name} given more than once`);
  return values[0];
}

/** /api/v1/token/exchange */
export const exchangeRoutes: FastifyPluginAsync<ExchangeRouteDeps> = async (app, deps) => {
  // Form bodies only here (the plugin is encapsulated); kept raw to read repeated `scope` fields.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, new URLSearchParams(body as string));
    },
  );

  // Bodies fastify refuses before the route runs (too large, malformed JSON, another content
  // type): OAuth clients expect invalid_request, not problem+json.
  app.setErrorHandler((thrown, request, reply) => {
    const err = fromBodyError(thrown, request.headers['content-type']);
    if (err?.code === 'ERR_PAYLOAD_TOO_LARGE')
      return send(reply, oauthError(400, 'invalid_request', err.userMessage));
    if (err) return send(reply, oauthError(400, 'invalid_request', FORM_ONLY));
    request.log.error({ err: thrown }, 'token exchange failed');
    return send(reply, oauthError(500, 'server_error', 'the token exchange failed; retry'));
  });

  app.post(
    '/token/exchange',
    {
      schema: documented({
        summary: 'Exchange an Airlock or OIDC token for a short Airlock token or a delegate (RFC 8693)',
      }),
    },
    async (request, reply) => {
      const form = request.body;
      if (!(form instanceof URLSearchParams)) {
        return send(reply, oauthError(400, 'invalid_request', FORM_ONLY));
      }
      try {
        const grantType = one(form, 'grant_type');
        // RFC 6749 5.2: a missing parameter is invalid_request; an unknown grant type is not.
        if (grantType === undefined) {
          return send(
            reply,
            oauthError(400, 'invalid_request', `grant_type is required: ${TOKEN_EXCHANGE_GRANT}`),
          );
        }
        if (grantType !== TOKEN_EXCHANGE_GRANT) {
          return send(
            reply,
            oauthError(400, 'unsupported_grant_type', `grant_type must be ${TOKEN_EXCHANGE_GRANT}`),
          );
        }
        const subjectToken = one(form, 'subject_token') ?? '';
        const subjectType = one(form, 'subject_token_type');
        if (subjectToken === '' || subjectType === undefined) {
          return send(
            reply,
            oauthError(400, 'invalid_request', 'subject_token and subject_token_type are required'),
          );
        }
        if (!SUBJECT_TOKEN_TYPES.has(subjectType)) {
          return send(
            reply,
            oauthError(400, 'invalid_request', `subject_token_type must be ${ACCESS_TOKEN_TYPE}`),
          );
        }
        // RFC 8693 2.1: Airlock issues one type; asking for another (an id_token, a refresh token)
        // must fail rather than hand back something the client did not ask for.
        const requestedType = one(form, 'requested_token_type');
        if (requestedType !== undefined && requestedType !== ACCESS_TOKEN_TYPE) {
          return send(
            reply,
            oauthError(400, 'invalid_request', `requested_token_type must be ${ACCESS_TOKEN_TYPE}`),
          );
        }
        const kind = one(form, 'actor_kind');
        if (kind !== undefined && !KINDS.includes(kind as IdentityKind)) {
          return send(
            reply,
            oauthError(400, 'invalid_request', `actor_kind must be one of ${KINDS.join(', ')}`),
          );
        }
        const lifetime = one(form, 'requested_lifetime') ?? one(form, 'expires_in');
        let ttlMs: number | undefined;
        if (lifetime !== undefined) {
          ttlMs = /^\d+$/.test(lifetime) ? Number(lifetime) * 1000 : parseDuration(lifetime);
        }
        const actorName = one(form, 'actor_name');
        const audience = one(form, 'audience');
        // RFC 8693: scope is space-delimited; repeated fields are accepted too.
        const scope = form
          .getAll('scope')
          .flatMap((value) => value.split(' '))
          .filter(Boolean);
        const result = await deps.exchange.exchange({
          subjectToken,
          scope,
          ...(actorName !== undefined ? { actorName } : {}),
          ...(kind !== undefined ? { actorKind: kind as IdentityKind } : {}),
          ...(audience !== undefined ? { audience } : {}),
          ...(ttlMs !== undefined ? { ttlMs } : {}),
        });
        return reply.header('cache-control', 'no-store').send({
          access_token: result.token,
          issued_token_type: ACCESS_TOKEN_TYPE,
          token_type: 'Bearer',
          expires_in: result.expiresIn,
          ...(result.scope ? { scope: result.scope } : {}),
          airlock_token_name: result.info.name,
          airlock_expires_at: result.info.expiresAt,
        });
      } catch (thrown) {
        if (typeof thrown === 'object' && thrown !== null && 'error' in thrown && 'status' in thrown) {
          return send(reply, thrown as OAuthError);
        }
        const err = toAirlockError(thrown);
        if (err.code === 'ERR_INTERNAL') request.log.error({ err: thrown }, 'token exchange failed');
        return send(reply, fromAirlockError(err));
      }
    },
  );
};
