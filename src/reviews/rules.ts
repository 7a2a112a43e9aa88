/**
 * @module Approval rules, pure: which approvers a request waits for at a given time (ordered
 * fallback steps counted from the request's creation, approver sets accumulating), when its last
 * step times out, who may never decide it (the requester, anyone in its identity chain, agents and
 * services), and when enough approvals are in (N-of-M).
 */
import type { ConnectionReviews } from '../core/connection.js';
import { AirlockError } from '../core/errors.js';
import { type Identity, type IdentityRef, matchesPrincipal, type PrincipalRef } from '../core/identity.js';

/** The part of the settings the rules read. */
export type ApprovalSettings = Pick<ConnectionReviews, 'approvers' | 'minApprovals' | 'fallback' | 'waitMs'>;

/** The index of the step active `elapsedMs` after creation (0 = the first approvers). */
export function stepAt(settings: ApprovalSettings, elapsedMs: number): number {
  let step = 0;
  settings.fallback.forEach((s, i) => {
    if (elapsedMs >= s.afterMs) step = i + 1;
  });
  return step;
}

/** Everyone who may approve at `step`: approvers of every step so far (sets accumulate). */
export function approversAt(settings: ApprovalSettings, step: number): PrincipalRef[] {
  const refs = new Set<PrincipalRef>(settings.approvers);
  for (let i = 0; i < step && i < settings.fallback.length; i++) {
    for (const ref of settings.fallback[i]!.approvers) refs.add(ref);
  }
  return [...refs];
}

/**
 * How long a request lives: each step lasts until the next one starts, and the last step lasts
 * `wait` (the time a held client waits). Then `then: deny` applies (status `expired`).
 */
export function lifetimeMs(settings: ApprovalSettings): number {
  const lastStart = settings.fallback.at(-1)?.afterMs ?? 0;
  return lastStart + settings.waitMs;
}

/** What the rules need to know about a request. */
export interface RequestParties {
  readonly id: number;
  readonly requester: IdentityRef;
}

/**
 * Throws unless `approver` may decide the request at `step`: ERR_APPROVAL_SELF for the requester or
 * anyone its chain acts for, ERR_APPROVAL_NOT_ALLOWED for agents, services and non-approvers.
 */
export function checkApprover(
  settings: ApprovalSettings,
  request: RequestParties,
  step: number,
  approver: Identity,
): void {
  const parties = new Set([request.requester.subject, ...request.requester.chain.map((a) => a.subject)]);
  if (parties.has(approver.subject)) {
    throw new AirlockError('ERR_APPROVAL_SELF', `${approver.subject} is a party to request ${request.id}`, {
      userMessage: `"${approver.subject}" made request ${request.id} or is in its identity chain and cannot decide it`,
    });
  }
  // Approvals are made by people in their own name: a delegated token (any chain) never decides,
  // whatever it is called, so a requester cannot approve through a delegate it minted.
  if (approver.chain.length > 0) {
    throw new AirlockError('ERR_APPROVAL_NOT_ALLOWED', `${approver.subject} is a delegate`, {
      userMessage: `"${approver.subject}" acts for ${approver.chain.map((a) => a.subject).join(' → ')}; only people decide approval requests, with their own token`,
    });
  }
  if (approver.kind !== 'human') {
    throw new AirlockError(
      'ERR_APPROVAL_NOT_ALLOWED',
      `${approver.kind} ${approver.subject} tried to decide`,
      {
        userMessage: `"${approver.subject}" is an ${approver.kind} identity; only people decide approval requests`,
      },
    );
  }
  const allowed = approversAt(settings, step);
  if (!matchesPrincipal(approver, allowed)) {
    throw new AirlockError('ERR_APPROVAL_NOT_ALLOWED', `${approver.subject} not in ${allowed.join(',')}`, {
      userMessage: `"${approver.subject}" is not an approver of request ${request.id} (waiting for ${allowed.join(', ')})`,
    });
  }
}

/** The status after a set of distinct approvals: one deny decides; `minApprovals` approvals approve. */
export function tally(
  settings: ApprovalSettings,
  decisions: readonly { readonly approver: string; readonly decision: string }[],
): 'pending' | 'approved' | 'denied' {
  if (decisions.some((d) => d.decision === 'deny')) return 'denied';
  const approvers = new Set(decisions.filter((d) => d.decision === 'approve').map((d) => d.approver));
  return approvers.size >= settings.minApprovals ? 'approved' : 'pending';
}
