/**
 * @module Break-glass: emergency access a person opens for themselves, without an approver, on a
 * connection whose `breakGlass:` list names them. It opens at once (a grant with source
 * `break-glass` for the TTL, and a certification so a stale review does not hold), is audited
 * loudly (a `break-glass` event, a WARN log), tells every notification target, and creates a
 * follow-up `review` request approvers must decide within 24 h. Denying the follow-up revokes the
 * grant at once. Refusals are audited too.
 */
import type { Kysely } from 'kysely';
import type { AuditLog } from '../audit/events.js';
import type { Clock } from '../core/clock.js';
import type { Connection } from '../core/connection.js';
import { AirlockError, errorCatalog } from '../core/errors.js';
import { type Identity, matchesPrincipal, toIdentityRef } from '../core/identity.js';
import type { Database } from '../store/schema.js';
import { type ApprovalStore, rootSubject } from './approvals.js';
import { gatherEvidence } from './evidence.js';
import type { CertificationStore } from './freshness.js';
import type { GrantStore } from './grants.js';
import type { ApprovalNotifier } from './notifier.js';
import { scopeActions } from './scopes.js';
import type { ApprovalRequestView, GrantView } from './types.js';

/** Default and longest break-glass access. */
export const BREAK_GLASS_DEFAULT_TTL_MS = 3600_000;
export const BREAK_GLASS_MAX_TTL_MS = 24 * 3600_000;
/** The follow-up review must be decided within this long. */
export const FOLLOW_UP_DUE_MS = 24 * 3600_000;

/** What break-glass works with (the review service's parts). */
export interface BreakGlassDeps {
  readonly db: Kysely<Database>;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly grants: GrantStore;
  readonly approvals: ApprovalStore;
  readonly certifications: CertificationStore;
  readonly notifier: ApprovalNotifier;
}

/** What opening break-glass returns. */
export interface BreakGlassView {
  readonly grant: GrantView;
  /** The follow-up review request. */
  readonly request: ApprovalRequestView;
  readonly expiresAt: string;
}

/** Opens break-glass access on `connection` for `identity` (the caller) for `ttlMs`. */
export async function openBreakGlass(
  deps: BreakGlassDeps,
  identity: Identity,
  connection: Connection,
  reason: string,
  ttlMs: number = BREAK_GLASS_DEFAULT_TTL_MS,
): Promise<BreakGlassView> {
  const actor = toIdentityRef(identity);
  if (reason.trim() === '') {
    throw new AirlockError('ERR_BAD_REQUEST', 'break-glass without reason', {
      userMessage: 'break-glass needs a reason (--reason)',
    });
  }
  if (!Number.isInteger(ttlMs) || ttlMs < 60_000 || ttlMs > BREAK_GLASS_MAX_TTL_MS) {
    throw new AirlockError('ERR_BAD_REQUEST', `break-glass ttl ${ttlMs}`, {
      userMessage: '--ttl: break-glass lasts from 1m to 24h',
    });
  }
  const refusal = refusalOf(identity, connection);
  if (refusal) {
    deps.audit.append({
      type: 'break-glass',
      actor,
      connection: connection.name,
      reason,
      outcome: 'failure',
      error: { code: refusal.code, message: errorCatalog[refusal.code].message },
    });
    throw refusal;
  }
  const scope = 'admin' as const;
  const followUp = await deps.approvals.create({
    kind: 'review',
    requester: identity,
    connection: connection.name,
    scope,
    reason: `break-glass: ${reason}`,
    evidence: await gatherEvidence(deps.db, deps.clock, identity.subject, connection.name),
    dueMs: FOLLOW_UP_DUE_MS,
  });
  const grant = await deps.grants.create(
    {
      connection: connection.name,
      principal: `user:${identity.subject}`,
      scope: { scope, actions: scopeActions(scope) },
      reason: `break-glass: ${reason}`,
      ttlMs,
      source: 'break-glass',
      request: followUp.id,
    },
    identity,
  );
  if (connection.reviews) {
    // Valid for the break-glass only, so the review goes stale again when it ends.
    await deps.certifications.record({
      actor,
      rootSubject: rootSubject(actor),
      connection: connection.name,
      scope,
      reviewers: [`break-glass:${identity.subject}`],
      reason,
      evidence: null,
      request: followUp.id,
      sessionId: null,
      maxAgeMs: ttlMs,
    });
  }
  const expiresAt = grant.expiresAt ?? new Date(deps.clock.nowMs() + ttlMs).toISOString();
  deps.audit.append({
    type: 'break-glass',
    actor,
    connection: connection.name,
    reason,
    outcome: 'success',
    grantId: grant.id,
    scope,
    expiresAt,
    request: followUp.id,
  });
  deps.notifier.breakGlass({
    identity: actor,
    connection: connection.name,
    scope,
    reason,
    grantId: grant.id,
    expiresAt,
    followUp,
  });
  return { grant, request: followUp, expiresAt };
}

/** Why `identity` may not break glass on `connection`, or undefined when it may. */
function refusalOf(identity: Identity, connection: Connection): AirlockError | undefined {
  const list = connection.breakGlass ?? [];
  if (identity.chain.length > 0) {
    const userMessage = `break-glass opens access for the caller only; "${identity.subject}" acts for ${identity.chain.map((a) => a.subject).join(' → ')} (use your own token)`;
    return new AirlockError('ERR_BREAK_GLASS_NOT_ALLOWED', userMessage, { userMessage });
  }
  if (list.length === 0 || !matchesPrincipal(identity, list)) {
    const userMessage =
      list.length === 0
        ? `connection "${connection.name}" has no breakGlass list; nobody may break glass on it`
        : `"${identity.subject}" is not in the breakGlass list of "${connection.name}" (${list.join(', ')})`;
    return new AirlockError('ERR_BREAK_GLASS_NOT_ALLOWED', userMessage, { userMessage });
  }
  return undefined;
}

/** A denied follow-up review ends its break-glass access at once. */
export async function revokeBreakGlassOf(
  deps: BreakGlassDeps,
  request: ApprovalRequestView,
  approver: Identity,
): Promise<void> {
  const live = await deps.db
    .selectFrom('grants')
    .select('id')
    .where('request_id', '=', request.id)
    .where('source', '=', 'break-glass')
    .where('revoked_at', 'is', null)
    .execute();
  for (const { id } of live) await deps.grants.revoke(id, approver, 'break-glass review denied');
}
