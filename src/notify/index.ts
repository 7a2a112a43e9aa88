/**
 * @module Notifications: the server's `ApprovalNotifier`, the log notifier plus one notifier per
 * `notifications:` target, all feeding one bounded delivery queue (delivery.ts). Nothing here
 * blocks the caller: each method formats, queues and returns.
 */
import type { Clock } from '../core/clock.js';
import type { NotificationTarget } from '../core/config.js';
import type { RetryOptions } from '../export/signed-post.js';
import { type ApprovalNotifier, logNotifier, type NoticeLog } from '../reviews/notifier.js';
import { type DeliveryLog, DeliveryQueue, type DeliveryStats } from './delivery.js';
import { slackNotifier } from './slack-notifier.js';
import { webhookNotifier } from './webhook-notifier.js';

/** Calls every notifier; one that throws does not stop the others. */
export function composeNotifiers(notifiers: readonly ApprovalNotifier[]): ApprovalNotifier {
  const each = (call: (n: ApprovalNotifier) => void) => {
    for (const n of notifiers) {
      try {
        call(n);
      } catch {
        // A formatting bug must not reach the request's creator; the delivery log shows the gap.
      }
    }
  };
  return {
    requested: (r) => each((n) => n.requested(r)),
    escalated: (r, step, approvers) => each((n) => n.escalated(r, step, approvers)),
    graceWarning: (root, connection, since) => each((n) => n.graceWarning(root, connection, since)),
    breakGlass: (notice) => each((n) => n.breakGlass(notice)),
    campaignReminder: (notice) => each((n) => n.campaignReminder(notice)),
  };
}

/** What the server's notifier is built from. */
export interface NotificationOptions {
  /** Read at each notification, so a config reload applies. */
  readonly targets: () => readonly NotificationTarget[];
  readonly log: NoticeLog & DeliveryLog;
  readonly clock: Clock;
  readonly env: NodeJS.ProcessEnv;
  readonly retry?: RetryOptions;
  readonly maxQueued?: number;
  readonly concurrency?: number;
  readonly fetch?: typeof fetch;
}

/** The server's notifier and its delivery queue. */
export interface Notifications {
  readonly notifier: ApprovalNotifier;
  readonly stats: () => DeliveryStats;
  /** Resolves when every queued notification was delivered or given up (tests, shutdown). */
  idle(timeoutMs: number): Promise<void>;
  close(graceMs?: number): Promise<void>;
}

/** Builds the log notifier plus the configured targets. */
export function createNotifications(options: NotificationOptions): Notifications {
  const queue = new DeliveryQueue({
    clock: options.clock,
    log: options.log,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.maxQueued !== undefined ? { maxQueued: options.maxQueued } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const deps = { queue, env: options.env };
  // Rebuilt only when the target list changes (a reload), not per notification.
  let built: { from: readonly NotificationTarget[]; notifier: ApprovalNotifier } | undefined;
  const targets = (): ApprovalNotifier => {
    const list = options.targets();
    if (built?.from !== list) {
      built = {
        from: list,
        notifier: composeNotifiers(
          list.map((t) => (t.type === 'slack' ? slackNotifier(t, deps) : webhookNotifier(t, deps))),
        ),
      };
    }
    return built.notifier;
  };
  const notifier = composeNotifiers([
    logNotifier(options.log),
    {
      requested: (r) => targets().requested(r),
      escalated: (r, step, approvers) => targets().escalated(r, step, approvers),
      graceWarning: (root, connection, since) => targets().graceWarning(root, connection, since),
      breakGlass: (notice) => targets().breakGlass(notice),
      campaignReminder: (notice) => targets().campaignReminder(notice),
    },
  ]);
  return {
    notifier,
    stats: () => queue.stats,
    idle: (timeoutMs) => queue.idle(timeoutMs),
    close: (graceMs) => queue.close(graceMs),
  };
}
