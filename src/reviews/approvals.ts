/**
 * @module Approval requests and decisions in the store. Ids are small integers people can type
 * (`airlock approvals approve 42`). A decision is one row in `approvals` plus the request's new
 * status, written with a change-feed row (`approval.decided`) in one transaction, so a server
 * holding the client in another process wakes within a second.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import { AirlockError } from '../core/errors.js';
import { type Identity, type IdentityRef, toIdentityRef } from '../core/identity.js';
import { recordChange } from '../store/changes.js';
import type { ApprovalRequestsTable, ApprovalsTable, Database } from '../store/schema.js';
import { type ApprovalSettings, approversAt, checkApprover, lifetimeMs, stepAt, tally } from './rules.js';
import type { ApprovalRequestView, ApprovalView, Evidence, RequestKind, RequestStatus } from './types.js';

type RequestRow = Selectable<ApprovalRequestsTable>;
type ApprovalRow = Selectable<ApprovalsTable>;

/** The identity decisions are recorded as when the last step times out. */
export const AIRLOCK_ACTOR: IdentityRef = Object.freeze({
  subject: 'airlock',
  kind: 'service',
  groups: [],
  issuer: 'local',
  chain: [],
});

/** What a new request carries. */
export interface NewRequest {
  readonly kind: RequestKind;
  readonly requester: Identity;
  readonly connection: string;
  readonly scope?: string;
  readonly action?: string;
  readonly statement?: string;
  readonly paramsHash?: string;
  readonly reason?: string;
  readonly evidence?: Evidence;
  readonly sessionId?: string;
  readonly ttlMs?: number;
  /** Decide within this long instead of the connection's steps and wait (break-glass follow-ups: 24 h). */
  readonly dueMs?: number;
}

/** Root of an identity's chain: freshness and self-approval checks are about it. */
export function rootSubject(identity: IdentityRef): string {
  return identity.chain[0]?.subject ?? identity.subject;
}

/**
 * Who an approved access request is granted to: the root of the requester's chain, since a
 * delegate uses its root's grants (narrowed by its own scope) and holds none of its own.
 */
export function grantPrincipal(request: { readonly rootSubject: string }): `user:${string}` {
  return `user:${request.rootSubject}`;
}

/** Approval requests in the store. */
export class ApprovalStore {
  readonly #db: Kysely<Database>;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #settings: (connection: string) => ApprovalSettings;

  constructor(deps: {
    db: Kysely<Database>;
    clock: Clock;
    audit: AuditLog;
    settings: (connection: string) => ApprovalSettings;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#settings = deps.settings;
  }

  #view(row: RequestRow, approvals: readonly ApprovalRow[]): ApprovalRequestView {
    const settings = this.#settings(row.connection);
    const id = Number(row.id);
    const step =
      row.status === 'pending'
        ? stepAt(settings, this.#clock.nowMs() - Date.parse(row.created_at))
        : Number(row.step);
    return {
      id,
      kind: row.kind as RequestKind,
      requester: JSON.parse(row.requester) as IdentityRef,
      rootSubject: row.root_subject,
      connection: row.connection,
      scope: row.scope,
      action: row.action,
      statement: row.statement,
      paramsHash: row.params_hash,
      reason: row.reason,
      evidence: row.evidence ? (JSON.parse(row.evidence) as Evidence) : null,
      sessionId: row.session_id,
      ttlMs: row.ttl_ms === null ? null : Number(row.ttl_ms),
      status: row.status as RequestStatus,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      decidedAt: row.decided_at,
      step,
      waitingFor: approversAt(settings, step),
      approvals: approvals.map(
        (a): ApprovalView => ({
          approver: a.approver,
          decision: a.decision as ApprovalView['decision'],
          reason: a.reason,
          windowMs: a.window_ms === null ? null : Number(a.window_ms),
          at: a.at,
        }),
      ),
      windowUntil: row.window_until,
      consumedAt: row.consumed_at,
      approveCommand: `airlock approvals approve ${id}`,
      ...(row.kind === 'access' ? { grantTo: grantPrincipal({ rootSubject: row.root_subject }) } : {}),
    };
  }

  /** Creates a pending request (or reuses the pending review, see `createUnlessPending`). */
  async create(input: NewRequest): Promise<ApprovalRequestView> {
    return (await this.createUnlessPending(input)).request;
  }

  /**
   * Creates a pending request and journals `approval.requested`. A `review` request is unique
   * among pending ones per (root identity, connection), enforced by the store (a partial unique
   * index, migration 0006): when another process created it first, even at the same moment on
   * another replica, that request is returned with `created: false` and nothing is journaled.
   */
  async createUnlessPending(
    input: NewRequest,
  ): Promise<{ readonly request: ApprovalRequestView; readonly created: boolean }> {
    // A pending review past its last step is expired when read, which frees its slot: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const id = await this.#insert(input);
      if (id !== undefined) return { request: (await this.get(id))!, created: true };
      const pending = await this.findPending({
        kind: 'review',
        connection: input.connection,
        rootSubject: rootSubject(toIdentityRef(input.requester)),
      });
      if (pending) return { request: pending, created: false };
    }
    throw new AirlockError('ERR_INTERNAL', 'a pending review request kept appearing and expiring');
  }

