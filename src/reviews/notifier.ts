/**
 * @module Where approvers hear about requests. The server composes the log notifier below with the
 * webhook and Slack-format targets of `notifications:` (src/notify/); the CLI tells nobody.
 */
import type { IdentityRef } from '../core/identity.js';
import type { ApprovalRequestView } from './types.js';

/** What a break-glass tells every target: who opened what, why, until when, and the follow-up. */
export interface BreakGlassNotice {
  readonly identity: IdentityRef;
  readonly connection: string;
  readonly scope: string;
  readonly reason: string;
  readonly grantId: string;
  readonly expiresAt: string;
  /** The review approvers must decide afterwards (due within 24 h). */
  readonly followUp: ApprovalRequestView;
}

/** A recertification campaign whose due time is near, with what is still undecided. */
export interface CampaignReminderNotice {
  readonly campaign: number;
  readonly connections: readonly string[];
  /** The reviewer set (`group:X`, `user:Y`): the targets serving any of them hear of it. */
  readonly reviewers: readonly string[];
  readonly dueAt: string;
  readonly pending: number;
}

/** Told when a request is created, when a fallback step brings in more approvers, and on break-glass. */
export interface ApprovalNotifier {
  requested(request: ApprovalRequestView): void;
  /** `approvers`: those step `step` adds (not the ones asked before). */
  escalated(request: ApprovalRequestView, step: number, approvers: readonly string[]): void;
  /** A session ran on a review that is stale but within grace. */
  graceWarning(rootSubject: string, connection: string, staleSince: string): void;
  /** Someone opened emergency access; every target hears of it. */
  breakGlass(notice: BreakGlassNotice): void;
  /** A campaign is due soon with items nobody decided. */
  campaignReminder(notice: CampaignReminderNotice): void;
}

/** Tells nobody. */
export const SILENT_NOTIFIER: ApprovalNotifier = {
  requested() {},
  escalated() {},
  graceWarning() {},
  breakGlass() {},
  campaignReminder() {},
};

/** The part of a logger the log notifier uses (pino's shape). */
export interface NoticeLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Logs requests, escalations, grace warnings and (at WARN) break-glass. */
export function logNotifier(log: NoticeLog): ApprovalNotifier {
  return {
    requested: (r) =>
      log.info(
        {
          request: r.id,
          kind: r.kind,
          requester: r.requester.subject,
          connection: r.connection,
          approvers: r.waitingFor,
        },
        'approval requested',
      ),
    escalated: (r, step, approvers) =>
      log.info({ request: r.id, step, approvers }, 'approval request escalated to the next step'),
    graceWarning: (rootSubject, connection, staleSince) =>
      log.warn({ rootSubject, connection, staleSince }, 'access review expired; allowed within grace'),
    breakGlass: (n) =>
      log.warn(
        {
          identity: n.identity.subject,
          connection: n.connection,
          scope: n.scope,
          reason: n.reason,
          grant: n.grantId,
          expiresAt: n.expiresAt,
          followUp: n.followUp.id,
        },
        'BREAK-GLASS: emergency access opened without approval',
      ),
    // The review upkeep logs its reminders itself (src/reviews/campaigns-schedule.ts).
    campaignReminder() {},
  };
}
