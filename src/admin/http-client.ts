/**
 * @module The admin surface through the REST API, acting as the identity of a bearer token: what
 * the CLI uses with --server (or AIRLOCK_SERVER).
 */
import type { AuditRecord } from '../audit/events.js';
import { AirlockError, type ErrorCode, errorCatalog } from '../core/errors.js';
import type { ExchangeRequest } from '../identity/exchange.js';
import type { CreateLockInput, LockView } from '../identity/locks.js';
import type {
  AdminService,
  AuditQuery,
  AuditVerifyView,
  ConfigReloadView,
  ConnectionView,
  CreateTokenInput,
  ExchangeView,
  SessionDetailView,
  SessionQuery,
  SessionView,
  TokenView,
  WhoAmI,
} from './service.js';

function query(params: Record<string, string | number | Date | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    search.set(key, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function formatTtl(ms: number): string {
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

/**
 * One REST call to the Airlock at `base` as the bearer of `token`: JSON in and out, problem+json
 * answers turned back into the catalog's AirlockError. Every HTTP admin client goes through here.
 */
export async function callApi<T>(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (cause) {
    throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `cannot reach ${base}`, {
      userMessage: `cannot reach the Airlock server at ${base}`,
      cause,
    });
  }
  let text: string;
  try {
    text = await response.text();
  } catch (cause) {
    throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `${base}: answer cut off`, {
      userMessage: `the connection to the Airlock server at ${base} broke while it answered HTTP ${response.status}`,
      cause,
    });
  }
  const parsed = parseJson(text);
  // Every Airlock answer is JSON (bodyless 204 aside): anything else came from something in between.
  if (parsed === NOT_JSON && !(response.status === 204 && text === '')) throw notJson(base, response, text);
  if (!response.ok) {
    const problem = (parsed ?? {}) as { code?: string; title?: string; detail?: string };
    const code = (problem.code && problem.code in errorCatalog ? problem.code : 'ERR_INTERNAL') as ErrorCode;
    throw new AirlockError(code, problem.title ?? `HTTP ${response.status}`, {
      userMessage: problem.title ?? `the server answered HTTP ${response.status}`,
      ...(problem.detail ? { detail: problem.detail } : {}),
    });
  }
  return (parsed === NOT_JSON ? undefined : parsed) as T;
}

/** `parseJson`'s answer for a body that is empty or not JSON. */
const NOT_JSON: unique symbol = Symbol('not JSON');

function parseJson(text: string): unknown {
  if (text === '') return NOT_JSON;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NOT_JSON;
  }
}

/** How many characters of a body that is not JSON an error quotes. */
const EXCERPT_CHARS = 200;

/**
 * The error for an answer that is not the API's JSON (a proxy's HTML 502, an empty body, a login
 * page): its status, content type and the start of its body, so the operator sees who answered.
 */
function notJson(base: string, response: Response, text: string): AirlockError {
  const type = response.headers.get('content-type') ?? 'no content type';
  const what = text === '' ? 'an empty body' : 'a body that is not JSON';
  const userMessage = `the server at ${base} answered HTTP ${response.status} (${type}) with ${what}; is that the Airlock API, or a proxy in front of it?`;
  // Folded to one line, without control characters that could upset a terminal.
  const folded = text.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
  const excerpt = folded.length > EXCERPT_CHARS ? `${folded.slice(0, EXCERPT_CHARS)}…` : folded;
  return new AirlockError('ERR_UPSTREAM_UNREACHABLE', `${base}: HTTP ${response.status} ${type}, not JSON`, {
    userMessage,
    ...(excerpt ? { detail: `body: ${excerpt}` } : {}),
  });
}

/** Calls the API of a running Airlock. */
export class HttpAdmin implements AdminService {
  readonly #base: string;
  readonly #token: string;

