/**
 * @module One notification target as an `ApprovalNotifier`: decides whether the target hears of a
 * notification (its `groups` against the approvers asked; break-glass reaches every target),
 * formats it and hands it to the delivery queue. The webhook and Slack notifiers differ only in
 * the format.
 */
import type { NotificationTarget } from '../core/config.js';
import { resolveSecret } from '../export/webhook-sink.js';
import type { ApprovalNotifier } from '../reviews/notifier.js';
import type { DeliveryQueue } from './delivery.js';
import { type ApprovalNotification, requestOf } from './messages.js';

/** What a target notifier needs. */
export interface TargetDeps {
  readonly queue: DeliveryQueue;
  readonly env: NodeJS.ProcessEnv;
}

/** True when `target` serves any of `approvers` (a target without `groups` serves everyone). */
export function serves(target: NotificationTarget, approvers: readonly string[]): boolean {
  if (!target.groups) return true;
  return approvers.some((a) => target.groups!.includes(a as (typeof target.groups)[number]));
}

/** A notifier sending `format(notification)` to `target`. */
export function targetNotifier(
  target: NotificationTarget,
  deps: TargetDeps,
  format: (n: ApprovalNotification) => string,
): ApprovalNotifier {
  const what = `notification target ${target.name}`;
  const send = (n: ApprovalNotification) => {
    if (n.event !== 'break-glass' && !serves(target, n.approvers)) return;
    deps.queue.push({
      target: target.name,
      about: `${n.event} ${requestOf(n).id}`,
      url: () => resolveSecret(target.url, deps.env, `${what} url`),
      secret: () => (target.secret ? resolveSecret(target.secret, deps.env, what) : undefined),
      body: format(n),
      timeoutMs: target.timeoutMs,
    });
  };
  return {
    requested: (request) => send({ event: 'approval.requested', request, approvers: request.waitingFor }),
    escalated: (request, step, approvers) => send({ event: 'approval.escalated', request, step, approvers }),
    // Grace warnings come with every session in grace: the log has them, targets would be flooded.
    graceWarning() {},
    breakGlass: (breakGlass) => send({ event: 'break-glass', breakGlass }),
  };
}
