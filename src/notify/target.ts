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
import { type ApprovalNotification, type CampaignNotification, requestOf } from './messages.js';

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

/** How one target's format renders each kind of notification. */
export interface TargetFormat {
  readonly approval: (n: ApprovalNotification) => string;
  readonly campaign: (n: CampaignNotification) => string;
}

/** A notifier sending `format`'s rendering of each notification to `target`. */
export function targetNotifier(
  target: NotificationTarget,
  deps: TargetDeps,
  format: TargetFormat,
): ApprovalNotifier {
  const what = `notification target ${target.name}`;
  const push = (about: string, body: string) =>
    deps.queue.push({
      target: target.name,
      about,
      url: () => resolveSecret(target.url, deps.env, `${what} url`),
      secret: () => (target.secret ? resolveSecret(target.secret, deps.env, what) : undefined),
      body,
      timeoutMs: target.timeoutMs,
    });
  const send = (n: ApprovalNotification) => {
    if (n.event !== 'break-glass' && !serves(target, n.approvers)) return;
    push(`${n.event} ${requestOf(n).id}`, format.approval(n));
  };
  return {
    requested: (request) => send({ event: 'approval.requested', request, approvers: request.waitingFor }),
    escalated: (request, step, approvers) => send({ event: 'approval.escalated', request, step, approvers }),
    // Grace warnings come with every session in grace: the log has them, targets would be flooded.
    graceWarning() {},
    breakGlass: (breakGlass) => send({ event: 'break-glass', breakGlass }),
    campaignReminder(campaign) {
      if (!serves(target, campaign.reviewers)) return;
      push(
        `campaign.reminder ${campaign.campaign}`,
        format.campaign({ event: 'campaign.reminder', campaign }),
      );
    },
  };
}
