/**
 * @module The admin surface acting on the store in this process: used by the API's routes (as the
 * caller's identity) and by the CLI with --config (as the operator).
 */
import type { Kysely } from 'kysely';
import type { AuditRecord } from '../audit/events.js';
import { listSessions, searchAudit } from '../audit/search.js';
import { readSessionDetail } from '../audit/session-detail.js';
import { verifyAudit } from '../audit/verify.js';
import type { AirlockConfig } from '../core/config.js';
import type { Connection } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import { type Identity, matchesPrincipal } from '../core/identity.js';
import { accessPrincipal, chainActions } from '../identity/delegation.js';
import type { ExchangeRequest, TokenExchange } from '../identity/exchange.js';
import type { CreateLockInput, LockService, LockView } from '../identity/locks.js';
import type { TokenService } from '../identity/tokens.js';
import type { Database } from '../store/schema.js';
import { requireRole } from './roles.js';
import type {
  AdminService,
  AuditQuery,
  AuditVerifyView,
  ConfigReloadView,
  ConnectionView,
  CreateTokenInput,
  ExchangeView,
  RoleResolver,
  SessionDetailView,
  SessionQuery,
  SessionView,
  TokenView,
  WhoAmI,
} from './service.js';

/** What a LocalAdmin needs. */
export interface LocalAdminDeps {
  readonly db: Kysely<Database>;
  readonly tokens: TokenService;
  readonly config: () => AirlockConfig;
  readonly roles: RoleResolver;
  readonly nodeKey: Buffer;
  /** Re-reads the server's config file as `actor`; only inside a running server. */
  readonly reload?: (actor: Identity) => Promise<ConfigReloadView>;
  /** Locks and session termination (src/identity/locks.ts). */
  readonly locks?: LockService;
  /** Token exchange and delegation (src/identity/exchange.ts). */
  readonly exchange?: TokenExchange;
}

const DEFAULT_TTL_MS = 8 * 3600_000;

/** Builds the psql command line for a connection. */
export function connectCommand(config: AirlockConfig, connection: Connection, user: string): string {
  const listen = config.listen.postgres;
  const host = !listen || listen.host === '0.0.0.0' || listen.host === '::' ? 'localhost' : listen.host;
  const port = listen?.port ?? 15432;
  return `PGPASSWORD="$AIRLOCK_TOKEN" psql "host=${host} port=${port} dbname=${connection.name} user=${user} sslmode=require"`;
}

/** The admin surface for one acting identity. */
export class LocalAdmin implements AdminService {
  readonly #deps: LocalAdminDeps;
  readonly #actor: Identity;

  constructor(deps: LocalAdminDeps, actor: Identity) {
    this.#deps = deps;
    this.#actor = actor;
  }

