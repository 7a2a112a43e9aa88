/**
 * @module What notification targets receive, pure. Webhooks get JSON (`{schema, event, ...}`,
 * documented in docs/reviews.md#notifications); Slack-compatible incoming webhooks get `{text,
 * blocks}` (`text` is the fallback shown in notifications, `blocks` the formatted message). Both
 * carry who asks (subject, kind, chain), the connection, the statement or scope, the reason, an
 * evidence summary and the exact command that approves. Statement text is the redacted form
 * stored with the request; tokens, secrets and parameter values never appear.
 */
import type { IdentityRef } from '../core/identity.js';
import type { BreakGlassNotice, CampaignReminderNotice } from '../reviews/notifier.js';
import type { ApprovalRequestView, Evidence } from '../reviews/types.js';

/** The version of the webhook body; raised on incompatible changes. */
export const NOTIFICATION_SCHEMA_VERSION = 1;

/** One thing to tell targets. */
export type ApprovalNotification =
  | {
      readonly event: 'approval.requested';
      readonly request: ApprovalRequestView;
      /** Who may decide (the targets serving any of them hear of it). */
      readonly approvers: readonly string[];
    }
  | {
      readonly event: 'approval.escalated';
      readonly request: ApprovalRequestView;
      readonly step: number;
      /** The approvers this step adds. */
      readonly approvers: readonly string[];
    }
  | { readonly event: 'break-glass'; readonly breakGlass: BreakGlassNotice };

/** A campaign reminder: not about one request, so it is formatted on its own. */
export interface CampaignNotification {
  readonly event: 'campaign.reminder';
  readonly campaign: CampaignReminderNotice;
}

/** The command that lists a campaign's items for its reviewers. */
function campaignCommand(c: CampaignReminderNotice): string {
  return `airlock reviews campaign show ${c.campaign}`;
}

/** A reminder's headline, the same in every format. */
function campaignHeadline(c: CampaignReminderNotice): string {
  return `Review campaign ${c.campaign} (${c.connections.join(', ')}) is due ${c.dueAt}: ${c.pending} item(s) undecided`;
}

/** The webhook body of a campaign reminder. */
export function campaignWebhookBody(n: CampaignNotification): string {
  return JSON.stringify({
    schema: NOTIFICATION_SCHEMA_VERSION,
    event: n.event,
    campaign: n.campaign,
    reviewCommand: campaignCommand(n.campaign),
  });
}

