/**
 * @module What the review gate shows callers: grants, approval requests, approvals and
 * certifications as the CLI and API print them (times ISO-8601).
 */
import type { IdentityRef } from '../core/identity.js';

/** A grant as listed. */
export interface GrantView {
  readonly id: string;
  readonly connection: string;
  readonly principal: string;
  readonly scope: string;
  /** Empty: every action. */
  readonly actions: readonly string[];
  readonly reason: string;
  readonly grantedBy: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
  readonly revokedBy: string | null;
  readonly source: string;
  readonly request: number | null;
}

/** Usage evidence shown to approvers, from the audit trail. */
export interface Evidence {
  readonly windowDays: number;
  readonly sessions: number;
  readonly recentSessions: readonly {
    readonly id: string;
    readonly startedAt: string;
    readonly statements: number;
  }[];
  readonly statementsByAction: Readonly<Record<string, number>>;
  readonly tables: readonly string[];
  readonly lastUsedAt: string | null;
}

/** One approver's decision. */
export interface ApprovalView {
  readonly approver: string;
  readonly decision: 'approve' | 'deny';
  readonly reason: string | null;
  readonly windowMs: number | null;
  readonly at: string;
}

/** Request kinds. */
export type RequestKind = 'review' | 'command' | 'access';

/** Request states. */
export type RequestStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** An approval request as shown. */
export interface ApprovalRequestView {
  readonly id: number;
  readonly kind: RequestKind;
  readonly requester: IdentityRef;
  readonly rootSubject: string;
  readonly connection: string;
  readonly scope: string | null;
  readonly action: string | null;
  readonly statement: string | null;
  readonly paramsHash: string | null;
  readonly reason: string | null;
  readonly evidence: Evidence | null;
  readonly sessionId: string | null;
  readonly ttlMs: number | null;
  readonly status: RequestStatus;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly decidedAt: string | null;
  /** The active step (0 = first approvers); fallback steps raise it. */
  readonly step: number;
  /** Who may decide now (accumulated over the steps so far). */
  readonly waitingFor: readonly string[];
  readonly approvals: readonly ApprovalView[];
  readonly windowUntil: string | null;
  readonly consumedAt: string | null;
  /** The command that approves it. */
  readonly approveCommand: string;
  /**
   * Access requests: who the grant goes to once approved, `user:ROOT` (a delegate's request is
   * granted to the root of its chain; the delegate's own scope still limits what it can use).
   */
  readonly grantTo?: string;
}
