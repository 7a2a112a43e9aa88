/**
 * @module The admin surface through the REST API, acting as the identity of a bearer token: what
 * the CLI uses with --server (or AIRLOCK_SERVER).
 */
import type { AuditRecord } from '../audit/events.js';
import { AirlockError, type ErrorCode, errorCatalog } from '../core/errors.js';
import type {
  AdminService,
  AuditQuery,
  AuditVerifyView,
  ConnectionView,
  CreateTokenInput,
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

/** Calls the API of a running Airlock. */
export class HttpAdmin implements AdminService {
  readonly #base: string;
  readonly #token: string;

  constructor(server: string, token: string) {
    this.#base = server.replace(/\/+$/, '');
    this.#token = token;
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (cause) {
      throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `cannot reach ${this.#base}`, {
        userMessage: `cannot reach the Airlock server at ${this.#base}`,
        cause,
      });
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const problem = (parsed ?? {}) as { code?: string; title?: string; detail?: string };
      const code = (
        problem.code && problem.code in errorCatalog ? problem.code : 'ERR_INTERNAL'
      ) as ErrorCode;
      throw new AirlockError(code, problem.title ?? `HTTP ${response.status}`, {
        userMessage: problem.title ?? `the server answered HTTP ${response.status}`,
        ...(problem.detail ? { detail: problem.detail } : {}),
      });
    }
    return parsed as T;
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

  searchAudit(q: AuditQuery): Promise<AuditRecord[]> {
    const { sessionId, ...rest } = q;
    return this.#call('GET', `/api/v1/audit/events${query({ ...rest, session: sessionId })}`);
  }

  verifyAudit(): Promise<AuditVerifyView> {
    return this.#call('GET', '/api/v1/audit/verify');
  }
}
