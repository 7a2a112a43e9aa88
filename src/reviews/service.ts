/**
 * @module The review gate: what the Gate asks at session open (`admit`: grant or access entry,
 * scope, review freshness) and when it must hold (`reviewSession` for a stale review,
 * `approveCommand` for a guardrail `review:` verdict), plus the operations behind the CLI and API
 * (grants, JIT requests, decisions, waiting). Held clients wait on one shared `ApprovalWaiter`.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import { redactSecrets } from '../audit/redact.js';
import { type ApprovalChannelMessage, approvalChannel } from '../core/channels.js';
import type { Clock } from '../core/clock.js';
import type { Command } from '../core/command.js';
import type { Connection, ConnectionReviews, ScopeName } from '../core/connection.js';
import type { Hold } from '../core/decision.js';
import { AirlockError } from '../core/errors.js';
import type { AccessReviews, ApprovalOutcome, ConnectionCatalog } from '../core/gate.js';
import { type Identity, matchesPrincipal, type PrincipalRef, toIdentityRef } from '../core/identity.js';
import type { Session, SessionAccess } from '../core/session.js';
import { chainActions } from '../identity/delegation.js';
import type { Database } from '../store/schema.js';
import { ApprovalStore, grantPrincipal, rootSubject } from './approvals.js';
import { AutoApprover } from './auto-approve.js';
import { type BreakGlassView, openBreakGlass, revokeBreakGlassOf } from './break-glass.js';
import { CampaignService } from './campaigns.js';
import { gatherEvidence } from './evidence.js';
import { AccessUsage, SuspensionStore, type SuspensionView, suspensionCovers } from './expiry.js';
import { CertificationStore } from './freshness.js';
import { GrantStore } from './grants.js';
import { type ApprovalNotifier, SILENT_NOTIFIER } from './notifier.js';
import { type ApprovalSettings, approversAt } from './rules.js';
import { isReadOnly, parseScope, type ResolvedScope, scopeActions, scopeRank } from './scopes.js';
import type { ApprovalRequestView, GrantView, RequestStatus } from './types.js';
import { ApprovalWaiter, type WaitEnd } from './waiter.js';

/** What the review service needs. */
export interface ReviewServiceDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly connections: () => ConnectionCatalog;
  /** Approvers of JIT requests on connections without `reviews:` (the config's admins). */
  readonly admins: () => readonly PrincipalRef[];
  readonly notifier?: ApprovalNotifier;
  /** Told about `autoApprove` files that cannot be read or parsed (they approve nothing then). */
  readonly warn?: (message: string) => void;
}

/** What a held statement's metrics are labelled with (`airlock.approval`, src/core/channels.ts). */
interface HoldLabels {
  readonly protocol: Connection['type'];
  readonly connection: string;
  readonly rule: string;
}

/** A held session's row is tagged with its reviewers once it exists: 20 tries, 250 ms apart. */
const SESSION_TAG_ATTEMPTS = 20;
const SESSION_TAG_RETRY_MS = 250;

/** Requests on connections without `reviews:` (JIT access) wait this long by default. */
const DEFAULT_WAIT_MS = 3600_000;

/** SHA-256 of a statement's text and parameters: what a command approval is bound to. */
export function statementHash(text: string, parameters: readonly (string | null)[] | undefined): string {
  return createHash('sha256')
    .update(text)
    .update('\0')
    .update(JSON.stringify(parameters ?? []))
    .digest('hex');
}

function heldError(request: ApprovalRequestView, end: WaitEnd<ApprovalRequestView>): AirlockError {
  const detail = `request: ${request.id}`;
  if (end.kind === 'decided' && end.request.status === 'denied') {
    const reason = end.request.approvals.find((a) => a.decision === 'deny')?.reason;
    const userMessage = `request ${request.id} was denied${reason ? `: ${reason}` : ''}`;
    return new AirlockError('ERR_APPROVAL_DENIED', userMessage, { userMessage, detail });
  }
  if (end.kind === 'aborted') {
    // The detail lets a caller that aborted on purpose (a CancelRequest, hold.ts) name the request.
    return new AirlockError('ERR_SESSION_TERMINATED', `held session for request ${request.id} ended`, {
      detail,
    });
  }
  const userMessage = `no approver decided request ${request.id} in time (wait: airlock approvals wait ${request.id}, then retry)`;
  return new AirlockError('ERR_APPROVAL_TIMEOUT', userMessage, { userMessage, detail });
}