  /** Inserts the request; undefined when a pending review for the same root and connection exists. */
  async #insert(input: NewRequest): Promise<number | undefined> {
    const settings = this.#settings(input.connection);
    const now = this.#clock.now();
    const requester = toIdentityRef(input.requester);
    const id = await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('approval_requests')
        .values({
          kind: input.kind,
          requester: JSON.stringify(requester),
          requester_subject: requester.subject,
          root_subject: rootSubject(requester),
          connection: input.connection,
          scope: input.scope ?? null,
          action: input.action ?? null,
          statement: input.statement ?? null,
          params_hash: input.paramsHash ?? null,
          reason: input.reason ?? null,
          evidence: input.evidence ? JSON.stringify(input.evidence) : null,
          session_id: input.sessionId ?? null,
          ttl_ms: input.ttlMs ?? null,
          status: 'pending',
          created_at: now.toISOString(),
          expires_at: new Date(now.getTime() + (input.dueMs ?? lifetimeMs(settings))).toISOString(),
          decided_at: null,
          step: 0,
          window_until: null,
          consumed_at: null,
        })
        // The index's own predicate, as literals: PostgreSQL and SQLite infer the arbiter from it.
        .onConflict((oc) =>
          oc
            .columns(['root_subject', 'connection'])
            .where(sql<boolean>`kind = 'review' and status = 'pending'`)
            .doNothing(),
        )
        .returning('id')
        .executeTakeFirst();
      if (!row) return undefined;
      await recordChange(trx, 'approval.requested', String(row.id), this.#clock);
      return Number(row.id);
    });
    if (id === undefined) return undefined;
    this.#audit.append({
      type: 'approval.requested',
      request: id,
      kind: input.kind,
      actor: requester,
      connection: input.connection,
      ...(input.scope ? { scope: input.scope } : {}),
      ...(input.action ? { action: input.action } : {}),
      ...(input.paramsHash ? { paramsHash: input.paramsHash } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.sessionId ? { sessionId: input.sessionId } : {}),
      approvers: approversAt(settings, 0),
    });
    return id;
  }

  /** The request, or undefined. A pending request past its last step is expired on read. */
  async get(id: number): Promise<ApprovalRequestView | undefined> {
    const row = await this.#db
      .selectFrom('approval_requests')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.status === 'pending' && Date.parse(row.expires_at) <= this.#clock.nowMs()) {
      await this.expire(id);
      return this.get(id);
    }
    const approvals = await this.#db
      .selectFrom('approvals')
      .selectAll()
      .where('request_id', '=', id)
      .orderBy('id')
      .execute();
    return this.#view(row, approvals);
  }

  /** Like `get`, but ERR_NOT_FOUND when missing. */
  async require(id: number): Promise<ApprovalRequestView> {
    const found = await this.get(id);
    if (!found) {
      throw new AirlockError('ERR_NOT_FOUND', `approval request ${id}`, {
        userMessage: `there is no approval request ${id}`,
      });
    }
    return found;
  }

  /** Requests, newest first (at most 200). */
  async list(filter: { status?: RequestStatus } = {}): Promise<ApprovalRequestView[]> {
    let query = this.#db.selectFrom('approval_requests').select('id').orderBy('id', 'desc').limit(200);
    if (filter.status) query = query.where('status', '=', filter.status);
    const ids = await query.execute();
    const views: ApprovalRequestView[] = [];
    for (const { id } of ids) {
      const view = await this.get(Number(id));
      // Expiry on read can move a request out of the filter.
      if (view && (!filter.status || view.status === filter.status)) views.push(view);
    }
    return views;
  }

  /** A pending request matching `where` (dedupe: one review per identity and connection). */
  async findPending(where: {
    kind: RequestKind;
    connection: string;
    rootSubject?: string;
    requesterSubject?: string;
    paramsHash?: string;
  }): Promise<ApprovalRequestView | undefined> {
    let query = this.#db
      .selectFrom('approval_requests')
      .select('id')
      .where('kind', '=', where.kind)
      .where('connection', '=', where.connection)
      .where('status', '=', 'pending');
    if (where.rootSubject) query = query.where('root_subject', '=', where.rootSubject);
    if (where.requesterSubject) query = query.where('requester_subject', '=', where.requesterSubject);
    if (where.paramsHash) query = query.where('params_hash', '=', where.paramsHash);
    for (const { id } of await query.orderBy('id', 'desc').execute()) {
      const view = await this.get(Number(id));
      if (view?.status === 'pending') return view;
    }
    return undefined;
  }

  /**
   * An approved command request covering this statement: one whose window covers the action, or a
   * single-use one bound to this exact text and parameters, which is consumed now.
   */
  async takeCommandApproval(
    requesterSubject: string,
    connection: string,
    action: string,
    paramsHash: string,
  ): Promise<ApprovalRequestView | undefined> {
    const now = this.#clock.now().toISOString();
    const windowed = await this.#db
      .selectFrom('approval_requests')
      .select('id')
      .where('kind', '=', 'command')
      .where('status', '=', 'approved')
      .where('requester_subject', '=', requesterSubject)
      .where('connection', '=', connection)
      .where('action', '=', action)
      .where('window_until', '>', now)
      .executeTakeFirst();
    if (windowed) return this.get(Number(windowed.id));
    const single = await this.#db
      .selectFrom('approval_requests')
      .select('id')
      .where('kind', '=', 'command')
      .where('status', '=', 'approved')
      .where('requester_subject', '=', requesterSubject)
      .where('connection', '=', connection)
      .where('params_hash', '=', paramsHash)
      .where('window_until', 'is', null)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    if (!single) return undefined;
    return (await this.consume(Number(single.id))) ? this.get(Number(single.id)) : undefined;
  }

  /** Of `ids`, those decided or closed in the store (one indexed query, for the waiter's re-check). */
  async decidedAmong(ids: readonly number[]): Promise<number[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db
      .selectFrom('approval_requests')
      .select('id')
      .where('id', 'in', [...ids])
      .where('status', '<>', 'pending')
      .execute();
    return rows.map((r) => Number(r.id));
  }

  /** Marks a single-use approval used; false when someone else used it first. */
  async consume(id: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('approval_requests')
      .set({ consumed_at: this.#clock.now().toISOString() })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Records `approver`'s decision. Checks the rules (not a party, human, an approver of the active
   * step, once each); returns the request after it. `windowMs` widens a command approval.
   */
  async decide(
    id: number,
    approver: Identity,
    decision: 'approve' | 'deny',
    reason: string | undefined,
    windowMs: number | undefined,
  ): Promise<ApprovalRequestView> {
    const request = await this.require(id);
    if (request.status !== 'pending') {
      throw new AirlockError('ERR_APPROVAL_CLOSED', `request ${id} is ${request.status}`, {
        userMessage: `request ${id} is already ${request.status}`,
      });
    }
    const settings = this.#settings(request.connection);
    checkApprover(settings, request, request.step, approver);
    if (request.approvals.some((a) => a.approver === approver.subject)) {
      throw new AirlockError('ERR_CONFLICT', `${approver.subject} already decided ${id}`, {
        userMessage: `"${approver.subject}" already decided request ${id}; another approver is needed`,
      });
    }
    const now = this.#clock.now();
    const status = tally(settings, [...request.approvals, { approver: approver.subject, decision }]);
    const written = await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('approvals')
        .values({
          request_id: id,
          approver: approver.subject,
          approver_identity: JSON.stringify(toIdentityRef(approver)),
          decision,
          reason: reason ?? null,
          window_ms: windowMs ?? null,
          at: now.toISOString(),
        })
        .execute();
      if (status !== 'pending') {
        const result = await trx
          .updateTable('approval_requests')
          .set({
            status,
            decided_at: now.toISOString(),
            step: request.step,
            window_until:
              status === 'approved' && windowMs !== undefined
                ? new Date(now.getTime() + windowMs).toISOString()
                : null,
          })
          .where('id', '=', id)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        // Someone decided it in between: roll the approval row back with the transaction.
        if (Number(result.numUpdatedRows) !== 1) {
          throw new AirlockError('ERR_APPROVAL_CLOSED', `request ${id} changed meanwhile`, {
            userMessage: `request ${id} was decided meanwhile`,
          });
        }
      }
      await recordChange(trx, 'approval.decided', String(id), this.#clock);
      return true;
    });
    void written;
    this.#audit.append({
      type: 'approval.decided',
      request: id,
      connection: request.connection,
      actor: toIdentityRef(approver),
      decision,
      status,
      ...(reason ? { reason } : {}),
      ...(windowMs !== undefined ? { windowMs } : {}),
    });
    return this.require(id);
  }

  /**
   * Approves pending request `id` on behalf of a rule, not a person (an `autoApprove` policy):
   * `actor.subject` (`policy:<file>`) is recorded as the approver, and the approval rules
   * (approver sets, N-of-M) do not apply. False when the request was no longer pending.
   */
  async approveByRule(id: number, actor: IdentityRef, reason: string): Promise<boolean> {
    const now = this.#clock.now().toISOString();
    const approved = await this.#db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('approval_requests')
        .set({ status: 'approved', decided_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      await trx
        .insertInto('approvals')
        .values({
          request_id: id,
          approver: actor.subject,
          approver_identity: JSON.stringify(actor),
          decision: 'approve',
          reason,
          window_ms: null,
          at: now,
        })
        .execute();
      await recordChange(trx, 'approval.decided', String(id), this.#clock);
      const row = await trx
        .selectFrom('approval_requests')
        .select('connection')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return row.connection;
    });
    if (approved === undefined) return false;
    this.#audit.append({
      type: 'approval.decided',
      request: id,
      connection: approved,
      actor,
      decision: 'approve',
      status: 'approved',
      reason,
    });
    return true;
  }

  /** Applies `then: deny` to a pending request whose last step timed out. */
  async expire(id: number): Promise<void> {
    const now = this.#clock.now().toISOString();
    const changed = await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('approval_requests')
        .select('connection')
        .where('id', '=', id)
        .executeTakeFirst();
      const result = await trx
        .updateTable('approval_requests')
        .set({ status: 'expired', decided_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1 || !row) return undefined;
      await recordChange(trx, 'approval.decided', String(id), this.#clock);
      return row.connection;
    });
    if (changed !== undefined) {
      this.#audit.append({
        type: 'approval.decided',
        request: id,
        connection: changed,
        actor: AIRLOCK_ACTOR,
        decision: 'expire',
        status: 'expired',
      });
    }
  }
}
