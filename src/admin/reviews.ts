/**
 * @module The review gate's admin surface (grants, JIT requests, approvals), one interface for both
 * ways the CLI works: `LocalReviewAdmin` on the store (the API's routes use it too, as the caller),
 * `HttpReviewAdmin` through the REST API as the identity of a token. Kept apart from
 * `AdminService` so each capability's surface stays small.
 */
import { AirlockError } from '../core/errors.js';
import { type Identity, matchesPrincipal, type PrincipalRef } from '../core/identity.js';
import type { BreakGlassView } from '../reviews/break-glass.js';
import type { CampaignItemView, CampaignReport, CampaignView, ItemDecision } from '../reviews/campaigns.js';
import type { SuspensionView } from '../reviews/expiry.js';
import { parseScope } from '../reviews/scopes.js';
import type { ReviewService } from '../reviews/service.js';
import type { ApprovalRequestView, GrantView, RequestStatus } from '../reviews/types.js';
import { isDelegated, refuseDelegated } from './delegated.js';
import { callApi } from './http-client.js';
import { requireRole } from './roles.js';
import type { RoleResolver } from './service.js';

/** Input for a new grant. */
export interface CreateGrantRequest {
  readonly connection: string;
  /** `user:SUBJECT` or `group:NAME`. */
  readonly principal: string;
  /** `read`, `write`, `admin` or a comma list of actions. */
  readonly scope: string;
  readonly reason: string;
  readonly ttlMs?: number;
}

/** Input for a JIT access request. */
export interface AccessRequest {
  readonly connection: string;
  readonly scope: string;
  readonly reason: string;
  readonly ttlMs: number;
}

/** Input for break-glass (the access is for the caller only). */
export interface BreakGlassRequest {
  readonly connection: string;
  readonly reason: string;
  /** Default 1 h, at most 24 h. */
  readonly ttlMs?: number;
}

/** Everything the CLI and API do with grants and approvals, as the acting identity. */
export interface ReviewAdmin {
  createGrant(input: CreateGrantRequest): Promise<GrantView>;
  listGrants(filter: { connection?: string; all?: boolean }): Promise<GrantView[]>;
  revokeGrant(id: string): Promise<GrantView>;
  requestAccess(input: AccessRequest): Promise<ApprovalRequestView>;
  listApprovals(status?: RequestStatus): Promise<ApprovalRequestView[]>;
  showApproval(id: number): Promise<ApprovalRequestView>;
  decide(
    id: number,
    decision: 'approve' | 'deny',
    reason?: string,
    windowMs?: number,
  ): Promise<ApprovalRequestView>;
  /** Waits up to `timeoutMs` for a decision; returns the request as it is then. */
  waitApproval(id: number, timeoutMs: number): Promise<ApprovalRequestView>;
  /** Emergency access for the acting identity, without an approver (docs/reviews.md#break-glass). */
  breakGlass(input: BreakGlassRequest): Promise<BreakGlassView>;
  // ---- campaigns (src/reviews/campaigns.ts) and suspensions (expiry.ts) ----
  createCampaign(input: CampaignRequest): Promise<CampaignView>;
  listCampaigns(): Promise<CampaignView[]>;
  showCampaign(id: number): Promise<CampaignView>;
  decideItem(id: number, decision: ItemDecision): Promise<CampaignItemView>;
  campaignReport(id: number): Promise<CampaignReport>;
  /** Lifts the identity's suspensions on the connection; returns how many. */
  restoreAccess(connection: string, subject: string, reason: string): Promise<{ lifted: number }>;
  listSuspensions(connection?: string): Promise<SuspensionView[]>;
}

/** Input for a new campaign. */
export interface CampaignRequest {
  readonly connections: readonly string[];
  /** `group:X` or `user:S` entries. */
  readonly reviewers: readonly string[];
  readonly dueMs: number;
}

const PRINCIPAL = /^(user|group):\S+$/;

/** On the store, as `actor`. */
export class LocalReviewAdmin implements ReviewAdmin {
  readonly #service: ReviewService;
  readonly #actor: Identity;
  readonly #roles: RoleResolver;

  constructor(service: ReviewService, actor: Identity, roles: RoleResolver) {
    this.#service = service;
    this.#actor = actor;
    this.#roles = roles;
  }