/** The review gate over the store. One per process (server, or CLI with --config). */
/** The widest route that admits an identity: its scope, where it comes from, the grant if any. */
interface Admission {
  readonly scope: ResolvedScope;
  readonly source: string;
  readonly grant?: GrantView;
}

export class ReviewService implements AccessReviews {
  readonly grants: GrantStore;
  readonly approvals: ApprovalStore;
  readonly certifications: CertificationStore;
  /** Who used which grant or `access:` entry (expiry, campaigns). */
  readonly usage: AccessUsage;
  /** Standing access suspended without editing the config (expiry, campaigns). */
  readonly suspensions: SuspensionStore;
  /** Recertification campaigns. */
  readonly campaigns: CampaignService;
  readonly waiter: ApprovalWaiter<ApprovalRequestView>;
  readonly #deps: ReviewServiceDeps;
  readonly #notifier: ApprovalNotifier;
  readonly #autoApprover: AutoApprover;
  /** Find-or-create in flight per key: clients held at once for the same thing share one request. */
  readonly #creating = new Map<string, Promise<ApprovalRequestView>>();

  constructor(deps: ReviewServiceDeps) {
    this.#deps = deps;
    this.#notifier = deps.notifier ?? SILENT_NOTIFIER;
    this.#autoApprover = new AutoApprover(deps.warn ? { warn: deps.warn } : {});
    const shared = { db: deps.db, clock: deps.clock, audit: deps.audit };
    this.grants = new GrantStore(shared);
    this.certifications = new CertificationStore(shared);
    this.usage = new AccessUsage(shared);
    this.suspensions = new SuspensionStore(shared);
    this.campaigns = new CampaignService({ ...shared, reviews: this });
    this.approvals = new ApprovalStore({ ...shared, settings: (name) => this.settings(name) });
    this.waiter = new ApprovalWaiter((id) => this.approvals.get(id), {
      decided: (ids) => this.approvals.decidedAmong(ids),
    });
  }

  /** The connection (ERR_CONNECTION_UNKNOWN when there is none). */
  connection(name: string): Connection {
    const found = this.#deps.connections().get(name);
    if (!found) {
      throw new AirlockError('ERR_CONNECTION_UNKNOWN', `unknown connection ${name}`, {
        userMessage: `there is no connection named "${name}"`,
      });
    }
    return found;
  }

