/**
 * @module `type: slack` targets: a Slack-compatible incoming-webhook message (`{text, blocks}`,
 * `slackMessage`). Signed too when the target has a `secret`; Slack itself authenticates by the URL.
 */
import type { NotificationTarget } from '../core/config.js';
import type { ApprovalNotifier } from '../reviews/notifier.js';
import { campaignSlackMessage, slackMessage } from './messages.js';
import { type TargetDeps, targetNotifier } from './target.js';

/** A notifier POSTing Slack-format messages to `target`. */
export function slackNotifier(target: NotificationTarget, deps: TargetDeps): ApprovalNotifier {
  return targetNotifier(target, deps, {
    approval: (n) => JSON.stringify(slackMessage(n)),
    campaign: (n) => JSON.stringify(campaignSlackMessage(n)),
  });
}