  constructor(server: string, token: string) {
    this.#base = server.replace(/\/+$/, '');
    this.#token = token;
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return callApi<T>(this.#base, this.#token, method, path, body);
  }

  whoami(): Promise<WhoAmI> {
    return this.#call('GET', '/api/v1/whoami');
  }

  createToken(input: CreateTokenInput): Promise<{ token: string; info: TokenView }> {
    return this.#call('POST', '/api/v1/tokens', {
      name: input.name,
      ...(input.groups ? { groups: input.groups } : {}),
      ...(input.kind ? { kind: input.kind } : {}),
      ...(input.ttlMs !== undefined ? { ttl: formatTtl(input.ttlMs) } : {}),
    });
  }

  listTokens(): Promise<TokenView[]> {
    return this.#call('GET', '/api/v1/tokens');
  }

  revokeToken(name: string): Promise<TokenView> {
    return this.#call('POST', `/api/v1/tokens/${encodeURIComponent(name)}/revoke`);
  }

  listConnections(): Promise<ConnectionView[]> {
    return this.#call('GET', '/api/v1/connections');
  }

  listSessions(q: SessionQuery): Promise<SessionView[]> {
    return this.#call('GET', `/api/v1/sessions${query({ ...q })}`);
  }

  showSession(id: string, options: { readonly limit?: number } = {}): Promise<SessionDetailView> {
    return this.#call('GET', `/api/v1/sessions/${encodeURIComponent(id)}${query({ limit: options.limit })}`);
  }

  reloadConfig(): Promise<ConfigReloadView> {
    return this.#call('POST', '/api/v1/config/reload');
  }

  searchAudit(q: AuditQuery): Promise<AuditRecord[]> {
    const { sessionId, ...rest } = q;
    return this.#call('GET', `/api/v1/audit/events${query({ ...rest, session: sessionId })}`);
  }

  verifyAudit(): Promise<AuditVerifyView> {
    return this.#call('GET', '/api/v1/audit/verify');
  }

  async exchangeToken(request: ExchangeRequest): Promise<ExchangeView> {
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: request.subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    if (request.scope.length > 0) form.set('scope', request.scope.join(' '));
    if (request.actorName !== undefined) form.set('actor_name', request.actorName);
    if (request.actorKind !== undefined) form.set('actor_kind', request.actorKind);
    if (request.audience !== undefined) form.set('audience', request.audience);
    if (request.ttlMs !== undefined)
      form.set('requested_lifetime', String(Math.max(1, Math.floor(request.ttlMs / 1000))));
    return postTokenExchange(this.#base, form);
  }

  async terminateSession(id: string, reason?: string): Promise<void> {
    await this.#call(
      'POST',
      `/api/v1/sessions/${encodeURIComponent(id)}/terminate`,
      reason ? { reason } : {},
    );
  }

  createLock(input: CreateLockInput): Promise<LockView> {
    return this.#call('POST', '/api/v1/locks', {
      targetKind: input.targetKind,
      target: input.target,
      reason: input.reason,
      ...(input.ttlMs !== undefined ? { ttl: formatTtl(input.ttlMs) } : {}),
    });
  }

  listLocks(all = false): Promise<LockView[]> {
    return this.#call('GET', `/api/v1/locks${all ? '?all=true' : ''}`);
  }

  removeLock(id: string): Promise<LockView> {
    return this.#call('DELETE', `/api/v1/locks/${encodeURIComponent(id)}`);
  }
}

/**
 * POSTs a token-exchange form to `base` (RFC 8693) and returns what it issued; OAuth errors become
 * AirlockErrors (the server's description is the message). `airlock delegate` and `airlock login`.
 */
export async function postTokenExchange(base: string, form: URLSearchParams): Promise<ExchangeView> {
  let response: Response;
  try {
    response = await fetch(`${base.replace(/\/+$/, '')}/api/v1/token/exchange`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
  } catch (cause) {
    throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `cannot reach ${base}`, {
      userMessage: `cannot reach the Airlock server at ${base}`,
      cause,
    });
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body.access_token !== 'string') {
    const description = String(body.error_description ?? `HTTP ${response.status}`);
    const code: ErrorCode =
      body.error === 'invalid_grant'
        ? 'ERR_TOKEN_INVALID'
        : body.error === 'invalid_scope'
          ? 'ERR_SCOPE_DENIED'
          : body.error === 'invalid_target'
            ? 'ERR_CONNECTION_UNKNOWN'
            : response.status >= 500
              ? 'ERR_INTERNAL'
              : 'ERR_BAD_REQUEST';
    throw new AirlockError(code, `token exchange: ${body.error} ${description}`, {
      userMessage: `token exchange refused (${String(body.error)}): ${description}`,
    });
  }
  return {
    token: body.access_token,
    name: String(body.airlock_token_name),
    expiresAt: String(body.airlock_expires_at),
    scope: typeof body.scope === 'string' ? body.scope : '',
  };
}