  /** Approval rules for a connection: its `reviews:` block, else the admins with defaults. */
  settings(name: string): ApprovalSettings {
    const reviews = this.#deps.connections().get(name)?.reviews;
    if (reviews) return reviews;
    return { approvers: this.#deps.admins(), minApprovals: 1, fallback: [], waitMs: DEFAULT_WAIT_MS };
  }

  // ---- the gate's questions ------------------------------------------------------------------

  async admit(identity: Identity, connection: Connection): Promise<SessionAccess | undefined> {
    let best: Admission | undefined;
    const consider = (scope: ResolvedScope, source: string, grant?: GrantView) => {
      if (!best || scopeRank(scope) > scopeRank(best.scope))
        best = { scope, source, ...(grant ? { grant } : {}) };
    };
    const suspended = await this.suspensions.active(connection.name, identity.subject);
    for (const ref of connection.access) {
      if (!matchesPrincipal(identity, [ref])) continue;
      if (suspended.some((s) => suspensionCovers(s, `access:${ref}`))) continue;
      const name: ScopeName = connection.accessScopes?.[ref] ?? 'admin';
      consider({ scope: name, actions: scopeActions(name) }, `access:${ref}`);
    }
    const allSuspended = suspended.some((s) => s.entry === '*');
    for (const grant of allSuspended ? [] : await this.grants.activeFor(identity, connection.name)) {
      if (suspended.some((s) => suspensionCovers(s, `grant:${grant.id}`))) continue;
      consider({ scope: grant.scope, actions: grant.actions }, `grant:${grant.id}`, grant);
    }
    if (!best) {
      if (suspended.length > 0) throw suspendedError(suspended[0] as SuspensionView);
      return undefined;
    }
    const chosen: Admission = best;
    if (chosen.grant) await this.grants.touch(chosen.grant.id);
    await this.usage.record(connection.name, chosen.source, identity.subject);
    const base = {
      scope: chosen.scope.scope,
      ...(chosen.scope.actions.length > 0 ? { actions: new Set(chosen.scope.actions) } : {}),
      readOnly: isReadOnly(chosen.scope),
      source: chosen.source,
      ...(chosen.grant ? { grantId: chosen.grant.id } : {}),
      ...(chosen.grant?.expiresAt ? { expiresAt: new Date(chosen.grant.expiresAt) } : {}),
    };
    const reviews = connection.reviews;
    if (!reviews) return { ...base, freshness: 'unreviewed' };
    const root = rootSubject(toIdentityRef(identity));
    const freshness = await this.certifications.freshness(root, connection.name, reviews);
    if (freshness.state === 'fresh') return { ...base, freshness: 'fresh' };
    if (freshness.state === 'grace') {
      this.#notifier.graceWarning(root, connection.name, freshness.staleSince);
      return {
        ...base,
        freshness: 'grace',
        warning: `access review of "${root}" on "${connection.name}" expired at ${freshness.staleSince}; allowed within the grace period, ask an approver to certify it`,
      };
    }
    if (reviews.onStale === 'deny') {
      const request = await this.#reviewRequest(
        identity,
        connection,
        chosen.scope.scope,
        undefined,
        undefined,
      );
      const userMessage = `access review required: "${root}" has no recent review of "${connection.name}"; request ${request.id} is waiting for ${request.waitingFor.join(', ')}`;
      throw new AirlockError('ERR_REVIEW_STALE', userMessage, {
        userMessage,
        detail: `request: ${request.id}`,
      });
    }
    return { ...base, freshness: 'stale' };
  }

