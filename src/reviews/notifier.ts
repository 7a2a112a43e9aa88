/**
 * @module Where approvers hear about requests. The webhook and Slack-format notifications of the
 * notifications issue implement this interface; until then the server logs.
 */
import type { ApprovalRequestView } from './types.js';

/** Told when a request is created and when a fallback step brings in more approvers. */
export interface ApprovalNotifier {
  requested(request: ApprovalRequestView): void;
  escalated(request: ApprovalRequestView, step: number, approvers: readonly string[]): void;
  /** A session ran on a review that is stale but within grace. */
  graceWarning(rootSubject: string, connection: string, staleSince: string): void;
}

/** Tells nobody. */
export const SILENT_NOTIFIER: ApprovalNotifier = {
  requested() {},
  escalated() {},
  graceWarning() {},
};

/** The part of a logger the log notifier uses (pino's shape). */
export interface NoticeLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Logs requests, escalations and grace warnings (until webhook notifications exist). */
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
  };
}