/** The Slack message of a campaign reminder. */
export function campaignSlackMessage(n: CampaignNotification): { text: string; blocks: object[] } {
  const headline = slackEscape(campaignHeadline(n.campaign));
  return {
    text: headline,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${headline}*` } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `*Reviewers:* ${slackEscape(n.campaign.reviewers.join(', '))}\nReview with ${code(campaignCommand(n.campaign))}`,
        },
      },
    ],
  };
}

/** The request a notification is about (for break-glass: its follow-up review). */
export function requestOf(n: ApprovalNotification): ApprovalRequestView {
  return n.event === 'break-glass' ? n.breakGlass.followUp : n.request;
}

/** `bot-1 (agent) for alice → planner`. */
export function describeWho(who: IdentityRef): string {
  const chain = who.chain.length > 0 ? ` for ${who.chain.map((a) => a.subject).join(' → ')}` : '';
  return `${who.subject} (${who.kind})${chain}`;
}

/** `12 sessions in 30 days; sql.select 40, sql.update 2; tables: items, orders; last use: …`. */
export function evidenceSummary(evidence: Evidence | null): string {
  if (!evidence) return 'no usage evidence';
  const actions =
    Object.entries(evidence.statementsByAction)
      .sort((a, b) => b[1] - a[1])
      .map(([action, n]) => `${action} ${n}`)
      .join(', ') || 'no statements';
  const tables = evidence.tables.length > 0 ? evidence.tables.slice(0, 10).join(', ') : 'none';
  const more = evidence.tables.length > 10 ? ` (+${evidence.tables.length - 10})` : '';
  return `${evidence.sessions} sessions in ${evidence.windowDays} days; ${actions}; tables: ${tables}${more}; last use: ${evidence.lastUsedAt ?? 'never'}`;
}

/** What the request asks for: the statement for command requests, else kind and scope. */
export function describeWhat(r: ApprovalRequestView): string {
  if (r.kind === 'command') return r.statement ?? r.action ?? 'a statement';
  return `${r.kind === 'review' ? 'access review' : 'access'}, scope ${r.scope ?? 'admin'}`;
}

function requestJson(r: ApprovalRequestView): object {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    requester: {
      subject: r.requester.subject,
      kind: r.requester.kind,
      chain: r.requester.chain.map((a) => ({ subject: a.subject, kind: a.kind })),
    },
    rootSubject: r.rootSubject,
    connection: r.connection,
    scope: r.scope,
    action: r.action,
    statement: r.statement,
    reason: r.reason,
    evidence: r.evidence,
    evidenceSummary: evidenceSummary(r.evidence),
    waitingFor: r.waitingFor,
    step: r.step,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    approveCommand: r.approveCommand,
  };
}

/** The webhook body (JSON text; the signature covers exactly these bytes). */
export function webhookBody(n: ApprovalNotification): string {
  const base = { schema: NOTIFICATION_SCHEMA_VERSION, event: n.event };
  if (n.event === 'break-glass') {
    const b = n.breakGlass;
    return JSON.stringify({
      ...base,
      breakGlass: {
        identity: { subject: b.identity.subject, kind: b.identity.kind },
        connection: b.connection,
        scope: b.scope,
        reason: b.reason,
        grantId: b.grantId,
        expiresAt: b.expiresAt,
      },
      request: requestJson(b.followUp),
      approveCommand: b.followUp.approveCommand,
    });
  }
  return JSON.stringify({
    ...base,
    ...(n.event === 'approval.escalated' ? { step: n.step } : {}),
    approvers: n.approvers,
    request: requestJson(n.request),
    approveCommand: n.request.approveCommand,
  });
}

/** Slack mrkdwn treats `&`, `<` and `>` as markup; everything else is shown as is. */
export function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A code span that a backtick in `text` cannot end early. */
function code(text: string): string {
  return `\`${slackEscape(text).replaceAll('`', "'")}\``;
}

const MAX_STATEMENT = 2500;

/** A Slack-compatible incoming-webhook message: `{text, blocks}`. */
export function slackMessage(n: ApprovalNotification): { text: string; blocks: object[] } {
  const r = requestOf(n);
  let headline: string;
  if (n.event === 'break-glass') {
    const b = n.breakGlass;
    headline = `BREAK-GLASS: ${b.identity.subject} opened ${b.scope} access to ${b.connection} until ${b.expiresAt} without approval; follow-up review ${r.id} is due`;
  } else if (n.event === 'approval.escalated') {
    headline = `Approval request ${r.id} escalated to ${n.approvers.join(', ')}: nobody decided it yet`;
  } else {
    headline = `Approval request ${r.id}: ${describeWhat(r).split('\n')[0]?.slice(0, 80)} on ${r.connection} by ${r.requester.subject}`;
  }
  const lines = [
    `*Who:* ${slackEscape(describeWho(r.requester))}`,
    `*Connection:* ${slackEscape(r.connection)}`,
    r.kind === 'command'
      ? `*Statement:*\n\`\`\`${slackEscape((r.statement ?? r.action ?? '').slice(0, MAX_STATEMENT)).replaceAll('```', "'''")}\`\`\``
      : `*Asks for:* ${slackEscape(describeWhat(r))}`,
    `*Reason:* ${slackEscape(n.event === 'break-glass' ? n.breakGlass.reason : (r.reason ?? 'none given'))}`,
    `*Evidence:* ${slackEscape(evidenceSummary(r.evidence))}`,
    `*Waiting for:* ${slackEscape(r.waitingFor.join(', '))} (until ${r.expiresAt})`,
  ];
  return {
    text: slackEscape(headline),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(headline)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `Approve with ${code(r.approveCommand)}` },
      },
    ],
  };
}