  async reviewSession(
    session: Session,
    notice: (text: string) => void,
    signal: AbortSignal,
  ): Promise<ApprovalOutcome> {
    const { connection, identity } = session;
    const reviews = connection.reviews;
    if (!reviews) return { request: 0, reviewers: [] };
    const root = rootSubject(toIdentityRef(identity));
    // Approved since the session opened (or while it waited last time): nothing to hold.
    const now = await this.certifications.freshness(root, connection.name, reviews);
    let outcome: ApprovalOutcome;
    if (now.state === 'fresh') outcome = { request: now.request ?? 0, reviewers: now.reviewers };
    else {
      const request = await this.#reviewRequest(
        identity,
        connection,
        session.access?.scope ?? 'admin',
        session.reason,
        session.id,
      );
      // Approved by an autoApprove policy as it was created: nothing to wait for.
      if (request.status === 'approved') outcome = { request: request.id, reviewers: approversOf(request) };
      else {
        notice(
          `access review required: request ${request.id} is waiting for ${request.waitingFor.join(', ')} (approve: ${request.approveCommand})`,
        );
        outcome = await this.#hold(request, reviews.waitMs, signal, {
          protocol: connection.type,
          connection: connection.name,
          rule: 'review',
        });
      }
    }
    this.#tagSession(session.id, outcome.reviewers);
    return outcome;
  }

  /**
   * Writes who certified a held session onto its `sessions` row (`sessions list`). Here rather
   * than in the audit projection: one approval may release several held sessions (they share the
   * pending request), and the `certification.recorded` event names only the first. The row comes
   * from this node's drainer and may be a moment behind: tried again for a few seconds, off the
   * client's path; a failure only costs the column.
   */
  #tagSession(sessionId: string, reviewers: readonly string[]): void {
    if (reviewers.length === 0) return;
    const value = JSON.stringify(reviewers);
    const attempt = async (left: number): Promise<void> => {
      const result = await this.#deps.db
        .updateTable('sessions')
        .set({ reviewers: value })
        .where('id', '=', sessionId)
        .executeTakeFirst();
      if (result.numUpdatedRows > 0n || left === 0) return;
      await new Promise((resolve) => setTimeout(resolve, SESSION_TAG_RETRY_MS).unref());
      return attempt(left - 1);
    };
    void attempt(SESSION_TAG_ATTEMPTS).catch((err: unknown) =>
      this.#deps.warn?.(`could not record the reviewers of session ${sessionId}: ${String(err)}`),
    );
  }

  async approveCommand(
    session: Session,
    command: Command,
    hold: Hold,
    notice: (text: string) => void,
    signal: AbortSignal,
  ): Promise<ApprovalOutcome> {
    const { connection, identity } = session;
    const hash = statementHash(command.text, command.parameters);
    const earlier = await this.approvals.takeCommandApproval(
      identity.subject,
      connection.name,
      command.action,
      hash,
    );
    if (earlier) return { request: earlier.id, reviewers: approversOf(earlier) };
    const request = await this.#once(
      `command|${identity.subject}|${connection.name}|${hash}`,
      async () =>
        (await this.approvals.findPending({
          kind: 'command',
          connection: connection.name,
          requesterSubject: identity.subject,
          paramsHash: hash,
        })) ??
        this.#create({
          kind: 'command',
          requester: identity,
          connection: connection.name,
          scope: session.access?.scope ?? 'admin',
          action: command.action,
          statement: redactSecrets(command.text),
          paramsHash: hash,
          reason: session.reason ?? `${hold.rule}: ${hold.reason}`,
          sessionId: session.id,
        }),
    );
    let outcome: ApprovalOutcome;
    if (request.status === 'approved') {
      // Approved by an autoApprove policy as it was created.
      outcome = { request: request.id, reviewers: approversOf(request) };
    } else {
      notice(
        `approval required (${hold.rule}): request ${request.id} is waiting for ${request.waitingFor.join(', ')} (approve: ${request.approveCommand})`,
      );
      outcome = await this.#hold(request, this.settings(connection.name).waitMs, signal, {
        protocol: connection.type,
        connection: connection.name,
        rule: hold.rule,
      });
    }
    const approved = await this.approvals.get(request.id);
    // Single use: this statement uses it (a window covers the action until it ends).
    if (approved && approved.windowUntil === null && !(await this.approvals.consume(request.id))) {
      const userMessage = `request ${request.id} was already used by another statement`;
      throw new AirlockError('ERR_APPROVAL_DENIED', userMessage, {
        userMessage,
        detail: `request: ${request.id}`,
      });
    }
    return outcome;
  }

  async #reviewRequest(
    identity: Identity,
    connection: Connection,
    scope: string,
    reason: string | undefined,
    sessionId: string | undefined,
  ): Promise<ApprovalRequestView> {
    const root = rootSubject(toIdentityRef(identity));
    return this.#once(`review|${root}|${connection.name}`, async () => {
      const pending = await this.approvals.findPending({
        kind: 'review',
        connection: connection.name,
        rootSubject: root,
      });
      if (pending) return pending;
      const evidence = await gatherEvidence(
        this.#deps.db,
        this.#deps.clock,
        identity.subject,
        connection.name,
      );
      return this.#create({
        kind: 'review',
        requester: identity,
        connection: connection.name,
        scope,
        evidence,
        ...(reason ? { reason } : {}),
        ...(sessionId ? { sessionId } : {}),
      });
    });
  }

  /** Runs `work` once per `key` at a time; concurrent callers share its answer. */
  #once(key: string, work: () => Promise<ApprovalRequestView>): Promise<ApprovalRequestView> {
    const running = this.#creating.get(key);
    if (running) return running;
    const started = work().finally(() => this.#creating.delete(key));
    this.#creating.set(key, started);
    return started;
  }

  async #create(input: Parameters<ApprovalStore['create']>[0]): Promise<ApprovalRequestView> {
    const { request, created } = await this.approvals.createUnlessPending(input);
    // Another replica created this review request at the same moment: it notifies and escalates.
    if (!created) return request;
    const approved = await this.#autoApprove(request, input);
    if (approved) return approved;
    this.#notifier.requested(request);
    const settings = this.settings(request.connection);
    settings.fallback.forEach((step, index) => {
      // Escalation notices only; who may approve is computed from the clock on every decision.
      const added = step.approvers.filter((a) => !approversAt(settings, index).includes(a));
      const timer = setTimeout(async () => {
        const current = await this.approvals.get(request.id).catch(() => undefined);
        if (current?.status === 'pending') this.#notifier.escalated(current, index + 1, added);
      }, step.afterMs);
      timer.unref();
    });
    return request;
  }

  /** Approves a new request its connection's `autoApprove` policies permit; undefined otherwise. */
  async #autoApprove(
    request: ApprovalRequestView,
    input: Parameters<ApprovalStore['create']>[0],
  ): Promise<ApprovalRequestView | undefined> {
    const connection = this.#deps.connections().get(request.connection);
    if (!connection?.reviews?.autoApprove) return undefined;
    const reviewer = this.#autoApprover.reviewer({
      kind: request.kind,
      requester: input.requester,
      connection,
      ...(request.scope ? { scope: request.scope } : {}),
      ...(request.action ? { action: request.action } : {}),
    });
    if (!reviewer) return undefined;
    const rule = policyActor(reviewer);
    if (!(await this.approvals.approveByRule(request.id, toIdentityRef(rule), `permitted by ${reviewer}`)))
      return undefined;
    const approved = await this.approvals.require(request.id);
    await this.#applyApproval(approved, rule);
    await this.waiter.wake(request.id);
    return approved;
  }

  /**
   * Waits for `request` up to `waitMs` (never past its last step); throws the client's error.
   * Publishes `held`, then exactly one `released`, on `airlock.approval` (the held-requests gauge
   * and the approval latency histogram).
   */
  async #hold(
    request: ApprovalRequestView,
    waitMs: number,
    signal: AbortSignal,
    labels: HoldLabels,
  ): Promise<ApprovalOutcome> {
    const observed = approvalChannel.hasSubscribers;
    const heldAt = performance.now();
    if (observed) approvalChannel.publish({ phase: 'held', ...labels } satisfies ApprovalChannelMessage);
    let outcome: 'approved' | 'denied' | 'expired' | 'cancelled' = 'cancelled';
    try {
      const untilExpiry = Date.parse(request.expiresAt) - this.#deps.clock.nowMs();
      const end = await this.waiter.wait(request.id, Math.min(waitMs, untilExpiry), signal);
      if (end.kind === 'decided') {
        outcome =
          end.request.status === 'approved'
            ? 'approved'
            : end.request.status === 'denied'
              ? 'denied'
              : 'expired';
      }
      if (end.kind === 'decided' && end.request.status === 'approved') {
        return { request: request.id, reviewers: approversOf(end.request) };
      }
      if (end.kind === 'timeout') {
        outcome = 'expired';
        // Expires it when its last step is over (then: deny); a later read would do the same.
        const current = await this.approvals.get(request.id);
        if (current?.status === 'approved') {
          outcome = 'approved';
          return { request: request.id, reviewers: approversOf(current) };
        }
      }
      throw heldError(request, end);
    } finally {
      if (observed) {
        approvalChannel.publish({
          phase: 'released',
          ...labels,
          outcome,
          waitedMs: performance.now() - heldAt,
        } satisfies ApprovalChannelMessage);
      }
    }
  }

  // ---- the operations behind the CLI and API --------------------------------------------------

  /**
   * A JIT request for `scope` on `connection` by `identity`. A delegate's request is recorded with
   * its whole chain and, once approved, granted to the chain's root: delegates use their root's
   * grants, narrowed by their own scope, so that is the only grant they can use. Hence it may ask
   * only for what its own scope allows there, and nobody in the chain can approve it (rules.ts).
   */
  async requestAccess(
    identity: Identity,
    connectionName: string,
    scope: ResolvedScope,
    reason: string,
    ttlMs: number,
  ): Promise<ApprovalRequestView> {
    this.connection(connectionName);
    if (reason.trim() === '') {
      throw new AirlockError('ERR_BAD_REQUEST', 'request without reason', {
        userMessage: 'an access request needs a reason (--reason)',
      });
    }
    checkWithinDelegation(identity, connectionName, scope);
    // Custom scopes are stored as their action list, so the grant gets exactly those actions.
    const stored = scope.scope === 'custom' ? scope.actions.join(',') : scope.scope;
    const pending = await this.approvals.findPending({
      kind: 'access',
      connection: connectionName,
      requesterSubject: identity.subject,
    });
    if (pending && pending.scope === stored) return pending;
    return this.#create({
      kind: 'access',
      requester: identity,
      connection: connectionName,
      scope: stored,
      reason,
      ttlMs,
      evidence: await gatherEvidence(this.#deps.db, this.#deps.clock, identity.subject, connectionName),
    });
  }

  /**
   * `approver` approves or denies request `id`. On the approval that completes it: a review
   * request records a certification, an access request creates its time-boxed grant (and a
   * certification). Held clients in this process wake at once; others through the change feed.
   */
  async decide(
    id: number,
    approver: Identity,
    decision: 'approve' | 'deny',
    reason: string | undefined,
    windowMs: number | undefined,
  ): Promise<ApprovalRequestView> {
    if (decision === 'deny' && !reason?.trim()) {
      throw new AirlockError('ERR_BAD_REQUEST', 'deny without reason', {
        userMessage: 'denying needs a reason (--reason)',
      });
    }
    const request = await this.approvals.decide(id, approver, decision, reason, windowMs);
    if (request.status === 'approved') await this.#applyApproval(request, approver);
    if (request.status === 'denied' && request.kind === 'review')
      await revokeBreakGlassOf(this.#breakGlassDeps(), request, approver);
    await this.waiter.wake(id);
    return (await this.approvals.get(id)) ?? request;
  }

  async #applyApproval(request: ApprovalRequestView, approver: Identity): Promise<void> {
    if (request.kind === 'command') return;
    const connection = this.#deps.connections().get(request.connection);
    const reviewers = approversOf(request);
    const reason =
      request.approvals
        .map((a) => a.reason)
        .filter(Boolean)
        .join('; ') || null;
    if (request.kind === 'access') {
      await this.grants.create(
        {
          connection: request.connection,
          // The root of the chain: a delegate's own subject holds no grants it could use.
          principal: grantPrincipal(request),
          scope: parseScope(request.scope ?? 'read'),
          reason: request.reason ?? 'just-in-time access',
          ...(request.ttlMs !== null ? { ttlMs: request.ttlMs } : {}),
          source: 'jit',
          request: request.id,
        },
        approver,
      );
    }
    if (!connection?.reviews) return;
    await this.certifications.record({
      actor: toIdentityRef(approver),
      rootSubject: request.rootSubject,
      connection: request.connection,
      scope: request.scope ?? 'admin',
      reviewers,
      reason,
      evidence: request.evidence,
      request: request.id,
      sessionId: request.sessionId,
      maxAgeMs: connection.reviews.maxAgeMs,
    });
  }

  /** Waits until request `id` is decided or `timeoutMs` passes; returns it as it is then. */
  async wait(id: number, timeoutMs: number, signal: AbortSignal): Promise<ApprovalRequestView> {
    const request = await this.approvals.require(id);
    if (request.status !== 'pending') return request;
    const end = await this.waiter.wait(
      id,
      Math.min(timeoutMs, Date.parse(request.expiresAt) - this.#deps.clock.nowMs()),
      signal,
    );
    if (end.kind === 'decided') return end.request;
    return this.approvals.require(id);
  }

  /** The change feed saw `kind`/`ref` from another process. */
  onChange(change: { kind: string; ref: string }): void {
    if (change.kind === 'approval.decided') void this.waiter.wake(Number(change.ref)).catch(() => {});
  }

  /** Requests by status. */
  list(status?: RequestStatus): Promise<ApprovalRequestView[]> {
    return this.approvals.list(status ? { status } : {});
  }

  /** Break-glass: emergency access for `identity` itself (src/reviews/break-glass.ts). */
  breakGlass(
    identity: Identity,
    connectionName: string,
    reason: string,
    ttlMs?: number,
  ): Promise<BreakGlassView> {
    return openBreakGlass(this.#breakGlassDeps(), identity, this.connection(connectionName), reason, ttlMs);
  }

  #breakGlassDeps() {
    return {
      db: this.#deps.db,
      clock: this.#deps.clock,
      audit: this.#deps.audit,
      grants: this.grants,
      approvals: this.approvals,
      certifications: this.certifications,
      notifier: this.#notifier,
    };
  }

  /** Narrows `ConnectionReviews` for callers that print it. */
  reviewsOf(name: string): ConnectionReviews | undefined {
    return this.#deps.connections().get(name)?.reviews;
  }
}

