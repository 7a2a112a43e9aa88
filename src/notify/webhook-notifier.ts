/**
 * @module `type: webhook` targets: the notification as JSON (`webhookBody`), signed with
 * HMAC-SHA256 (`X-Airlock-Signature: sha256=<hex>`, src/export/signed-post.ts), retried with backoff.
 */
import type { NotificationTarget } from '../core/config.js';
import type { ApprovalNotifier } from '../reviews/notifier.js';
import { campaignWebhookBody, webhookBody } from './messages.js';
import { type TargetDeps, targetNotifier } from './target.js';

/** A notifier POSTing signed JSON to `target`. */
export function webhookNotifier(target: NotificationTarget, deps: TargetDeps): ApprovalNotifier {
  return targetNotifier(target, deps, { approval: webhookBody, campaign: campaignWebhookBody });
}