  get #roles() {
    return this.#deps.roles(this.#actor);
  }

  async whoami(): Promise<WhoAmI> {
    const a = this.#actor;
    return {
      subject: a.subject,
      kind: a.kind,
      groups: a.groups,
      issuer: a.issuer,
      roles: this.#roles,
      ...(a.expiresAt ? { expiresAt: a.expiresAt.toISOString() } : {}),
    };
  }

  async createToken(input: CreateTokenInput): Promise<{ token: string; info: TokenView }> {
    requireRole(this.#roles, ['admin'], 'creating tokens');
    return this.#deps.tokens.create({
      name: input.name,
      groups: [...(input.groups ?? [])],
      kind: input.kind ?? 'agent',
      ttlMs: input.ttlMs ?? DEFAULT_TTL_MS,
      actor: this.#actor,
    });
  }

  async listTokens(): Promise<TokenView[]> {
    requireRole(this.#roles, ['admin', 'auditor'], 'listing tokens');
    return this.#deps.tokens.list();
  }

  async revokeToken(name: string): Promise<TokenView> {
    requireRole(this.#roles, ['admin'], 'revoking tokens');
    return this.#deps.tokens.revoke(name, this.#actor);
  }

  async listConnections(): Promise<ConnectionView[]> {
    const config = this.#deps.config();
    const privileged = this.#roles.length > 0;
    // A delegate uses its root's access entries, and only where its chain's scopes reach.
    const principal = accessPrincipal(this.#actor);
    const scopes = this.#actor.delegation?.scopes ?? [];
    return config.connections
      .filter(
        (c) => privileged || (matchesPrincipal(principal, c.access) && chainActions(scopes, c.name) !== null),
      )
      .map((c) => ({
        name: c.name,
        type: c.type,
        tags: c.tags,
        connect: connectCommand(config, c, this.#actor.subject),
        ...(privileged ? { access: c.access } : {}),
      }));
  }

  async listSessions(query: SessionQuery): Promise<SessionView[]> {
    // Anyone may see their own sessions; admins and auditors see everyone's.
    const own = this.#roles.length === 0;
    return listSessions(this.#deps.db, own ? { ...query, identity: this.#actor.subject } : query);
  }

  async showSession(id: string, options: { readonly limit?: number } = {}): Promise<SessionDetailView> {
    const detail = await readSessionDetail(this.#deps.db, id, options);
    // Without a role only one's own sessions exist: someone else's id answers like an unknown one.
    const visible =
      detail && (this.#roles.length > 0 || detail.session.identity?.subject === this.#actor.subject);
    if (!detail || !visible) {
      throw new AirlockError('ERR_NOT_FOUND', `no session ${id} visible to ${this.#actor.subject}`, {
        userMessage: `no session with id "${id}"`,
      });
    }
    return detail;
  }

  async reloadConfig(): Promise<ConfigReloadView> {
    requireRole(this.#roles, ['admin'], 'reloading the configuration');
    if (!this.#deps.reload) {
      throw new AirlockError('ERR_UNSUPPORTED', 'config reload without a running server', {
        userMessage:
          'config reload acts on the running server: use --server URL with an admin token, or send it SIGHUP',
      });
    }
    const report = await this.#deps.reload(this.#actor);
    if (report.outcome === 'failure') {
      const count = report.problems.length === 1 ? '1 problem' : `${report.problems.length} problems`;
      throw new AirlockError('ERR_CONFIG_INVALID', `config reload rejected: ${count} in ${report.file}`, {
        userMessage: `config reload rejected (${count} in ${report.file}); the running configuration stays`,
        detail: report.problems.join('\n'),
      });
    }
    return report;
  }

  async searchAudit(query: AuditQuery): Promise<AuditRecord[]> {
    requireRole(this.#roles, ['admin', 'auditor'], 'searching the audit trail');
    return searchAudit(this.#deps.db, query);
  }

  async verifyAudit(): Promise<AuditVerifyView> {
    requireRole(this.#roles, ['admin', 'auditor'], 'verifying the audit trail');
    return verifyAudit(this.#deps.db, this.#deps.nodeKey);
  }

  async exchangeToken(request: ExchangeRequest): Promise<ExchangeView> {
    const exchange = this.#deps.exchange;
    if (!exchange) throw new AirlockError('ERR_INTERNAL', 'admin surface built without token exchange');
    const result = await exchange.exchange(request);
    return {
      token: result.token,
      name: result.info.name,
      expiresAt: result.info.expiresAt,
      scope: result.scope,
    };
  }

  async terminateSession(id: string, reason?: string): Promise<void> {
    requireRole(this.#roles, ['admin'], 'terminating sessions');
    await this.#locks.terminateSession(id, this.#actor, reason);
  }

  async createLock(input: CreateLockInput): Promise<LockView> {
    requireRole(this.#roles, ['admin'], 'creating locks');
    return this.#locks.create(input, this.#actor);
  }

  async listLocks(all = false): Promise<LockView[]> {
    requireRole(this.#roles, ['admin', 'auditor'], 'listing locks');
    return this.#locks.list({ all });
  }

  async removeLock(id: string): Promise<LockView> {
    requireRole(this.#roles, ['admin'], 'removing locks');
    return this.#locks.remove(id, this.#actor);
  }

  get #locks(): LockService {
    const locks = this.#deps.locks;
    if (!locks) throw new AirlockError('ERR_INTERNAL', 'admin surface built without a lock service');
    return locks;
  }
}