/** ERR_ACCESS_DENIED naming the suspension and how an admin lifts it. */
function suspendedError(s: SuspensionView): AirlockError {
  const userMessage = `access of "${s.subject}" to "${s.connection}" is suspended (${s.reason}, since ${s.createdAt}); an admin can lift it: airlock reviews restore --connection ${s.connection} --identity ${s.subject} --reason TEXT`;
  return new AirlockError('ERR_ACCESS_DENIED', userMessage, { userMessage, detail: `suspension: ${s.id}` });
}

/** The approver recorded for an `autoApprove` policy (`policy:<file>`): not a person. */
function policyActor(reviewer: string): Identity {
  return {
    subject: reviewer,
    displayName: reviewer,
    kind: 'service',
    groups: [],
    issuer: 'local',
    tokenId: undefined,
    expiresAt: undefined,
    chain: [],
  };
}

/**
 * Throws ERR_SCOPE_DENIED when a delegate asks for more than its chain's scopes allow on
 * `connection`: the grant would go to its root and widen the root's access for nothing it can use.
 */
function checkWithinDelegation(identity: Identity, connection: string, scope: ResolvedScope): void {
  const delegation = identity.delegation;
  if (!delegation || delegation.scopes.length === 0) return;
  const allowed = chainActions(delegation.scopes, connection);
  if (allowed === undefined) return;
  const wider =
    allowed === null || scope.actions.length === 0 || scope.actions.some((action) => !allowed.has(action));
  if (!wider) return;
  const root = delegation.root.subject;
  const userMessage =
    allowed === null
      ? `"${identity.subject}" has no delegated scope on "${connection}": a grant to ${root} could not serve it; ask whoever delegated to you for a scope there`
      : `scope "${scope.scope === 'custom' ? scope.actions.join(',') : scope.scope}" on "${connection}" is wider than the delegated scope of "${identity.subject}" (${[...allowed].join(', ')}); the grant would go to ${root} and you could not use the rest`;
  throw new AirlockError('ERR_SCOPE_DENIED', `${identity.subject}: request wider than delegation`, {
    userMessage,
  });
}

/** The subjects who approved a request. */
function approversOf(request: ApprovalRequestView): string[] {
  return request.approvals.filter((a) => a.decision === 'approve').map((a) => a.approver);
}