  async createGrant(input: CreateGrantRequest): Promise<GrantView> {
    refuseDelegated(this.#actor, 'grants');
    requireRole(this.#roles(this.#actor), ['admin'], 'creating grants');
    this.#service.connection(input.connection);
    if (!PRINCIPAL.test(input.principal)) {
      throw new AirlockError('ERR_BAD_REQUEST', `principal ${input.principal}`, {
        userMessage: `expected --identity SUBJECT or --group NAME, received "${input.principal}"`,
      });
    }
    return this.#service.grants.create(
      {
        connection: input.connection,
        principal: input.principal as PrincipalRef,
        scope: parseScope(input.scope),
        reason: input.reason,
        ...(input.ttlMs !== undefined ? { ttlMs: input.ttlMs } : {}),
        source: 'grant',
      },
      this.#actor,
    );
  }

  async listGrants(filter: { connection?: string; all?: boolean }): Promise<GrantView[]> {
    refuseDelegated(this.#actor, 'grants');
    requireRole(this.#roles(this.#actor), ['admin', 'auditor'], 'listing grants');
    return this.#service.grants.list(filter);
  }

  async revokeGrant(id: string): Promise<GrantView> {
    refuseDelegated(this.#actor, 'grants');
    requireRole(this.#roles(this.#actor), ['admin'], 'revoking grants');
    return this.#service.grants.revoke(id, this.#actor);
  }

  async requestAccess(input: AccessRequest): Promise<ApprovalRequestView> {
    return this.#service.requestAccess(
      this.#actor,
      input.connection,
      parseScope(input.scope),
      input.reason,
      input.ttlMs,
    );
  }

  /**
   * Admins and auditors see every request; others those they made, those made on their behalf (by
   * their delegates) and those they may decide. Delegated tokens decide nothing, so they see only
   * their own and their delegates'.
   */
  #visible(request: ApprovalRequestView): boolean {
    if (this.#roles(this.#actor).length > 0) return true;
    if (request.requester.subject === this.#actor.subject) return true;
    if (request.requester.chain.some((a) => a.subject === this.#actor.subject)) return true;
    if (isDelegated(this.#actor)) return false;
    return matchesPrincipal(this.#actor, request.waitingFor as PrincipalRef[]);
  }

  async listApprovals(status?: RequestStatus): Promise<ApprovalRequestView[]> {
    return (await this.#service.list(status)).filter((r) => this.#visible(r));
  }

  async showApproval(id: number): Promise<ApprovalRequestView> {
    const request = await this.#service.approvals.require(id);
    if (!this.#visible(request)) {
      throw new AirlockError('ERR_NOT_FOUND', `request ${id} hidden from ${this.#actor.subject}`, {
        userMessage: `there is no approval request ${id}`,
      });
    }
    return request;
  }

  async decide(
    id: number,
    decision: 'approve' | 'deny',
    reason?: string,
    windowMs?: number,
  ): Promise<ApprovalRequestView> {
    refuseDelegated(this.#actor, 'approve');
    return this.#service.decide(id, this.#actor, decision, reason, windowMs);
  }

  async waitApproval(id: number, timeoutMs: number): Promise<ApprovalRequestView> {
    await this.showApproval(id);
    return this.#service.wait(id, timeoutMs, new AbortController().signal);
  }

  async breakGlass(input: BreakGlassRequest): Promise<BreakGlassView> {
    refuseDelegated(this.#actor, 'break-glass');
    return this.#service.breakGlass(this.#actor, input.connection, input.reason, input.ttlMs);
  }

  async createCampaign(input: CampaignRequest): Promise<CampaignView> {
    refuseDelegated(this.#actor, 'reviews');
    requireRole(this.#roles(this.#actor), ['admin'], 'creating campaigns');
    const bad = input.reviewers.find((r) => !PRINCIPAL.test(r));
    if (bad !== undefined) {
      throw new AirlockError('ERR_BAD_REQUEST', `reviewer ${bad}`, {
        userMessage: `--reviewers: expected group:NAME or user:SUBJECT entries, received "${bad}"`,
      });
    }
    return this.#service.campaigns.create(
      { connections: input.connections, reviewers: input.reviewers as PrincipalRef[], dueMs: input.dueMs },
      this.#actor,
    );
  }

  /** Admins and auditors see every campaign; reviewers those they review. */
  #seesCampaign(campaign: CampaignView): boolean {
    if (this.#roles(this.#actor).length > 0) return true;
    return matchesPrincipal(this.#actor, campaign.reviewers as PrincipalRef[]);
  }

  async listCampaigns(): Promise<CampaignView[]> {
    refuseDelegated(this.#actor, 'reviews');
    return (await this.#service.campaigns.list()).filter((c) => this.#seesCampaign(c));
  }

  async showCampaign(id: number): Promise<CampaignView> {
    refuseDelegated(this.#actor, 'reviews');
    const campaign = await this.#service.campaigns.show(id);
    if (!this.#seesCampaign(campaign)) {
      throw new AirlockError('ERR_NOT_FOUND', `campaign ${id} hidden from ${this.#actor.subject}`, {
        userMessage: `there is no campaign ${id}`,
      });
    }
    return campaign;
  }

  async decideItem(id: number, decision: ItemDecision): Promise<CampaignItemView> {
    refuseDelegated(this.#actor, 'reviews');
    return this.#service.campaigns.decide(id, this.#actor, decision);
  }

  async campaignReport(id: number): Promise<CampaignReport> {
    await this.showCampaign(id);
    return this.#service.campaigns.report(id);
  }

  async restoreAccess(connection: string, subject: string, reason: string): Promise<{ lifted: number }> {
    refuseDelegated(this.#actor, 'reviews');
    requireRole(this.#roles(this.#actor), ['admin'], 'restoring access');
    this.#service.connection(connection);
    if (!reason.trim()) {
      throw new AirlockError('ERR_BAD_REQUEST', 'restore without reason', {
        userMessage: 'restoring access needs a reason (--reason)',
      });
    }
    return { lifted: await this.#service.suspensions.lift(connection, subject, this.#actor, reason) };
  }

  async listSuspensions(connection?: string): Promise<SuspensionView[]> {
    refuseDelegated(this.#actor, 'reviews');
    requireRole(this.#roles(this.#actor), ['admin', 'auditor'], 'listing suspensions');
    return this.#service.suspensions.list(connection);
  }
}

/** Through the REST API, as the identity of `token`. */
export class HttpReviewAdmin implements ReviewAdmin {
  readonly #base: string;
  readonly #token: string;

  constructor(server: string, token: string) {
    this.#base = server.replace(/\/+$/, '');
    this.#token = token;
  }

  #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return callApi<T>(this.#base, this.#token, method, path, body);
  }

  createGrant(input: CreateGrantRequest): Promise<GrantView> {
    return this.#call('POST', '/api/v1/grants', input);
  }

  listGrants(filter: { connection?: string; all?: boolean }): Promise<GrantView[]> {
    const q = new URLSearchParams();
    if (filter.connection) q.set('connection', filter.connection);
    if (filter.all) q.set('all', 'true');
    const text = q.toString();
    return this.#call('GET', `/api/v1/grants${text ? `?${text}` : ''}`);
  }

  revokeGrant(id: string): Promise<GrantView> {
    return this.#call('POST', `/api/v1/grants/${encodeURIComponent(id)}/revoke`);
  }

  requestAccess(input: AccessRequest): Promise<ApprovalRequestView> {
    return this.#call('POST', '/api/v1/approvals', input);
  }

  listApprovals(status?: RequestStatus): Promise<ApprovalRequestView[]> {
    return this.#call('GET', `/api/v1/approvals${status ? `?status=${status}` : ''}`);
  }

  showApproval(id: number): Promise<ApprovalRequestView> {
    return this.#call('GET', `/api/v1/approvals/${id}`);
  }

  decide(
    id: number,
    decision: 'approve' | 'deny',
    reason?: string,
    windowMs?: number,
  ): Promise<ApprovalRequestView> {
    return this.#call('POST', `/api/v1/approvals/${id}/${decision}`, {
      ...(reason ? { reason } : {}),
      ...(windowMs !== undefined ? { windowMs } : {}),
    });
  }

  waitApproval(id: number, timeoutMs: number): Promise<ApprovalRequestView> {
    return this.#call('GET', `/api/v1/approvals/${id}/wait?timeoutMs=${timeoutMs}`);
  }

  breakGlass(input: BreakGlassRequest): Promise<BreakGlassView> {
    return this.#call('POST', '/api/v1/approvals/break-glass', input);
  }

  createCampaign(input: CampaignRequest): Promise<CampaignView> {
    return this.#call('POST', '/api/v1/reviews/campaigns', input);
  }

  listCampaigns(): Promise<CampaignView[]> {
    return this.#call('GET', '/api/v1/reviews/campaigns');
  }

  showCampaign(id: number): Promise<CampaignView> {
    return this.#call('GET', `/api/v1/reviews/campaigns/${id}`);
  }

  decideItem(id: number, decision: ItemDecision): Promise<CampaignItemView> {
    return this.#call('POST', `/api/v1/reviews/items/${id}/decide`, decision);
  }

  campaignReport(id: number): Promise<CampaignReport> {
    return this.#call('GET', `/api/v1/reviews/campaigns/${id}/report`);
  }

  restoreAccess(connection: string, subject: string, reason: string): Promise<{ lifted: number }> {
    return this.#call('POST', '/api/v1/reviews/suspensions/restore', { connection, subject, reason });
  }

  listSuspensions(connection?: string): Promise<SuspensionView[]> {
    const q = connection ? `?connection=${encodeURIComponent(connection)}` : '';
    return this.#call('GET', `/api/v1/reviews/suspensions${q}`);
  }
}
